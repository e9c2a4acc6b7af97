// DESIGN.md 8 / issue 11: a campaign rotates the keys of a selection of subscribers, fed to the key-update jobs in
// waves (at most `concurrency` open at a time, at `rate` per second, inside an optional daily window). Every
// member ends rotated exactly once (one job, one committed key version) or with a named reason.

/**
 * draft      a file selection arriving in chunks (issue 11: 1M lines); never fed nor startable: sealed into
 *            created once every chunk came and none was refused, or deleted
 * created    members stored, nothing fed yet
 * running    the feeders create jobs for waiting members
 * paused     no new jobs; those already created go on and are reconciled
 * cancelled  final for the campaign: waiting members cancelled, jobs not yet at the card cancelled
 * completed  every member has its final state
 */
export type CampaignState = 'draft' | 'created' | 'running' | 'paused' | 'cancelled' | 'completed';

/**
 * waiting    selected, no job yet
 * feeding    claimed by an instance (lease) that is creating (or adopting) its job
 * open       its job exists (jobId); reconciled from the job's state by polling
 * stalled    its job exists but failures before the card authenticated keep it from the card (DESIGN.md 7 alarm;
 *            feeder.ts stalled()): reconciled like open, holding no concurrency slot; open again once the card
 *            authenticates
 * rotated / failed / cancelled  final
 */
export type MemberState = 'waiting' | 'feeding' | 'open' | 'stalled' | 'rotated' | 'failed' | 'cancelled';

export const MEMBER_STATES: readonly MemberState[] = [
  'waiting',
  'feeding',
  'open',
  'stalled',
  'rotated',
  'failed',
  'cancelled',
];
export const FINAL_MEMBER_STATES: readonly MemberState[] = ['rotated', 'failed', 'cancelled'];
/** Members that hold a slot of the campaign's concurrency (a stalled member does not: issue 11 F2). */
export const IN_FLIGHT_STATES: readonly MemberState[] = ['feeding', 'open'];
/** Members whose job exists and is followed by the reconciliation. */
export const WITH_JOB_STATES: readonly MemberState[] = ['open', 'stalled'];
/** Members not yet at their final state: the campaign is not done while one is left. */
export const UNFINISHED_MEMBER_STATES: readonly MemberState[] = ['waiting', 'feeding', 'open', 'stalled'];

/** The named reasons a member ends without rotation (issue 11). */
export const REASON_UNKNOWN_SUBSCRIBER = 'unknown-subscriber';
export const REASON_CARD_REFUSED = 'card-refused';
export const REASON_UNREACHABLE = 'unreachable';
export const REASON_CANCELLED = 'cancelled';
/** The job failed otherwise (key version 255 reached, a duplicate open job failed by a migration). */
export const REASON_JOB_FAILED = 'job-failed';
export type MemberReason =
  | typeof REASON_UNKNOWN_SUBSCRIBER
  | typeof REASON_CARD_REFUSED
  | typeof REASON_UNREACHABLE
  | typeof REASON_CANCELLED
  | typeof REASON_JOB_FAILED;

/** Delivery of a job to the UE: a push through the core (when the server has one), or the UE's next poll. */
export type Delivery = 'push' | 'poll';

/** A daily window, UTC, minutes since midnight; end < start wraps past midnight. */
export interface DailyWindow {
  readonly startMinute: number;
  readonly endMinute: number;
}

export interface CampaignOptions {
  /** New jobs per second, across every instance. */
  readonly rate: number;
  /** Open jobs of the campaign at most (the live job table stays this small). */
  readonly concurrency: number;
  /**
   * Sessions in which the card authenticated without the key update going out, after which a job not yet at the
   * card is cancelled: unreachable. Failures before authentication never count (DESIGN.md 7; feeder.ts).
   */
  readonly maxAttempts: number;
  readonly delivery: Delivery;
  /** New jobs only inside this daily window (absent: any time). */
  readonly window?: DailyWindow;
}

export const DEFAULT_CAMPAIGN_OPTIONS: CampaignOptions = {
  rate: 10,
  concurrency: 100,
  maxAttempts: 10,
  delivery: 'push',
};

/** What was selected, as the operator gave it (for the report). */
export type SelectionSpec =
  | { readonly kind: 'list'; readonly count: number }
  | { readonly kind: 'imsi-range'; readonly first: string; readonly last: string }
  | { readonly kind: 'batch'; readonly batch: string };

/** The feeders' shared token bucket (DESIGN.md 8: a rate across instances lives in the database). */
export interface Bucket {
  readonly tokens: number;
  /** ms since the epoch of the last refill. */
  readonly at: number;
}

/** A bad line of a selection, by its 1-based line number in the file (absent for a range or a batch). */
export interface SelectionProblem {
  readonly line?: number;
  readonly reason: string;
}

/** Issue 11: a draft's file selection as it arrives, a chunk at a time (chunk n is appended once). */
export interface UploadProgress {
  /** Chunks taken (appended, or only checked once the draft was refused): the next chunk's number. */
  readonly chunks: number;
  /** Lines received. */
  readonly lines: number;
  /** Lines naming a profile already selected (by its ICCID or its IMSI, in any chunk): kept once. */
  readonly duplicates: number;
  /** The first bad lines (at most MAX_NAMED_PROBLEMS); any makes the draft unsealable. */
  readonly problems: readonly SelectionProblem[];
  /** Bad lines in all. */
  readonly problemCount: number;
  /** Being deleted: neither appended to nor sealed any more. */
  readonly discarded?: true;
}

