// Issue 11 tests: many virtual cards (seeded, one PKI) with their subscribers at one HSS (SQLite, over HTTP), and
// Provisioning Server instances with campaigns on a shared job store; each card's UE agent polls the RAM
// endpoints of the live instances until told to stop.
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
import { P256, SeededRandom } from '../../../src/crypto/index.js';
import { GetResponseChannel } from '../../../src/iso7816/index.js';
import { FixedClock, silentLogger, type Clock, type Logger } from '../../../src/ports/index.js';
import { MemoryCardStore, VirtualCard, subscribersFile, type CardImage } from '../../../src/card/index.js';
import {
  listenHss,
  openHssRuntime,
  parsePersonalisationFile,
  type HssRuntime,
} from '../../../src/hss/index.js';
import { HssClient } from '../../../src/hss/client/index.js';
import {
  Inventory,
  listenServer,
  parseInventoryFile,
  SqliteJobStore,
  type InventoryEntry,
  type JobStore,
  type RunningServer,
} from '../../../src/server/index.js';
import { SqliteCampaignStore, type CampaignStore } from '../../../src/server/campaign/index.js';
import { runRamSession } from '../../../src/ue/ram-agent.js';
import { NOW, makeImage, makePki, type Pki } from '../../card/support/fixture.js';
import { serverSession } from '../../helpers/server-session.js';

const KEK_HEX = '00'.repeat(32);
const SERVER_KEK = new Uint8Array(32).fill(7);
const realClock: Clock = { now: () => new Date() };
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface FleetCard {
  readonly image: CardImage;
  readonly card: VirtualCard;
  readonly channel: GetResponseChannel;
}

export interface Fleet {
  readonly pki: Pki;
  readonly cards: FleetCard[];
  readonly entries: InventoryEntry[];
  readonly inventory: Inventory;
  /** The HSS as the server sees it (provisioner). */
  readonly hss: HssClient;
  readonly operatorToken: string;
  readonly authenticator: PrincipalTable;
  /** A server instance on these stores (campaigns fed every tickMs, claims leased for leaseMs). */
  server(o: InstanceOptions): Promise<RunningServer>;
  /**
   * The UE agents: each card (or each card `only` takes, by index) polls a live instance (chosen by `urls`) until
   * `stop` is called.
   */
  runUes(
    urls: () => string[],
    only?: (card: number) => boolean,
  ): { stop(): Promise<void>; sessions(): number };
  close(): Promise<void>;
}

export interface InstanceOptions {
  readonly jobStore: JobStore;
  readonly campaignStore: CampaignStore;
  readonly instance: string;
  readonly tickMs?: number;
  readonly leaseMs?: number;
  readonly advertiseUrl?: string;
  readonly logger?: Logger;
  /** The core the server pushes new jobs to. */
  readonly coreUrl?: string;
  /** The jobs' and the feeder's clock (default: the real one); the RAM sessions' checks keep the real one. */
  readonly clock?: Clock;
}

function eidOf(i: number): string {
  return `8904903200000000000000${String(i).padStart(10, '0')}`;
}

