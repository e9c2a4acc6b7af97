// DESIGN.md 7: what one more failed attempt (before the card authenticated, or an SW without R-MAC) does to a
// job's bookkeeping, whatever kind of job it is: the backoff doubles from the first to the cap, and every
// alarmAfter-th failure in a row raises a security alarm. Key-update jobs (jobs.ts) and card-management jobs
// (card-management/) share it.
/** DESIGN.md 7: backoff of a job after failed attempts, and the alarm after too many in a row. */
export interface AttemptPolicy {
  /** Backoff after the first failure; it doubles with each further one (default 1 s). */
  readonly firstBackoffMs: number;
  /** Cap of the backoff (default 5 min). */
  readonly maxBackoffMs: number;
  /** A security alarm at every this many consecutive failures (default 10). */
  readonly alarmAfter: number;
}

export const DEFAULT_ATTEMPT_POLICY: AttemptPolicy = {
  firstBackoffMs: 1_000,
  maxBackoffMs: 300_000,
  alarmAfter: 10,
};

/** Stored with an attempt: enough to tell what failed, not a place for a peer to write essays. */
export const ATTEMPT_ERROR_MAX = 200;

/** The attempt fields of a job record (the same names in every job kind). */
export interface AttemptFields {
  readonly attempts: number;
  readonly consecutiveFailures: number;
  readonly lastAttemptAt?: string;
  readonly lastAttemptError?: string;
  readonly nextAttemptAt?: string;
}

/** `error` cut to ATTEMPT_ERROR_MAX UTF-16 units, never between the two halves of a surrogate pair. */
export function attemptError(error: string): string {
  if (error.length <= ATTEMPT_ERROR_MAX) return error;
  const last = error.charCodeAt(ATTEMPT_ERROR_MAX - 1);
  return error.slice(0, last >= 0xd800 && last <= 0xdbff ? ATTEMPT_ERROR_MAX - 1 : ATTEMPT_ERROR_MAX);
}

/** The fields after one more failure at `at` (ISO), and whether this run of failures now raises the alarm. */
export function failedAttempt(
  policy: AttemptPolicy,
  job: AttemptFields,
  at: string,
  error: string,
): { fields: AttemptFields; alarm: boolean } {
  const run = job.consecutiveFailures + 1;
  const backoff = Math.min(policy.maxBackoffMs, policy.firstBackoffMs * 2 ** Math.min(run - 1, 30));
  return {
    fields: {
      attempts: job.attempts + 1,
      consecutiveFailures: run,
      lastAttemptAt: at,
      nextAttemptAt: new Date(Date.parse(at) + backoff).toISOString(),
      lastAttemptError: attemptError(error),
    },
    alarm: run % policy.alarmAfter === 0,
  };
}

/** Whether a job backing off may be offered to a session at `now` (ISO). */
export function attemptDue(job: Pick<AttemptFields, 'nextAttemptAt'>, now: string): boolean {
  return job.nextAttemptAt === undefined || job.nextAttemptAt <= now;
}
