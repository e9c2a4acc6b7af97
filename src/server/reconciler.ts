// DESIGN.md 6 step 4: no candidate stays staged at the HSS without an open job that owns it. The reconciler
// pages through the subscribers with a candidate and aborts each one whose transaction id is not the
// transaction of an open job (pending, staged, sent, applied): left over by a crash, a cancel racing with
// staging, or staged by hand. DESIGN.md 6 step 2: each pass also retries the HSS commit of the jobs the card
// applied (state applied), so a commit the HSS refused or missed completes without waiting for the card's next
// session; with a backend without candidates (osmo-hlr) that is the whole pass. And it completes the sent jobs
// whose transaction the HSS already holds active (an instance died between the HSS commit and its write).
import { equalBytes, toHex } from '../bytes/index.js';
import type { HssClient } from '../hss/client/index.js';
import type { Logger } from '../ports/index.js';
import type { CandidateView, HssRole } from './hss-role.js';
import { hssRoleOf } from './ltku-hss.js';

/** The HSS calls the reconciler makes (role provisioner). */
export type ReconcilerHss = Pick<HssRole, 'hasCandidates' | 'listCandidates' | 'abort'>;

/** Which transactions open jobs own (JobService.openTransactionIds). */
export interface OpenTransactions {
  /** Transaction ids of the open jobs of these IMSIs. */
  openTransactionIds(imsis: readonly string[]): Promise<readonly Uint8Array[]>;
}

/** The jobs the reconciler looks after: their open transactions, and the commits still owed (JobService). */
export interface ReconciledJobs extends OpenTransactions {
  /** Retries the HSS commit of every applied job; returns how many completed. */
  retryCommits?(): Promise<number>;
  /** Completes the sent jobs whose transaction the HSS already holds active; returns how many. */
  completeCommitted?(): Promise<number>;
}

/** contracts.md: every 30 s unless told otherwise. */
const DEFAULT_INTERVAL_MS = 30_000;
const PAGE = 500;

/** Aborts the candidates among `views` that no open job owns; returns how many it aborted. */
export async function abortOrphans(
  views: readonly CandidateView[],
  jobs: OpenTransactions,
  hss: Pick<HssRole, 'abort'>,
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
      await hss.abort(v.imsi, candidate.transactionId);
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
  readonly #jobs: ReconciledJobs;
  readonly #hss: ReconcilerHss;
  readonly #logger: Logger;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<number> | undefined;

  constructor(
    jobs: ReconciledJobs,
    hss: ReconcilerHss | HssClient,
    logger: Logger,
    intervalMs = DEFAULT_INTERVAL_MS,
  ) {
    this.#jobs = jobs;
    this.#hss = 'hasCandidates' in hss ? hss : hssRoleOf(hss);
    this.#logger = logger;
    this.#intervalMs = intervalMs;
  }

  /**
   * One pass: the commits owed, then every candidate at the HSS; returns how many candidates it aborted.
   * Concurrent calls share a pass.
   */
  runOnce(): Promise<number> {
    this.#running ??= this.#pass().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #pass(): Promise<number> {
    if (this.#jobs.retryCommits !== undefined) {
      const completed = await this.#jobs.retryCommits().catch((e: Error) => {
        this.#logger.warn({ event: 'commit-retry-failed', error: e.message }, 'retrying HSS commits failed');
        return 0;
      });
      if (completed > 0)
        this.#logger.info({ event: 'commits-retried', completed }, 'applied jobs committed at the HSS');
    }
    if (this.#jobs.completeCommitted !== undefined) {
      const completed = await this.#jobs.completeCommitted().catch((e: Error) => {
        this.#logger.warn(
          { event: 'sent-check-failed', error: e.message },
          'checking sent jobs at the HSS failed',
        );
        return 0;
      });
      if (completed > 0)
        this.#logger.info(
          { event: 'sent-jobs-completed', completed },
          'sent jobs completed: the HSS already holds their keys',
        );
    }
    if (!this.#hss.hasCandidates) return 0;
    // All pages first: aborting shrinks the filtered list, which would make offsets skip entries.
    const views: CandidateView[] = [];
    for (let offset = 0; ; offset += PAGE) {
      const page = await this.#hss.listCandidates({ limit: PAGE, offset });
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