/** `cards` cards of `profiles` profiles each (IMSI prefix 00101), batch "B<card % batches>" in the inventory. */
export async function fleet(
  seed: string,
  cards: number,
  profiles: number,
  batches = 2,
  /** Changes a card's image after personalisation (its personalisation file is written before). */
  tweak: (image: CardImage, i: number) => CardImage = (image) => image,
): Promise<Fleet> {
  const rng = new SeededRandom(`fleet-${seed}`);
  const pki = makePki(rng);
  const credentials = issueCredentials(
    DEFAULT_PRINCIPALS,
    new SeededRandom(`cred-${seed}`),
    NOW.toISOString(),
  );
  const authenticator = new PrincipalTable(credentials.records);
  const dir = mkdtempSync(join(tmpdir(), 'ltku-campaign-'));
  const runtime: HssRuntime = await openHssRuntime({ dataDir: dir, kekHex: KEK_HEX });
  const fleetCards: FleetCard[] = [];
  const entries: InventoryEntry[] = [];
  for (let i = 0; i < cards; i++) {
    const image = makeImage(pki, rng, { eid: eidOf(i), profiles, curves: [P256] });
    const file = subscribersFile(image) as Record<string, unknown>;
    for (const sub of parsePersonalisationFile(JSON.stringify(file)).subscribers)
      await runtime.hss.create(sub, 'test');
    entries.push(...parseInventoryFile(JSON.stringify({ ...file, batch: `B${i % batches}` })));
    const served = tweak(image, i);
    const card = new VirtualCard(served, { store: new MemoryCardStore(), clock: new FixedClock(NOW), rng });
    fleetCards.push({ image: served, card, channel: new GetResponseChannel(card) });
  }
  const hssHttp = await listenHss({
    hss: runtime.hss,
    auc: runtime.auc,
    logger: runtime.logger,
    authenticator,
  });
  const hss = new HssClient(hssHttp.url, { token: credentials.tokens.get(ROLE_PROVISIONER) as string });
  const inventory = new Inventory(entries);
  let starts = 0;
  const f: Fleet = {
    pki,
    cards: fleetCards,
    entries,
    inventory,
    hss,
    operatorToken: credentials.tokens.get(ROLE_OPERATOR) as string,
    authenticator,
    server: (o) =>
      listenServer({
        store: o.jobStore,
        hss,
        kek: SERVER_KEK,
        authenticator,
        inventory: new Inventory(entries),
        logger: o.logger ?? silentLogger,
        clock: o.clock ?? realClock,
        reconcileIntervalMs: 0,
        campaigns: {
          store: o.campaignStore,
          instance: o.instance,
          ...(o.tickMs === undefined ? {} : { tickMs: o.tickMs }),
          ...(o.leaseMs === undefined ? {} : { leaseMs: o.leaseMs }),
        },
        ...(o.advertiseUrl === undefined ? {} : { advertiseUrl: o.advertiseUrl }),
        ...(o.coreUrl === undefined ? {} : { coreUrl: o.coreUrl }),
        // Each start its own seed: an instance restarted under its name must not draw its job ids again.
        session: serverSession(pki, realClock, new SeededRandom(`server-${seed}-${o.instance}-${starts++}`)),
      }),
    runUes(urls, only = () => true) {
      let stopped = false;
      let sessions = 0;
      const loops = fleetCards
        .filter((_, i) => only(i))
        .map(async (c) => {
          while (!stopped) {
            const live = urls();
            if (live.length === 0) {
              await delay(20);
              continue;
            }
            const url = live[Math.floor(Math.random() * live.length)];
            try {
              const r = await runRamSession({ url, eid: c.image.eid, channel: c.channel, timeoutMs: 5_000 });
              if (r.posts > 1) sessions++;
              else await delay(100); // nothing for this card now
            } catch {
              await delay(100); // the instance died mid-session: start again, anywhere
            }
          }
        });
      return {
        async stop() {
          stopped = true;
          await Promise.all(loops);
        },
        sessions: () => sessions,
      };
    },
    async close() {
      await hssHttp.close();
      await runtime.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return f;
}

/** A server instance of `f` on in-memory SQLite stores: the job store for the test to read, close for both. */
export async function sqliteServer(
  f: Fleet,
  o: Omit<InstanceOptions, 'jobStore' | 'campaignStore'>,
): Promise<{ server: RunningServer; jobStore: SqliteJobStore; close(): Promise<void> }> {
  const jobStore = new SqliteJobStore(':memory:');
  const server = await f.server({ ...o, jobStore, campaignStore: new SqliteCampaignStore(':memory:') });
  return {
    server,
    jobStore,
    close: async () => {
      await server.close();
      await jobStore.close();
    },
  };
}

/** An admin API call as the operator. */
export async function admin(adminUrl: string, token: string, method: string, path: string, body?: object) {
  const r = await fetch(`${adminUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(20_000),
  });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}

/** Waits until `check` holds (polling), or fails naming `what`. */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs = 40_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await delay(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A logger that keeps the `event` of every entry (tests count them). */
export function eventLogger(): { logger: Logger; events: string[] } {
  const events: string[] = [];
  const keep = (o: object | string) => {
    if (typeof o === 'object' && 'event' in o) events.push(String((o as { event: unknown }).event));
  };
  const logger: Logger = {
    trace: keep,
    debug: keep,
    info: keep,
    warn: keep,
    error: keep,
    child: () => logger,
  };
  return { logger, events };
}
