// DESIGN.md 6: a key-update job and its states. Keys stay sealed (AES-GCM under the server's KEK) in the record.
// The transaction id is bytes in the record, hex in the stored JSON document and in the operator's view.
import { fromHex, toHex } from '../bytes/index.js';
import { TRANSACTION_ID_LENGTH } from '../gp/index.js';

/**
 * pending  created, new keys drawn and sealed
 * staged   the HSS holds them as candidate (DESIGN.md 6 step 1); with a backend without candidates (osmo-hlr,
 *          DESIGN.md 8) only the subscriber was checked: the HSS still serves the old keys alone. A session
 *          writes staged and sent in one write (both in the history); a stored job is staged only from older
 *          versions, and a pending job may already have its candidate staged (it owns it: DESIGN.md 6 step 4)
 * sent     BF70 is on its way to the card (the outcome may be lost: resume asks BF72). Without candidates no
 *          self-healing at attach: a card that applied the keys cannot attach until a RAM session (over another
 *          bearer) gets BF73 and the server writes them (docs/osmo-hlr.md)
 * applied  the card reported them applied; the HSS commit (without candidates: the key write, read back) is
 *          outstanding and retried by the reconciler and the card's next session. Without candidates the card
 *          cannot attach and the old keys still work until it succeeds
 * completed  committed at the HSS (without candidates: written and read back equal)
 * failed / cancelled  final; the HSS candidate was aborted (nothing to abort without candidates)
 */
export type JobState = 'pending' | 'staged' | 'sent' | 'applied' | 'completed' | 'failed' | 'cancelled';

/** Open jobs: at most one per ICCID (a unique partial index in both SQL backends, DESIGN.md 7). */
export const ACTIVE_STATES: readonly JobState[] = ['pending', 'staged', 'sent', 'applied'];
/** Ended jobs: they hold no ICCID, but a campaign's ended job still holds its (campaign, ICCID). */
export const FINAL_STATES: readonly JobState[] = ['completed', 'failed', 'cancelled'];
/** Every state: a campaign's job of an ICCID, whatever became of it. */
export const ALL_JOB_STATES: readonly JobState[] = [...ACTIVE_STATES, ...FINAL_STATES];
/** States in which the card still needs a session. */
export const CARD_STATES: readonly JobState[] = ['pending', 'staged', 'sent'];

export interface JobEvent {
  readonly state: JobState;
  readonly at: string;
  readonly detail?: string;
}

export interface JobRecord {
  readonly id: string;
  readonly iccid: string;
  readonly imsi: string;
  readonly eid: string;
  readonly algorithm: 'milenage' | 'tuak';
  readonly keyVersion: number;
  /** BF70 80 (DESIGN.md 4.5), TRANSACTION_ID_LENGTH bytes. */
  readonly transactionId: Uint8Array;
  /** AES-GCM(KEK, K || OPc, aad = job id). */
  readonly sealedKeys: Uint8Array;
  readonly kLength: number;
  readonly state: JobState;
  readonly history: readonly JobEvent[];
  readonly error?: string;
  /** Outcome 06 was reported (DESIGN.md 4.4), or too many failed attempts in a row (DESIGN.md 7). */
  readonly securityAlarm: boolean;
  /** Sessions in which the card authenticated for this job. */
  readonly sessions: number;
  /** The principal that created the job (or imported its keys). */
  readonly createdBy: string;
  /** Issue 11: the campaign whose feeder created the job; a campaign creates one job per ICCID, ever (an index). */
  readonly campaign?: string;
  /** DESIGN.md 7: sessions that failed without the card deciding (before authentication, or no R-MAC). */
  readonly attempts: number;
  /** Failed attempts since the card last authenticated. */
  readonly consecutiveFailures: number;
  readonly lastAttemptAt?: string;
  /** What the last failed attempt was (failure kind and message, truncated). */
  readonly lastAttemptError?: string;
  /** The job is not offered to a new RAM session before this instant (backoff). */
  readonly nextAttemptAt?: string;
  /** The session that holds the request phase (sent BF70 last); see JobService.claim. */
  readonly requestHolder?: string;
  /** Bumped by every write; writes are compare-and-set on it (DESIGN.md 7). */
  readonly revision: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** The stored JSON document of a record: all but the sealed keys (a column of their own), the id in hex. */
export function jobDoc(j: JobRecord): string {
  const { sealedKeys: _sealed, ...rest } = j;
  return JSON.stringify({ ...rest, transactionId: toHex(j.transactionId) });
}

/**
 * A stored JSON document (jobDoc) back to a record, also one written by an older version: the fields added
 * since take their neutral values.
 */
export function upgradeRecord(doc: string): Omit<JobRecord, 'sealedKeys' | 'revision'> {
  const parsed = JSON.parse(doc) as Partial<Omit<JobRecord, 'transactionId'>> & { transactionId: string };
  return {
    createdBy: 'unknown',
    attempts: 0,
    consecutiveFailures: 0,
    sessions: 0,
    securityAlarm: false,
    ...parsed,
    transactionId: fromHex(parsed.transactionId, 'transactionId', TRANSACTION_ID_LENGTH),
  } as Omit<JobRecord, 'sealedKeys' | 'revision'>;
}

/** The JSON an operator sees: everything but the sealed keys and the session bookkeeping. */
export function jobView(j: JobRecord) {
  return {
    id: j.id,
    iccid: j.iccid,
    imsi: j.imsi,
    eid: j.eid,
    algorithm: j.algorithm,
    keyVersion: j.keyVersion,
    transactionId: toHex(j.transactionId),
    state: j.state,
    history: j.history,
    ...(j.error === undefined ? {} : { error: j.error }),
    securityAlarm: j.securityAlarm,
    sessions: j.sessions,
    createdBy: j.createdBy,
    attempts: j.attempts,
    consecutiveFailures: j.consecutiveFailures,
    ...(j.lastAttemptAt === undefined ? {} : { lastAttemptAt: j.lastAttemptAt }),
    ...(j.lastAttemptError === undefined ? {} : { lastAttemptError: j.lastAttemptError }),
    ...(j.nextAttemptAt === undefined ? {} : { nextAttemptAt: j.nextAttemptAt }),
    createdAt: j.createdAt,
    updatedAt: j.updatedAt,
  };
}

export type JobView = ReturnType<typeof jobView>;
