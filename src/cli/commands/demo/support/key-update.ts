// Steps 1-6 of the demo: the operator orders a key update at the Provisioning Server; the UE agent relays the
// server's RAM-over-HTTP scripts to its card (certificates, SCP11a, BF70 inside the channel, BF71 back); the
// server commits the new keys at the HSS. Each POST is narrated with what crossed the wire.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROLE_OPERATOR, ROLE_PROVISIONER } from '../../../../auth/index.js';
import { cryptoRandom } from '../../../../crypto/index.js';
import { HssClient } from '../../../../hss/client/index.js';
import { GetResponseChannel, type CardChannel } from '../../../../iso7816/index.js';
import type { Endpoint } from '../../../../osmo/index.js';
import {
  DEFAULT_POLICY,
  OsmoHlrHss,
  openJobStore,
  listenServer,
  parseInventoryFile,
  type JobView,
  type RunningServer,
  type SessionEnd,
} from '../../../../server/index.js';
import { runRamSession, type RamExchange } from '../../../../ue/ram-agent.js';
import { adminRequest, type AdminTarget } from '../../server/support/admin-client.js';
import { loadServerPki } from '../../server/support/server-pki.js';
import type { Narrator } from './narrator.js';
import type { DemoReport } from './report.js';
import type { DemoCredentials } from './services.js';

export interface DemoServer {
  readonly adminUrl: string;
  readonly ramUrl: string;
  readonly hssUrl: string;
  /** The operator at the admin API (and reading the HSS). */
  readonly operator: AdminTarget;
  /** The last session's end, as the server reported it (outcome, negotiated suite). */
  readonly lastSession: () => SessionEnd | undefined;
  close(): Promise<void>;
}

/** What each POST of a key update carries (DESIGN.md 4.7: at most 3 after the first). */
const POST_MEANING = [
  'UE announces the card (X-Admin-From EID); server answers script 1: SELECT ISD, GET DATA 00E0 (keys), BF30 (capabilities), FF33 (CA-KLOC ids)',
  'key information and capabilities back; server picks the suite and sends script 2: GET DATA BF21 (CERT.SD.ECKA), PSO (OCE chain), MUTUAL AUTHENTICATE',
  'certificate, ePK.SD and receipt back; server verifies CERT.SD.ECKA and the EID, checks the receipt, stages the HSS candidate, sends script 3: STORE DATA BF70 (keys wrapped with S-DEK)',
  'BF71 back under R-MAC/R-ENC; server checks outcome and check values, commits at the HSS, answers 204',
];

/** The same with an HSS role without candidates (osmo-hlr, DESIGN.md 8): nothing staged, keys written after BF71. */
const POST_MEANING_NO_CANDIDATE = [
  POST_MEANING[0],
  POST_MEANING[1],
  'certificate, ePK.SD and receipt back; server verifies CERT.SD.ECKA and the EID, checks the receipt, checks the subscriber at osmo-hlr (nothing staged), sends script 3: STORE DATA BF70 (keys wrapped with S-DEK)',
  'BF71 back under R-MAC/R-ENC; server checks outcome and check values, writes the new keys to osmo-hlr over CTRL and reads them back, answers 204',
];

export async function startServer(o: {
  dir: string;
  pki: string;
  /** postgres:// URL, or undefined for a SQLite file in the demo directory. */
  db: string | undefined;
  hssUrl: string;
  coreUrl: string;
  subscribersFile: string;
  credentials: DemoCredentials;
  /** The server's fetch to the HSS (recorded by --report). */
  hssFetch?: typeof fetch;
  /** DESIGN.md 8: osmo-hlr's CTRL as the HSS role instead of ltku's HSS at hssUrl. */
  osmoCtrl?: Endpoint;
}): Promise<DemoServer> {
  const store = await openJobStore(o.db ?? join(o.dir, 'server.sqlite'));
  let lastSession: SessionEnd | undefined;
  let running: RunningServer;
  try {
    running = await listenServer({
      store,
      hss:
        o.osmoCtrl !== undefined
          ? new OsmoHlrHss({ ctrl: o.osmoCtrl })
          : new HssClient(o.hssUrl, { token: o.credentials.tokenOf(ROLE_PROVISIONER), fetch: o.hssFetch }),
      authenticator: o.credentials.authenticator,
      coreUrl: o.coreUrl,
      coreToken: o.credentials.tokenOf(ROLE_PROVISIONER),
      kek: cryptoRandom.randomBytes(32),
      inventory: parseInventoryFile(readFileSync(o.subscribersFile, 'utf8'), o.subscribersFile),
      session: {
        ...loadServerPki(o.pki),
        policy: DEFAULT_POLICY,
        clock: { now: () => new Date() },
        rng: cryptoRandom,
      },
      onSessionEnd: (e) => (lastSession = e),
    });
  } catch (e) {
    await store.close();
    throw e;
  }
  return {
    adminUrl: running.adminUrl,
    ramUrl: running.ramUrl,
    hssUrl: o.hssUrl,
    operator: { server: running.adminUrl, token: o.credentials.tokenOf(ROLE_OPERATOR) },
    lastSession: () => lastSession,
    close: async () => {
      await running.close();
      await store.close();
    },
  };
}

