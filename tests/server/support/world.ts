// One HSS (SQLite, over HTTP with credentials), one Provisioning Server (RAM and admin listeners) and a virtual
// card with its fixture PKI, in this process: the world the server's flow tests run in.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_PRINCIPALS,
  PrincipalTable,
  ROLE_OPERATOR,
  ROLE_PROVISIONER,
  issueCredentials,
} from '../../../src/auth/index.js';
import { SeededRandom } from '../../../src/crypto/index.js';
import { FixedClock } from '../../../src/ports/index.js';
import { captureLogger } from '../../helpers/capture-logger.js';
import { trustAnchor } from '../../../src/pki/index.js';
import { subscribersFile } from '../../../src/card/index.js';
import {
  listenHss,
  openHssRuntime,
  parsePersonalisationFile,
  type HssRuntime,
} from '../../../src/hss/index.js';
import { HssClient } from '../../../src/hss/client/index.js';
import {
  DEFAULT_POLICY,
  SqliteJobStore,
  listenServer,
  parseInventoryFile,
  type JobStore,
  type SessionEnd,
  type RunningServer,
  type SessionConfig,
} from '../../../src/server/index.js';
import { NOW, setup, type Setup } from '../../card/support/fixture.js';

const KEK_HEX = '00'.repeat(32);
export const RAM_HEADERS = {
  'x-admin-protocol': 'globalplatform-remote-admin/1.0',
};
export const RESPONSE_SCRIPT_TYPE = 'application/vnd.globalplatform.card-content-mgt-response;version=1.0';

export interface World {
  s: Setup;
  /** The HSS as the server sees it (role provisioner). */
  hss: HssClient;
  server: RunningServer;
  /** The clock of the server and its sessions (tests move it past a backoff). */
  clock: FixedClock;
  ends: SessionEnd[];
  /** Everything the server logged, as JSON lines (trace level included). */
  logs: string[];
  /** An admin API call as the operator. */
  admin(method: string, path: string, body?: object): Promise<Response>;
  /** Stops the server and starts a new one on a new store from `reopen` (a crash and restart). */
  restart(reopen: () => JobStore): Promise<void>;
  close(): Promise<void>;
}

export interface WorldOptions {
  session?: Partial<SessionConfig>;
  store?: JobStore;
  hssFetch?: typeof fetch;
  coreUrl?: string;
  /** The server's inventory from a personalisation file written before key pinning (no cardKeyPins). */
  unpinned?: boolean;
}

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

export async function world(seed: string, o: WorldOptions = {}): Promise<World> {
  const session = o.session ?? {};
  let store = o.store ?? new SqliteJobStore(':memory:');
  let starts = 0;
  const ends: SessionEnd[] = [];
  const { logger, logs } = captureLogger();
  const credentials = issueCredentials(
    DEFAULT_PRINCIPALS,
    new SeededRandom(`credentials-${seed}`),
    NOW.toISOString(),
  );
  const authenticator = new PrincipalTable(credentials.records);
  const operatorToken = credentials.tokens.get(ROLE_OPERATOR) as string;
  const clock = new FixedClock(NOW);
  const s = setup(seed);
  const runtime: HssRuntime = await openHssRuntime({ dataDir: tempDir('ltku-server-'), kekHex: KEK_HEX });
  const personalisation = subscribersFile(s.image) as { cardKeyPins?: unknown };
  const file = JSON.stringify(personalisation);
  const inventoryFile = JSON.stringify({
    ...personalisation,
    cardKeyPins: o.unpinned ? undefined : personalisation.cardKeyPins,
  });
  for (const sub of parsePersonalisationFile(file).subscribers) await runtime.hss.create(sub, 'test');
  const hssHttp = await listenHss({
    hss: runtime.hss,
    auc: runtime.auc,
    logger: runtime.logger,
    authenticator,
  });
  const hss = new HssClient(hssHttp.url, {
    token: credentials.tokens.get(ROLE_PROVISIONER) as string,
    ...(o.hssFetch === undefined ? {} : { fetch: o.hssFetch }),
  });
  const start = (jobStore: JobStore) =>
    listenServer({
      store: jobStore,
      hss,
      kek: new Uint8Array(32).fill(7),
      authenticator,
      inventory: parseInventoryFile(inventoryFile),
      ...(o.coreUrl === undefined ? {} : { coreUrl: o.coreUrl }),
      onSessionEnd: (e) => ends.push(e),
      logger,
      session: {
        oce: [{ keyPair: s.pki.oce, certificates: [s.pki.oceCertificate] }],
        cardIssuers: [trustAnchor(s.pki.klcc.curve, s.pki.klcc.publicKey)],
        policy: DEFAULT_POLICY,
        clock,
        rng: new SeededRandom(`server-${seed}-${starts++}`),
        ...session,
      },
    });
  const w: World = {
    s,
    hss,
    clock,
    ends,
    logs,
    server: await start(store),
    admin: (method, path, body) =>
      fetch(`${w.server.adminUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${operatorToken}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    async restart(reopen) {
      await w.server.close();
      await store.close();
      store = reopen();
      w.server = await start(store);
    },
    async close() {
      await w.server.close();
      await store.close();
      await hssHttp.close();
      await runtime.close();
    },
  };
  return w;
}

export async function createJob(w: World, body: object): Promise<Response> {
  return w.admin('POST', '/admin/v1/jobs', body);
}

/** A job the operator created; fails the test when the server refused it. */
export async function newJob(
  w: World,
  body: object,
): Promise<{ id: string; keyVersion: number; state: string }> {
  const r = await createJob(w, body);
  assert.equal(r.status, 201, await r.clone().text());
  return (await r.json()) as { id: string; keyVersion: number; state: string };
}

/** The card and the HSS both still hold version 1 of the profile's keys, with no candidate left staged. */
export async function assertKeysUntouched(w: World, cardKeyVersion: number, imsi: string): Promise<void> {
  assert.equal(cardKeyVersion, 1, 'the card kept its keys');
  const sub = await w.hss.getSubscriber(imsi);
  assert.equal(sub.activeVersion, 1, 'the HSS kept the old keys active');
  assert.equal(sub.candidate, undefined, 'no candidate was left staged');
}

/** The first POST of a RAM session as anyone who knows the EID: the answer, and the next URI when 200. */
export async function openRam(w: World, eid: string): Promise<{ status: number; next?: string }> {
  const r = await fetch(w.server.ramUrl, {
    method: 'POST',
    headers: { ...RAM_HEADERS, 'x-admin-from': `//se-id/eid/${eid}` },
  });
  await r.arrayBuffer();
  const next = r.headers.get('x-admin-next-uri');
  return { status: r.status, ...(next === null ? {} : { next: new URL(next, w.server.ramUrl).toString() }) };
}

/** A later POST of a RAM session carrying `body` as the response script. */
export async function postScript(eid: string, next: string, body: Uint8Array): Promise<Response> {
  return fetch(next, {
    method: 'POST',
    headers: { ...RAM_HEADERS, 'x-admin-from': `//se-id/eid/${eid}`, 'content-type': RESPONSE_SCRIPT_TYPE },
    body,
  });
}
