// The server's world with osmo-hlr as the HSS role (issue 12): a real osmo-hlr in a temporary directory whose
// subscribers hold the fixture card's keys, the Provisioning Server on OsmoHlrHss (through a relay that can drop
// the CTRL connection), the virtual card.
import {
  issueCredentials,
  DEFAULT_PRINCIPALS,
  PrincipalTable,
  ROLE_OPERATOR,
} from '../../../src/auth/index.js';
import { SeededRandom } from '../../../src/crypto/index.js';
import { FixedClock } from '../../../src/ports/index.js';
import { captureLogger } from '../../helpers/capture-logger.js';
import { trustAnchor } from '../../../src/pki/index.js';
import { subscribersFile } from '../../../src/card/index.js';
import {
  DEFAULT_POLICY,
  OsmoHlrHss,
  SqliteJobStore,
  listenServer,
  parseInventoryFile,
  type RunningServer,
} from '../../../src/server/index.js';
import { NOW, setup, type Setup } from '../../card/support/fixture.js';
import { droppingRelay, startTestHlr, type DroppingRelay, type TestHlr } from '../../helpers/osmo-hlr.js';

export interface OsmoWorld {
  readonly s: Setup;
  readonly hlr: TestHlr;
  /** Between the server and osmo-hlr's CTRL. */
  readonly relay: DroppingRelay;
  readonly hss: OsmoHlrHss;
  readonly server: RunningServer;
  readonly clock: FixedClock;
  readonly logs: string[];
  admin(method: string, path: string, body?: object): Promise<Response>;
  close(): Promise<void>;
}

export async function osmoWorld(seed: string, o: { reconcileIntervalMs?: number } = {}): Promise<OsmoWorld> {
  const { logger, logs } = captureLogger();
  const credentials = issueCredentials(
    DEFAULT_PRINCIPALS,
    new SeededRandom(`cred-${seed}`),
    NOW.toISOString(),
  );
  const operatorToken = credentials.tokens.get(ROLE_OPERATOR) as string;
  const s = setup(seed);
  const hlr = await startTestHlr();
  await hlr.provision(s.image);
  const relay = await droppingRelay(hlr.hlr.ctrl);
  const hss = new OsmoHlrHss({ ctrl: relay.at, timeoutMs: 3000 });
  const store = new SqliteJobStore(':memory:');
  const clock = new FixedClock(NOW);
  const server = await listenServer({
    store,
    hss,
    kek: new Uint8Array(32).fill(9),
    authenticator: new PrincipalTable(credentials.records),
    inventory: parseInventoryFile(JSON.stringify(subscribersFile(s.image))),
    logger,
    // by default the tests run the reconciler's pass themselves
    reconcileIntervalMs: o.reconcileIntervalMs ?? 0,
    session: {
      oce: [{ keyPair: s.pki.oce, certificates: [s.pki.oceCertificate] }],
      cardIssuers: [trustAnchor(s.pki.klcc.curve, s.pki.klcc.publicKey)],
      policy: DEFAULT_POLICY,
      clock,
      rng: new SeededRandom(`server-${seed}`),
    },
  });
  return {
    s,
    hlr,
    relay,
    hss,
    server,
    clock,
    logs,
    admin: (method, path, body) =>
      fetch(`${server.adminUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${operatorToken}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    async close() {
      await server.close();
      await store.close();
      await relay.close();
      await hlr.close();
    },
  };
}
