// Issue 11, DESIGN.md 5, 8: campaigns and their members in their own tables, beside the jobs (SQLite or
// PostgreSQL). The feeders of several instances claim waves of members in one transaction each, the rate
// bucket and the concurrency read under the campaign's row lock, the members with FOR UPDATE SKIP LOCKED
// (PostgreSQL). Every other member write is compare-and-set on its state.
import {
  IN_FLIGHT_STATES,
  type CampaignRecord,
  type MemberCounts,
  type MemberReason,
  type MemberRecord,
  type MemberSeed,
  type MemberState,
} from './campaign.js';

/** What the feeder decides under the campaign's lock: how many members to claim, and the campaign after it. */
export interface WavePlan {
  readonly take: number;
  /** Written with revision + 1 (the bucket after the take). */
  readonly campaign: CampaignRecord;
}

/** The feeder's decision for a wave (see claimWave). */
export type WavePlanner = (c: CampaignRecord, inFlight: number) => WavePlan | undefined;

/** What a member's compare-and-set expects of the stored member. */
export type ExpectedMember = Pick<MemberRecord, 'state' | 'jobId'>;

export interface Lease {
  /** The instance that claims. */
  readonly by: string;
  /** ms since the epoch. */
  readonly until: number;
}

export interface CampaignStore {
  /** The campaign and all its members, in one transaction (seq = position in `members`). */
  create(c: CampaignRecord, members: readonly MemberSeed[]): Promise<void>;
  /**
   * Issue 11: one chunk of a draft's file selection, in one transaction with the campaign's compare-and-set on
   * `c.revision`: members whose ICCID the campaign already holds are skipped (kept once), the others take the
   * positions from `c.total` on (written at `at`), and `next(added)` (revision c.revision + 1) is written. False,
   * nothing written, when the campaign moved since `c` was read.
   */
  appendMembers(
    c: CampaignRecord,
    seeds: readonly MemberSeed[],
    at: string,
    next: (added: number) => CampaignRecord,
  ): Promise<boolean>;
  /**
   * Issue 11: removes a draft and its members (in batches on SQLite: the file's writers are not held up for
   * long); false when `id` is not a draft.
   */
  deleteDraft(id: string): Promise<boolean>;
  get(id: string): Promise<CampaignRecord | undefined>;
  /** Newest first. */
  list(): Promise<CampaignRecord[]>;
  /**
   * The campaigns a feeder's tick works on, newest first: drafts (the sweep), running and paused ones, and
   * cancelled ones not yet finished. Completed and finished campaigns, which pile up over the years, are not read.
   */
  withWork(): Promise<CampaignRecord[]>;
  /** Compare-and-set on the revision (c.revision must be expectedRevision + 1). */
  update(c: CampaignRecord, expectedRevision: number): Promise<boolean>;
  /**
   * One transaction: lock the campaign row, count its in-flight members (IN_FLIGHT_STATES: a stalled member holds
   * no slot), ask `plan`; claim `take` waiting members (notBefore passed) in selection order as feeding under
   * `lease`, and write the campaign. Nothing when `plan` says undefined.
   */
  claimWave(id: string, nowMs: number, lease: Lease, plan: WavePlanner): Promise<MemberRecord[]>;
  /** Feeding members whose lease ran out (their instance died): leased again to `lease.by`. */
  reclaimExpired(id: string, nowMs: number, lease: Lease, limit: number): Promise<MemberRecord[]>;
  /** Members in one of `states` after `afterSeq`, in selection order. */
  members(
    id: string,
    states: readonly MemberState[] | 'all',
    limit: number,
    afterSeq?: number,
  ): Promise<MemberRecord[]>;
  /** Compare-and-set on the member's state (and job id when the member had one). */
  updateMember(next: MemberRecord, expected: ExpectedMember): Promise<boolean>;
  /** Several compare-and-set writes in one transaction (each applies or not on its own); which applied. */
  updateMembers(changes: readonly MemberChange[]): Promise<boolean[]>;
  counts(id: string): Promise<MemberCounts>;
  /** Every waiting member becomes cancelled with `detail`; returns how many. */
  cancelWaiting(id: string, detail: string, at: string): Promise<number>;
  close(): Promise<void>;
}

export interface MemberChange {
  readonly next: MemberRecord;
  readonly expected: ExpectedMember;
}

/** Members a creation writes per statement. */
export const INSERT_CHUNK = 2_000;
/** Members a draft's deletion removes per transaction (SQLite). */
export const DELETE_CHUNK = 10_000;

/**
 * Both drivers' condition on a member's state for the in-flight count of a wave (issue 11 F2: not `stalled`).
 * Constant text (the states are ours, never input), so the statements stay prepared once.
 */
export const IN_FLIGHT_SQL = `state IN (${IN_FLIGHT_STATES.map((s) => `'${s}'`).join(', ')})`;

/**
 * Both drivers' condition for CampaignStore.withWork, campaign.ts fed() and the drafts: a cancelled campaign has
 * work until its last member settled and `finishedAt` is written. The key is looked for in the doc's text, as JSON.stringify writes it (inside a
 * string value its quotes would be escaped): no JSON is parsed in SQL, which PostgreSQL refuses for some
 * strings (a \u0000 in a name), and a feeder's tick must not fail on a campaign's text.
 */