/** Bad lines named in one error (or kept in a draft); the rest are counted. */
export const MAX_NAMED_PROBLEMS = 20;

export interface CampaignRecord {
  readonly id: string;
  readonly name: string;
  readonly selection: SelectionSpec;
  readonly options: CampaignOptions;
  readonly state: CampaignState;
  readonly total: number;
  /** A file selection sent in chunks (absent: the selection came in one request). */
  readonly upload?: UploadProgress;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly startedAt?: string;
  /** ms running before the last start/resume (pauses excluded), for the rate and the ETA. */
  readonly activeMs: number;
  /** ISO instant of the last start/resume while running. */
  readonly activeSince?: string;
  /** Set once every member has its final state. */
  readonly finishedAt?: string;
  readonly bucket: Bucket;
  readonly history: readonly {
    readonly state: CampaignState;
    readonly at: string;
    readonly detail: string;
  }[];
  readonly revision: number;
  readonly updatedAt: string;
}

export interface MemberRecord {
  readonly campaignId: string;
  /** Position in the selection (0-based): the feeding order and the report order. */
  readonly seq: number;
  readonly iccid: string;
  readonly imsi: string;
  readonly state: MemberState;
  readonly jobId?: string;
  /** The key version committed (rotated). */
  readonly keyVersion?: number;
  /** The job's failed attempts (DESIGN.md 7) when last seen. */
  readonly attempts: number;
  readonly reason?: MemberReason;
  /** One sentence: why, as the job or the feeder said it (never key material). */
  readonly detail?: string;
  /** Instance that holds the member while feeding, and until when (ms since the epoch). */
  readonly leaseBy?: string;
  readonly leaseUntil?: number;
  /** Not fed again before this (ms since the epoch), after a failure not of the subscriber's doing. */
  readonly notBefore?: number;
  readonly updatedAt: string;
}

/** A selected subscriber before it is stored. */
export interface MemberSeed {
  readonly iccid: string;
  readonly imsi: string;
}

export type MemberCounts = Record<MemberState, number>;

export function emptyCounts(): MemberCounts {
  return { waiting: 0, feeding: 0, open: 0, stalled: 0, rotated: 0, failed: 0, cancelled: 0 };
}

const WINDOW = /^([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-3]):([0-5][0-9])$/;

/** `HH:MM-HH:MM` (UTC) to a window; undefined when malformed or empty (start = end). */
export function parseWindow(text: string): DailyWindow | undefined {
  const m = WINDOW.exec(text);
  if (m === null) return undefined;
  const startMinute = Number(m[1]) * 60 + Number(m[2]);
  const endMinute = Number(m[3]) * 60 + Number(m[4]);
  return startMinute === endMinute ? undefined : { startMinute, endMinute };
}

export function formatWindow(w: DailyWindow): string {
  const hm = (m: number) =>
    `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  return `${hm(w.startMinute)}-${hm(w.endMinute)}`;
}

/** Is `now` inside the window (start inclusive, end exclusive; wrapping past midnight)? */
export function inWindow(w: DailyWindow | undefined, now: Date): boolean {
  if (w === undefined) return true;
  const m = now.getUTCHours() * 60 + now.getUTCMinutes();
  return w.startMinute < w.endMinute
    ? m >= w.startMinute && m < w.endMinute
    : m >= w.startMinute || m < w.endMinute;
}

/** Token bucket refilled at `rate` per second up to one second's worth (at least 1): the tokens there are now. */
export function refill(bucket: Bucket, rate: number, nowMs: number): number {
  const burst = Math.max(1, rate);
  const elapsed = Math.max(0, nowMs - bucket.at) / 1000;
  return Math.min(burst, bucket.tokens + elapsed * rate);
}

/**
 * DESIGN.md 8: a campaign the feeder works on (reclaim, reconcile, feed, finish): running, paused, or cancelled
 * with members still to settle. CampaignStore.withWork selects these, and drafts for the sweep.
 */
export function fed(c: Pick<CampaignRecord, 'state' | 'finishedAt'>): boolean {
  return c.state === 'running' || c.state === 'paused' || (c.state === 'cancelled' && !c.finishedAt);
}

/** The job creator of a campaign (the audit trail's actor); `:poll` asks the server not to push its jobs. */
export function campaignActor(c: Pick<CampaignRecord, 'id' | 'createdBy' | 'options'>): string {
  return `${c.createdBy}@campaign:${c.id}${c.options.delivery === 'poll' ? POLL_SUFFIX : ''}`;
}

const POLL_SUFFIX = ':poll';
const POLLED_ACTOR = /@campaign:[0-9a-f]{16}:poll$/;

/** Issue 11: a job of a campaign that waits for the UE's poll is not pushed through the core. */
export function pushWanted(job: { readonly createdBy: string }): boolean {
  return !POLLED_ACTOR.test(job.createdBy);
}

/** Wraps the server's push notifier: jobs of campaigns that wait for the UE's poll are not pushed. */
export function unlessPolled<J extends { readonly createdBy: string }>(
  push: (job: J) => Promise<void>,
): (job: J) => Promise<void> {
  return async (job) => (pushWanted(job) ? push(job) : undefined);
}
