// The pieces of a key update over HTTP in this process, wired as in production (cf. tests/server/support/world.ts):
// an HSS on SQLite behind its HTTP API with credentials, the Provisioning Server (RAM and admin listeners on
// 127.0.0.1:0) on a SQLite job store, and one virtual card with many profiles (key versions end at 255).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_PRINCIPALS,
  PrincipalTable,
  ROLE_OPERATOR,
  ROLE_PROVISIONER,
  issueCredentials,
} from '../src/auth/index.js';
import { cryptoRandom } from '../src/crypto/index.js';
import { FixedClock, silentLogger } from '../src/ports/index.js';
import { trustAnchor } from '../src/pki/index.js';
import { subscribersFile } from '../src/card/index.js';
import { listenHss, openHssRuntime, parsePersonalisationFile } from '../src/hss/index.js';
import { HssClient } from '../src/hss/client/index.js';
import { DEFAULT_POLICY, SqliteJobStore, listenServer, parseInventoryFile } from '../src/server/index.js';
import { runRamSession } from '../src/ue/ram-agent.js';
import { NOW, setup } from '../tests/card/support/fixture.js';

export interface HttpWorld {
  /** One whole key update: the operator creates a job (admin API), the UE agent runs the RAM session. */
  keyUpdate(): Promise<void>;
  close(): Promise<void>;
}

export async function httpWorld(profiles: number): Promise<HttpWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'ltku-bench-'));
  const s = setup('bench-http', { profiles });
  const credentials = issueCredentials(DEFAULT_PRINCIPALS, cryptoRandom, NOW.toISOString());
  const authenticator = new PrincipalTable(credentials.records);
  const runtime = await openHssRuntime({ dataDir: join(dir, 'hss'), kekHex: '00'.repeat(32) });
  const file = JSON.stringify(subscribersFile(s.image));
  for (const sub of parsePersonalisationFile(file).subscribers) await runtime.hss.create(sub, 'bench');
  const hssHttp = await listenHss({
    hss: runtime.hss,
    auc: runtime.auc,
    logger: silentLogger,
    authenticator,
  });
  const store = new SqliteJobStore(join(dir, 'jobs.sqlite'));
  const server = await listenServer({
    store,
    hss: new HssClient(hssHttp.url, { token: credentials.tokens.get(ROLE_PROVISIONER) as string }),
    kek: cryptoRandom.randomBytes(32),
    authenticator,
    inventory: parseInventoryFile(file),
    logger: silentLogger,
    reconcileIntervalMs: 0,
    session: {
      oce: [{ keyPair: s.pki.oce, certificates: [s.pki.oceCertificate] }],
      cardIssuers: [trustAnchor(s.pki.klcc.curve, s.pki.klcc.publicKey)],
      policy: DEFAULT_POLICY,
      clock: new FixedClock(NOW),
      rng: cryptoRandom,
    },
  });
  const operator = `Bearer ${credentials.tokens.get(ROLE_OPERATOR) as string}`;
  let next = 0;
  return {
    async keyUpdate() {
      const iccid = s.image.profiles[next++ % profiles].iccid;
      const created = await fetch(`${server.adminUrl}/admin/v1/jobs`, {
        method: 'POST',
        headers: { authorization: operator, 'content-type': 'application/json' },
        body: JSON.stringify({ iccid }),
      });
      if (created.status !== 201) throw new Error(`bench job not created: ${await created.text()}`);
      const { id } = (await created.json()) as { id: string };
      await runRamSession({ url: server.ramUrl, eid: s.image.eid, channel: s.channel });
      const { state } = await server.jobs.get(id);
      if (state !== 'completed') throw new Error(`bench key update ended ${state}`);
    },
    async close() {
      await server.close();
      await store.close();
      await hssHttp.close();
      await runtime.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
