// The fleet run (issue 11, DESIGN.md 8): N virtual cards, each with its UE agent, in one process. A pool of
// `concurrency` UEs takes the cards in turn; each runs RAM sessions (ue/ram-agent.ts) against the server's RAM
// endpoint until its profiles carry the new keys and the server reports the job completed, surviving the faults
// of faults.ts (a dropped connection is resumed by the agent; a card that lost power is powered on again from its
// last stored image and the UE starts over), then attaches each profile through the core (ue/attach.ts).
import type { RandomSource } from '../crypto/index.js';
import { VirtualCard, type CardImage, type CardStore } from '../card/index.js';
import type { StaticSecretCache } from '../gp/index.js';
import { GetResponseChannel } from '../iso7816/index.js';
import type { VerifiedCertificateCache } from '../pki/index.js';
import { silentLogger, type Clock, type Logger } from '../ports/index.js';
import { attach, CoreClient } from '../ue/index.js';
import { RamAgentError, runRamSession, type RamSessionReport } from '../ue/ram-agent.js';
import { CardPowerLoss, FleetConfigError } from './errors.js';
import {
  CrashingCardStore,
  faultNames,
  faultsOfCard,
  faultyFetch,
  NO_FAULTS,
  PowerLossChannel,
  type FaultKind,
  type FaultSettings,
} from './faults.js';

/** One card of the fleet as its source hands it out: the image and where its changes go. */
export interface FleetCard {
  readonly image: CardImage;
  readonly store: CardStore;
}

/** Where the cards live (in memory, or one SQLite file: cli/commands/fleet/support/fleet-db.ts). */
export interface FleetSource {
  readonly size: number;
  open(card: number): FleetCard | Promise<FleetCard>;
}

export interface FleetRunOptions {
  readonly source: FleetSource;
  /**
   * The servers' RAM endpoints (GPC Amd B admin URLs); card i starts its sessions at ramUrls[i mod n], and after a
   * session that failed starts the next one at the following URL (DESIGN.md 8: the UE starts again anywhere).
   */
  readonly ramUrls: readonly string[];
  /** The core: each profile attaches after its key update (absent: no attach). */
  readonly coreUrl?: string;
  readonly fetch: typeof fetch;
  /** The cards' clock and randomness (certificate validity, ephemeral keys). */
  readonly clock: Clock;
  readonly rng: RandomSource;
  /** Monotonic milliseconds (latencies) and a pause. */
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** UE agents running at once. */
  readonly concurrency: number;
  readonly faults: FaultSettings;
  /** Pause before the next session while a job is not done (the server may be backing it off). */
  readonly pollIntervalMs: number;
  /** Per card: give up (outcome failed) after this long. */
  readonly timeoutMs: number;
  /**
   * Push instead of polling first (DESIGN.md 4.7): every card attaches, `order` runs (the server pushes each new
   * job through the core), then each UE opens its event stream and starts its session when the notice comes (or
   * polls after `pushWaitMs` without one). Needs coreUrl.
   */
  readonly push?: { readonly pushWaitMs: number };
  /** Runs after the push-mode attaches and before any session (the operator orders the jobs here). */
  readonly order?: () => Promise<void>;
  /** The server's state of the job of a profile (operator view), asked once the card holds the new keys. */
  readonly jobState?: (iccid: string) => Promise<string | undefined>;
  /** Shared by every card (the fleet's own cost, not the server's, is what they save). */
  readonly staticSecrets?: StaticSecretCache;
  readonly verifiedCertificates?: VerifiedCertificateCache;
  readonly logger?: Logger;
  readonly onCardDone?: (r: CardRunResult, done: number) => void;
}

export interface ProfileRun {
  readonly iccid: string;
  readonly imsi: string;
  readonly fromVersion: number;
  readonly toVersion: number;
  /** Absent: no attach was asked for. */
  readonly attach?: 'attached' | 'rejected';
  readonly attachReason?: string;
}

export interface CardRunResult {
  readonly card: number;
  readonly eid: string;
  readonly outcome: 'rotated' | 'failed';
  readonly reason?: string;
  readonly profiles: readonly ProfileRun[];
  readonly faults: readonly FaultKind[];
  readonly sessions: number;
  readonly resumes: number;
  readonly posts: number;
  readonly powerLosses: number;
  /** Push mode: whether the notice came before the UE gave up waiting. */
  readonly pushed?: boolean;
  /** From the first POST to the confirmed update of every profile. */
  readonly updateMs: number;
  /** Absent: no attach was asked for (or the card was not rotated). */
  readonly attachMs?: number;
}

export interface FleetRunResult {
  readonly cards: readonly CardRunResult[];
  /** Wall time of the key updates of every card. */
  readonly updatesMs: number;
  /** Wall time of the attaches after them (0: none). */
  readonly attachesMs: number;
}

class CardAgent {
  #store: CrashingCardStore;
  #card: VirtualCard;
  #current: CardImage;

