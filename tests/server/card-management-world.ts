// Issue 13 test rig: a virtual card persisted in a file (so a crash can be simulated at each write point and the
// card restarted from its file), a Provisioning Server with card-management jobs holding OCE credentials of two
// CA-KLOC generations (the card trusts the old one), and the UE side driving RAM sessions with the real agent.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  DEFAULT_PRINCIPALS,
  PrincipalTable,
  ROLE_OPERATOR,
  ROLE_PROVISIONER,
  issueCredentials,
} from '../../src/auth/index.js';
import { listenHss, openHssRuntime, parsePersonalisationFile } from '../../src/hss/index.js';
import { toHex } from '../../src/bytes/index.js';
import { P256, SeededRandom, generateKeyPair, type EcKeyPair } from '../../src/crypto/index.js';
import {
  FileCardStore,
  VirtualCard,
  loadCardImage,
  subscribersFile,
  type WritePoint,
} from '../../src/card/index.js';
import { HssClient } from '../../src/hss/client/index.js';
import {
  GetResponseChannel,
  type CardChannel,
  type CommandApdu,
  type ResponseApdu,
} from '../../src/iso7816/index.js';
import { FixedClock } from '../../src/ports/index.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { trustAnchor } from '../../src/pki/index.js';
import {
  DEFAULT_POLICY,
  SqliteCardJobStore,
  SqliteJobStore,
  listenServer,
  parseInventoryFile,
  type CardJobStore,
  type RunningServer,
} from '../../src/server/index.js';
import { runRamSession, type RamSessionReport } from '../../src/ue/ram-agent.js';
import { NOW, issueOce, setup, type Setup } from '../card/support/fixture.js';
import { tempDir } from './support/world.js';

export const OLD_KVN = 1;
export const NEW_KVN = 2;
/** The serial of the new generation's OCE certificate (the fixture's old one is 01). */
export const NEW_OCE_SERIAL = 0x50;

/** A card that dies: once `crashAt` fires during a save, or once a command with `dropAfter` INS ran. */
class FaultyChannel implements CardChannel {
  dead = false;
  /** Drop the card's answer to the next command with this INS (the card processed it): a lost answer. */
  dropAfter: number | undefined;
  constructor(readonly inner: CardChannel) {}
  async transmit(c: CommandApdu): Promise<ResponseApdu> {
    if (this.dead) throw new Error('the card is gone');
    const r = await this.inner.transmit(c);
    if (this.dead) throw new Error('the card died while processing the command');
    if (this.dropAfter === c.ins) {
      this.dropAfter = undefined;
      throw new Error('answer lost');
    }
    return r;
  }
}

export interface CardRig {
  s: Setup;
  eid: string;
  /** The new CA-KLOC generation and its OCE credential. */
  newKloc: EcKeyPair;
  newOce: { keyPair: EcKeyPair; certificates: Uint8Array[] };
  /** The card as it runs now (replaced by restart()). */
  card: VirtualCard;
  channel: FaultyChannel;
  path: string;
  server: RunningServer;
  clock: FixedClock;
  logs: string[];
  /** The operator's bearer token. */
  token: string;
  /** Arms a crash of the card at `point` of its next image write. */
  crashAt(point: WritePoint): void;
  /** The card restarted from its file (after a crash). */
  restart(): void;
  /** The CA-KLOC KVNs in the card's file. */
  caKlocOnFile(): number[];
  admin(method: string, path: string, body?: object): Promise<Response>;
  /** One RAM session with the real UE agent; a failure (card gone, answer lost) is returned, not thrown. */
  session(): Promise<RamSessionReport | Error>;
  close(): Promise<void>;
}

export interface CardRigOptions {
  cardJobStore?: CardJobStore;
  /** A real HSS holding the card's subscribers, for key-update jobs beside the card-management ones. */
  hss?: boolean;
}