export async function runKeyUpdate(
  n: Narrator,
  o: {
    card: CardChannel;
    eid: string;
    iccid: string;
    server: DemoServer;
    report?: DemoReport;
    /** Step 6's check of another HSS role (osmo-hlr): the narrated lines; default: ltku's HSS active version. */
    verifyHss?: (job: JobView) => Promise<string>;
  },
): Promise<Record<string, unknown>> {
  const job = await n.step(
    'order',
    `operator orders a key update of profile ${o.iccid} (admin API)`,
    async () => {
      const created = (await adminRequest(o.server.operator, 'POST', '/admin/v1/jobs', {
        iccid: o.iccid,
      })) as JobView;
      return { id: created.id, keyVersion: created.keyVersion, state: created.state };
    },
    (d) => [
      `job ${d.id}: new keys drawn from the CSPRNG and sealed at rest, version ${d.keyVersion}, ${d.state}`,
    ],
  );
  const exchanges: RamExchange[] = [];
  const session = await n.step(
    'steps-1-5',
    "UE relays the server's scripts to the card: mutual authentication (1), suite (2), request (3), apply (4), result (5)",
    async () => {
      const report = await runRamSession({
        url: o.server.ramUrl,
        eid: o.eid,
        // The terminal collects 61xx answers with GET RESPONSE before the R-APDU goes into the script.
        channel: new GetResponseChannel(o.report ? o.report.recorder.channel(o.card) : o.card),
        fetch: o.report?.recorder.fetch('ue', 'server'),
        onExchange: (e) => exchanges.push(e),
      });
      const suite = o.server.lastSession()?.suite;
      return {
        ...(suite
          ? { suite: { kvn: suite.kvn, curve: suite.curve.name, aesKeyLength: suite.aesKeyLength } }
          : {}),
        posts: report.posts,
        resumes: report.resumes,
        bytesSent: report.bytesSent,
        bytesReceived: report.bytesReceived,
        apdus: report.apdus,
      };
    },
    (d) => [
      ...exchanges.map(
        (e) =>
          `POST ${e.post}: ${e.requestBytes} B up, HTTP ${e.status} ${e.responseBytes} B down, ` +
          `${e.commands} C-APDUs, ${e.ms.toFixed(1)} ms — ${(o.verifyHss === undefined ? POST_MEANING : POST_MEANING_NO_CANDIDATE)[e.post] ?? 'further exchange'}`,
      ),
      ...(d.suite
        ? [
            `suite: SCP11a key set KVN ${d.suite.kvn}, ${d.suite.curve}, AES-${8 * d.suite.aesKeyLength} session keys`,
          ]
        : []),
      `${d.posts} POSTs (${d.posts - 1} after the first), ${d.apdus} APDUs, ${d.bytesSent} B sent, ${d.bytesReceived} B received`,
    ],
  );
  const result = await n.step(
    'step-6',
    o.verifyHss === undefined
      ? 'server has committed the new keys at the HSS'
      : "server has written the new keys to osmo-hlr after the card's BF71 (no candidate key set)",
    async () => {
      const view = (await adminRequest(o.server.operator, 'GET', `/admin/v1/jobs/${job.id}`)) as JobView;
      o.report?.job(view);
      if (view.state !== 'completed') {
        throw new Error(`job ${view.id} is ${view.state}${view.error ? `: ${view.error}` : ''}`);
      }
      if (o.verifyHss !== undefined) {
        return {
          state: view.state,
          history: view.history.map((h) => h.state),
          hss: await o.verifyHss(view),
        };
      }
      const subscriber = await new HssClient(o.server.hssUrl, {
        token: o.server.operator.token,
      }).getSubscriber(view.imsi);
      if (subscriber.activeVersion !== view.keyVersion) {
        throw new Error(`HSS active key version ${subscriber.activeVersion}, expected ${view.keyVersion}`);
      }
      return {
        state: view.state,
        history: view.history.map((h) => h.state),
        hssActiveVersion: subscriber.activeVersion,
      };
    },
    (d) => [
      `job history ${d.history.join(' -> ')}; ${'hss' in d ? d.hss : `HSS active key version ${d.hssActiveVersion}`}`,
    ],
  );
  return { keyUpdate: { job: job.id, ...session, exchanges, ...result } };
}