  constructor(
    readonly o: FleetRunOptions,
    fleetCard: FleetCard,
  ) {
    const inner = fleetCard.store;
    this.#current = fleetCard.image;
    this.#store = new CrashingCardStore({
      save: (image) => {
        inner.save(image);
        this.#current = image;
      },
      close: () => inner.close?.(),
    });
    this.#card = this.#boot();
  }

  get image(): CardImage {
    return this.#card.image;
  }

  // The card's power-on from what it last stored (an interrupted write left the old image, whole).
  #boot(): VirtualCard {
    this.#store.powerOn();
    return new VirtualCard(this.#current, {
      store: this.#store,
      clock: this.o.clock,
      rng: this.o.rng,
      ...(this.o.staticSecrets ? { staticSecrets: this.o.staticSecrets } : {}),
      ...(this.o.verifiedCertificates ? { verifiedCertificates: this.o.verifiedCertificates } : {}),
    });
  }

  powerCycle(): void {
    this.#card = this.#boot();
  }

  channel(): GetResponseChannel {
    return new GetResponseChannel(new PowerLossChannel(this.#card, this.#store));
  }

  armCrash(on: boolean): void {
    if (on) this.#store.arm();
    else this.#store.disarm();
  }

  close(): void {
    this.#store.close();
  }
}

/** Key update of one card, to the end or to its deadline; never throws for a card's own failure. */
async function runCard(o: FleetRunOptions, index: number, listen?: PushListen): Promise<CardRunResult> {
  const fleetCard = await o.source.open(index);
  const agent = new CardAgent(o, fleetCard);
  const faults = faultsOfCard(o.faults, index);
  let ramUrl = o.ramUrls[index % o.ramUrls.length];
  let pushed: boolean | undefined;
  if (o.push !== undefined && o.coreUrl !== undefined) {
    // A UE whose attach failed has no stream: it polls, as a UE that is not attached does
    const url = listen && (await waitForPush(o, o.coreUrl, listen, o.push.pushWaitMs));
    pushed = url !== undefined;
    if (url !== undefined) ramUrl = url;
  }
  const start = o.now();
  const deadline = start + o.timeoutMs;
  const before = agent.image.profiles.map((p) => p.keyVersion);
  const rotated = () => agent.image.profiles.every((p, i) => p.keyVersion > before[i]);
  let sessions = 0;
  let resumes = 0;
  let posts = 0;
  let powerLosses = 0;
  let reason: string | undefined;
  let last: RamSessionReport | undefined;
  const confirmed = async (): Promise<boolean> => {
    if (!rotated()) return false;
    if (agent.image.profiles.length === 1 && last?.job?.state === 'completed') return true;
    if (o.jobState === undefined) return last?.job === undefined || last.job.state === 'completed';
    for (const p of agent.image.profiles) if ((await o.jobState(p.iccid)) !== 'completed') return false;
    return true;
  };
  try {
    for (;;) {
      if (o.now() > deadline) {
        const keys = rotated() ? 'card holds the new keys' : 'card holds the old keys';
        const error = reason === undefined ? '' : `; last error: ${reason}`;
        reason = `not confirmed within ${o.timeoutMs} ms (${keys}; last job state ${last?.job?.state ?? 'none'}${error})`;
        break;
      }
      const f = sessions === 0 ? faults : NO_FAULTS;
      sessions++;
      agent.armCrash(f.cardCrash);
      try {
        last = await runRamSession({
          url: ramUrl,
          eid: agent.image.eid,
          channel: agent.channel(),
          fetch: faultyFetch(o.fetch, f),
          logger: o.logger ?? silentLogger,
        });
        resumes += last.resumes;
        posts += last.posts;
        reason = undefined;
      } catch (e) {
        if (e instanceof CardPowerLoss) {
          powerLosses++;
          agent.powerCycle();
          continue;
        }
        if (!(e instanceof RamAgentError)) throw e;
        reason = e.message;
        // DESIGN.md 8: an instance that died mid-session is not waited for; BF72 resumes the job on another
        ramUrl = o.ramUrls[(o.ramUrls.indexOf(ramUrl) + 1) % o.ramUrls.length];
        await o.sleep(o.pollIntervalMs);
        continue;
      } finally {
        agent.armCrash(false);
      }
      if (await confirmed()) {
        reason = undefined;
        break;
      }
      await o.sleep(o.pollIntervalMs);
    }
  } catch (e) {
    reason = `unexpected: ${(e as Error).message}`;
  }
  const updateMs = o.now() - start;
  const profiles: ProfileRun[] = agent.image.profiles.map((p, i) => ({
    iccid: p.iccid,
    imsi: p.imsi,
    fromVersion: before[i],
    toVersion: p.keyVersion,
  }));
  agent.close();
  return {
    card: index,
    eid: agent.image.eid,
    outcome: reason === undefined ? 'rotated' : 'failed',
    ...(reason === undefined ? {} : { reason }),
    profiles,
    faults: faultNames(faults),
    sessions,
    resumes,
    posts,
    powerLosses,
    ...(pushed === undefined ? {} : { pushed }),
    updateMs,
  };
}

/** contracts.md: the core's push event that names the server's RAM URL (server/push.ts sends it). */
export const EVENT_KEY_UPDATE_PENDING = 'key-update-pending';

/** An attached UE of push mode: the IMSI it attached and the token that opens its event stream (DESIGN.md 7). */
interface PushListen {
  readonly imsi: string;
  readonly attachToken: string;
}

async function attachToListen(
  o: FleetRunOptions,
  coreUrl: string,
  index: number,
): Promise<PushListen | undefined> {
  const agent = new CardAgent(o, await o.source.open(index));
  try {
    const p = agent.image.profiles[0];
    const a = await attach(agent.channel(), { iccid: p.iccid, coreUrl, fetch: o.fetch });
    return a.attachToken === undefined ? undefined : { imsi: a.imsi, attachToken: a.attachToken };
  } catch {
    return undefined;
  } finally {
    agent.close();
  }
}

/** The RAM URL of the first key-update notice on the UE's event stream; undefined after `waitMs` without one. */
async function waitForPush(
  o: FleetRunOptions,
  coreUrl: string,
  listen: PushListen,
  waitMs: number,
): Promise<string | undefined> {
  const abort = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await new Promise<string | undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), waitMs);
      new CoreClient(coreUrl, { fetch: o.fetch })
        .events(
          listen.imsi,
          listen.attachToken,
          (e) => {
            if (e.type !== EVENT_KEY_UPDATE_PENDING) return;
            resolve(typeof e.data.url === 'string' ? e.data.url : o.ramUrls[0]);
          },
          abort.signal,
        )
        .then(
          () => resolve(undefined),
          () => resolve(undefined),
        );
    });
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}