export async function cardRig(seed: string, o: CardRigOptions = {}): Promise<CardRig> {
  const s = setup(seed);
  const rng = new SeededRandom(`rig-${seed}`);
  const newKloc = generateKeyPair(P256, rng);
  const newOcePair = generateKeyPair(P256, rng);
  const newOce = {
    keyPair: newOcePair,
    certificates: [issueOce(newKloc, newOcePair, Uint8Array.of(NEW_OCE_SERIAL), 'x509')],
  };
  const path = join(tempDir('ltku-card-mgmt-'), 'card.json');
  let armed: WritePoint | undefined;
  const hook = (p: WritePoint) => {
    if (armed === p) {
      armed = undefined;
      rig.channel.dead = true;
      throw new Error(`card stopped at ${p}`);
    }
  };
  const cardOf = (image: typeof s.image) =>
    new VirtualCard(image, {
      store: new FileCardStore(path, hook),
      clock: new FixedClock(NOW),
      rng: new SeededRandom(`card-${seed}`),
    });
  new FileCardStore(path).save(s.image);
  const card = cardOf(s.image);

  const { logger, logs } = captureLogger();
  const credentials = issueCredentials(
    DEFAULT_PRINCIPALS,
    new SeededRandom(`credentials-${seed}`),
    NOW.toISOString(),
  );
  const token = credentials.tokens.get(ROLE_OPERATOR) as string;
  const clock = new FixedClock(NOW);
  const cardJobStore = o.cardJobStore ?? new SqliteCardJobStore(':memory:');
  const jobStore = new SqliteJobStore(':memory:');
  const authenticator = new PrincipalTable(credentials.records);
  const hss = o.hss
    ? await realHss(s, authenticator, credentials.tokens.get(ROLE_PROVISIONER) as string)
    : undefined;
  const server = await listenServer({
    store: jobStore,
    cardJobStore,
    // without o.hss no key-update jobs: the HSS is never asked (the reconciler's one run at start fails quietly)
    hss: hss?.client ?? new HssClient('http://127.0.0.1:9', { token: 'none', timeoutMs: 200 }),
    authenticator,
    kek: new Uint8Array(32).fill(7),
    inventory: parseInventoryFile(JSON.stringify(subscribersFile(s.image))),
    logger,
    reconcileIntervalMs: 0,
    session: {
      // newest generation first, as `ltku pki rotate` leaves the server (server-pki.ts)
      oce: [newOce, { keyPair: s.pki.oce, certificates: [s.pki.oceCertificate] }],
      cardIssuers: [trustAnchor(s.pki.klcc.curve, s.pki.klcc.publicKey)],
      policy: DEFAULT_POLICY,
      clock,
      rng: new SeededRandom(`server-${seed}`),
    },
  });
  const rig: CardRig = {
    s,
    eid: s.image.eid,
    newKloc,
    newOce,
    card,
    channel: new FaultyChannel(new GetResponseChannel(card)),
    path,
    server,
    clock,
    logs,
    token,
    crashAt(point) {
      armed = point;
    },
    restart() {
      rig.card = cardOf(loadCardImage(path));
      rig.channel = new FaultyChannel(new GetResponseChannel(rig.card));
    },
    caKlocOnFile: () => loadCardImage(path).caKloc.map((c) => c.kvn),
    admin: (method, p, body) =>
      fetch(`${rig.server.adminUrl}${p}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    session: () =>
      runRamSession({ url: rig.server.ramUrl, eid: rig.eid, channel: rig.channel, maxResumes: 0 }).catch(
        (e: Error) => e,
      ),
    async close() {
      await server.close();
      await cardJobStore.close();
      await jobStore.close();
      await hss?.close();
    },
  };
  return rig;
}

/** ltku's HSS over HTTP with the card's subscribers (as tests/server/support/world.ts runs it). */
async function realHss(s: Setup, authenticator: PrincipalTable, token: string) {
  const runtime = await openHssRuntime({ dataDir: tempDir('ltku-cm-hss-'), kekHex: '00'.repeat(32) });
  const file = JSON.stringify(subscribersFile(s.image));
  for (const sub of parsePersonalisationFile(file).subscribers) await runtime.hss.create(sub, 'test');
  const http = await listenHss({ hss: runtime.hss, auc: runtime.auc, logger: runtime.logger, authenticator });
  return {
    client: new HssClient(http.url, { token }),
    async close() {
      await http.close();
      await runtime.close();
    },
  };
}

/** The admin order that rotates the card's CA-KLOC to the rig's new generation. */
export function rotationOrder(rig: CardRig) {
  return { kind: 'ca-kloc-rotation', kvn: NEW_KVN, curve: 'P-256', publicKey: toHex(rig.newKloc.publicKey) };
}

export interface CardJobJson {
  id: string;
  state: string;
  kind: string;
  attempts: number;
  generation: number;
  securityAlarm: boolean;
  history: { state: string; detail?: string }[];
  payload: Record<string, unknown>;
  nextAttemptAt?: string;
  lastAttemptError?: string;
}

/** Creates one job for the rig's card; fails the test when refused. */
export async function newCardJob(rig: CardRig, order: object): Promise<CardJobJson> {
  const r = await rig.admin('POST', '/admin/v1/card-jobs', { eids: [rig.eid], order });
  const body = (await r.json()) as { jobs: CardJobJson[]; refused: unknown[] };
  assert.equal(r.status, 201, JSON.stringify(body));
  return body.jobs[0];
}

export async function cardJob(rig: CardRig, id: string): Promise<CardJobJson> {
  const r = await rig.admin('GET', `/admin/v1/card-jobs/${id}`);
  assert.equal(r.status, 200);
  return (await r.json()) as CardJobJson;
}