export const WITH_WORK_SQL = `state IN ('draft', 'running', 'paused')
  OR (state = 'cancelled' AND doc NOT LIKE '%"finishedAt":%')`;

/** The stored row of a member (both drivers). */
export interface MemberRow {
  campaign_id: string;
  seq: number | string;
  iccid: string;
  imsi: string;
  state: string;
  job_id: string | null;
  key_version: number | null;
  attempts: number;
  reason: string | null;
  detail: string | null;
  lease_by: string | null;
  lease_until: number | string | null;
  not_before: number | string | null;
  updated_at: string;
}

/** The columns of a new member (waiting, no attempt yet) as both drivers insert it. */
export const SEED_COLUMNS = 'campaign_id, seq, iccid, imsi, state, attempts, updated_at';

/** The columns of a new campaign row, as both drivers insert it. */
export const CAMPAIGN_COLUMNS = 'id, state, doc, revision, created_at, updated_at';

/** The stored row of a campaign as the reads select it (`doc, revision`). */
export interface CampaignRow {
  doc: string;
  revision: number | string;
}

export const MEMBER_COLUMNS =
  'campaign_id, seq, iccid, imsi, state, job_id, key_version, attempts, reason, detail, lease_by, lease_until, not_before, updated_at';

export function memberOfRow(r: MemberRow): MemberRecord {
  return {
    campaignId: r.campaign_id,
    seq: Number(r.seq),
    iccid: r.iccid,
    imsi: r.imsi,
    state: r.state as MemberState,
    ...(r.job_id === null ? {} : { jobId: r.job_id }),
    ...(r.key_version === null ? {} : { keyVersion: Number(r.key_version) }),
    attempts: Number(r.attempts),
    ...(r.reason === null ? {} : { reason: r.reason as MemberReason }),
    ...(r.detail === null ? {} : { detail: r.detail }),
    ...(r.lease_by === null ? {} : { leaseBy: r.lease_by }),
    ...(r.lease_until === null ? {} : { leaseUntil: Number(r.lease_until) }),
    ...(r.not_before === null ? {} : { notBefore: Number(r.not_before) }),
    updatedAt: r.updated_at,
  };
}

/** The member's row values, in MEMBER_COLUMNS order. */
export function rowValuesOf(m: MemberRecord): unknown[] {
  return [
    m.campaignId,
    m.seq,
    m.iccid,
    m.imsi,
    m.state,
    m.jobId ?? null,
    m.keyVersion ?? null,
    m.attempts,
    m.reason ?? null,
    m.detail ?? null,
    m.leaseBy ?? null,
    m.leaseUntil ?? null,
    m.notBefore ?? null,
    m.updatedAt,
  ];
}

/** The stored document of a campaign (all but the columns the queries use). */
export function campaignDoc(c: CampaignRecord): string {
  const { revision: _r, ...rest } = c;
  return JSON.stringify(rest);
}

export function campaignOfRow(r: CampaignRow): CampaignRecord {
  return { ...(JSON.parse(r.doc) as Omit<CampaignRecord, 'revision'>), revision: Number(r.revision) };
}

export function checkCampaignRevision(c: CampaignRecord, expected: number): void {
  if (c.revision !== expected + 1)
    throw new Error(`campaign ${c.id}: revision ${c.revision} does not follow ${expected}`);
}

/** The member as the feeder leases it. */
export function leased(m: MemberRecord, lease: Lease, at: string): MemberRecord {
  return { ...m, state: 'feeding', leaseBy: lease.by, leaseUntil: lease.until, updatedAt: at };
}

/** Tables of both drivers: the BIGINT columns are ms since the epoch. */
export function campaignSchema(campaigns: string, members: string): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${campaigns} (
  id         TEXT PRIMARY KEY,
  state      TEXT NOT NULL,
  doc        TEXT NOT NULL,   -- the campaign as JSON (no key material: identifiers and options)
  revision   INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
)`,
    `CREATE TABLE IF NOT EXISTS ${members} (
  campaign_id TEXT NOT NULL,
  seq         INTEGER NOT NULL,
  iccid       TEXT NOT NULL,
  imsi        TEXT NOT NULL,
  state       TEXT NOT NULL,
  job_id      TEXT,
  key_version INTEGER,
  attempts    INTEGER NOT NULL DEFAULT 0,
  reason      TEXT,
  detail      TEXT,
  lease_by    TEXT,
  lease_until BIGINT,
  not_before  BIGINT,
  updated_at  TEXT NOT NULL,
  PRIMARY KEY (campaign_id, seq)
)`,
    `CREATE INDEX IF NOT EXISTS campaign_members_state ON ${members} (campaign_id, state, seq)`,
    // Issue 11: a subscriber is a member of a campaign once, whichever chunks of its file named it.
    `CREATE UNIQUE INDEX IF NOT EXISTS campaign_members_iccid ON ${members} (campaign_id, iccid)`,
  ];
}