// Step 7 of DESIGN.md 1 for every profile of a rotated card: attach through the core with the keys it now holds.
async function attachCard(o: FleetRunOptions, coreUrl: string, r: CardRunResult): Promise<CardRunResult> {
  if (r.outcome !== 'rotated') return r;
  const agent = new CardAgent(o, await o.source.open(r.card));
  const start = o.now();
  const profiles: ProfileRun[] = [];
  try {
    for (const p of r.profiles) {
      // A UE whose attach got no answer tries again (TS 24.501 5.5.1.2.7: a few attempts before it backs off)
      for (let attempt = 1; ; attempt++) {
        try {
          const a = await attach(agent.channel(), { iccid: p.iccid, coreUrl, fetch: o.fetch });
          profiles.push({ ...p, attach: a.state, ...(a.reason ? { attachReason: a.reason } : {}) });
          break;
        } catch (e) {
          if (attempt < MAX_ATTACH_ATTEMPTS) {
            await o.sleep(o.pollIntervalMs);
            continue;
          }
          profiles.push({ ...p, attach: 'rejected', attachReason: (e as Error).message });
          break;
        }
      }
    }
  } finally {
    agent.close();
  }
  return { ...r, profiles, attachMs: o.now() - start };
}

/** TS 24.501 5.5.1.2.7: attach attempts of a UE before it gives up (the attempt counter's limit is 5). */
const MAX_ATTACH_ATTEMPTS = 5;

/** `body` for each of `count` items, `concurrency` at a time. */
async function pool(count: number, concurrency: number, body: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) await body(i);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, worker));
}

/** Key updates of every card of the source, `concurrency` at a time; then, with a core, every attach. */
export async function runFleet(o: FleetRunOptions): Promise<FleetRunResult> {
  const results: CardRunResult[] = new Array(o.source.size);
  const listening: (PushListen | undefined)[] = new Array(o.source.size);
  const coreForPush = o.push === undefined ? undefined : o.coreUrl;
  if (o.push !== undefined && coreForPush === undefined)
    throw new FleetConfigError('push mode needs the core (coreUrl)');
  if (coreForPush !== undefined)
    await pool(o.source.size, o.concurrency, async (i) => {
      listening[i] = await attachToListen(o, coreForPush, i);
    });
  await o.order?.();
  let done = 0;
  const start = o.now();
  await pool(o.source.size, o.concurrency, async (i) => {
    results[i] = await runCard(o, i, listening[i]);
    o.onCardDone?.(results[i], ++done);
  });
  const updatesMs = o.now() - start;
  const coreUrl = o.coreUrl;
  if (coreUrl === undefined) return { cards: results, updatesMs, attachesMs: 0 };
  const attachStart = o.now();
  await pool(o.source.size, o.concurrency, async (i) => {
    results[i] = await attachCard(o, coreUrl, results[i]);
  });
  return { cards: results, updatesMs, attachesMs: o.now() - attachStart };
}
