// DESIGN.md 6 step 4: no candidate stays staged at the HSS without an open job that owns it. The reconciler
// pages through the subscribers with a candidate and aborts each one whose transaction id is not the
// transaction of an open job (pending, staged, sent, applied): left over by a crash, a cancel racing with
// staging, or staged by hand.
import { equalBytes, toHex } from '../bytes/index.js';
import type { Logger } from '../ports/index.js';

/** The part of an HSS subscriber view the reconciler reads (the HSS client's SubscriberView). */
export interface CandidateView {
  readonly imsi: string;
  readonly candidate?: {
    readonly version: number;
    readonly transactionId: Uint8Array;
    readonly stagedAt: Date;
  };
}

/** The HSS calls the reconciler makes (HssClient has them; role provisioner). */
export interface ReconcilerHss {
  listSubscribers(query: { candidate: true; limit: number; offset: number }): Promise<CandidateView[]>;
  abortCandidate(imsi: string, transactionId: Uint8Array): Promise<unknown>;
}

/** Which transactions open jobs own (JobService.openTransactionIds). */
export interface OpenTransactions {
  /** Transaction ids of the open jobs of these IMSIs. */
  openTransactionIds(imsis: readonly string[]): Promise<readonly Uint8Array[]>;
}

/** contracts.md: every 30 s unless told otherwise. */
const DEFAULT_INTERVAL_MS = 30_000;
const PAGE = 500;

/** Aborts the candidates among `views` that no open job owns; returns how many it aborted. */
export async function abortOrphans(
  views: readonly CandidateView[],
  jobs: OpenTransactions,
  hss: Pick<ReconcilerHss, 'abortCandidate'>,
  logger: Logger,
): Promise<number> {
  const staged = views.filter((v) => v.candidate !== undefined);
  if (staged.length === 0) return 0;
  // Read after the HSS: a job stages only after it is stored open, so a live job's candidate is never missed.
  const open = await jobs.openTransactionIds(staged.map((v) => v.imsi));
  let aborted = 0;
  for (const v of staged) {
    const candidate = v.candidate as NonNullable<CandidateView['candidate']>;
    if (open.some((id) => equalBytes(id, candidate.transactionId))) continue;
    const transactionId = toHex(candidate.transactionId);
    try {
      // By transaction id: a candidate staged meanwhile by a new job is not touched (the HSS answers 409).
      await hss.abortCandidate(v.imsi, candidate.transactionId);
      aborted++;
      logger.warn(
        { event: 'candidate-orphan-aborted', imsi: v.imsi, transactionId, keyVersion: candidate.version },
        'aborted an HSS candidate no open job owns',
      );
    } catch (e) {
      logger.warn(
        { event: 'candidate-orphan-abort-failed', imsi: v.imsi, transactionId, error: (e as Error).message },
        'could not abort an orphan HSS candidate',
      );
    }
  }
  return aborted;
}

export class Reconciler {
  readonly #jobs: OpenTransactions;
  readonly #hss: ReconcilerHss;
  readonly #logger: Logger;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<number> | undefined;

  constructor(jobs: OpenTransactions, hss: ReconcilerHss, logger: Logger, intervalMs = DEFAULT_INTERVAL_MS) {
    this.#jobs = jobs;
    this.#hss = hss;
    this.#logger = logger;
    this.#intervalMs = intervalMs;
  }

  /** One pass over every candidate at the HSS; returns how many it aborted. Concurrent calls share a pass. */
  runOnce(): Promise<number> {
    this.#running ??= this.#pass().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #pass(): Promise<number> {
    // All pages first: aborting shrinks the filtered list, which would make offsets skip entries.
    const views: CandidateView[] = [];
    for (let offset = 0; ; offset += PAGE) {
      const page = await this.#hss.listSubscribers({ candidate: true, limit: PAGE, offset });
      views.push(...page);
      if (page.length < PAGE) break;
    }
    return abortOrphans(views, this.#jobs, this.#hss, this.#logger);
  }

  /** Runs a pass now and then every interval (the timer does not keep the process alive). */
  start(): void {
    if (this.#timer !== undefined) return;
    const tick = () =>
      void this.runOnce().catch((e: Error) =>
        this.#logger.warn({ event: 'reconcile-failed', error: e.message }, 'candidate reconciliation failed'),
      );
    this.#timer = setInterval(tick, this.#intervalMs);
    this.#timer.unref();
    tick();
  }

  /** Stops the timer; resolves when a pass under way has ended. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }
}
