// DESIGN.md 5, 7: the server's jobs in SQL. SQLite (better-sqlite3) file or ':memory:'; each call is one statement.
// One open job per ICCID is a unique partial index, one job per campaign and ICCID another (issue 11: a member's
// second job is a conflict even after its first ended); every write is compare-and-set on the record's revision.
import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { ACTIVE_STATES, jobDoc, upgradeRecord, type JobRecord, type JobState } from './job.js';
import { ServerConfigError } from './errors.js';
import { pinOfRow, rowOfPin, type CardPinRow, type CardPinStore } from './card-pins.js';
import type { CardKeyPin } from '../pki/index.js';

export interface JobStore {
  /** Stores a new job; false when another open job holds its ICCID (the unique index said no). */
  insert(job: JobRecord): Promise<boolean>;
  /**
   * Issue 11 (batched job creation): stores new jobs in one statement; per job, false when another open job
   * holds its ICCID or its campaign already has a job of the ICCID, in any state (also one earlier in `jobs`):
   * that one is not stored, the others are.
   */
  insertMany(jobs: readonly JobRecord[]): Promise<boolean[]>;
  /**
   * Compare-and-set: replaces the record only if the stored revision is still `expectedRevision` (and
   * `job.revision` must be that plus one). False when someone else wrote meanwhile.
   */
  update(job: JobRecord, expectedRevision: number): Promise<boolean>;
  get(id: string): Promise<JobRecord | undefined>;
  list(page?: { limit?: number; offset?: number }): Promise<JobRecord[]>;
  /**
   * Up to `limit` jobs in `state`, oldest first, after the job `after` in that order (the reconciler's applied
   * and sent jobs, DESIGN.md 6 step 2: a partial index per state keeps this a short read at 1M jobs).
   */
  inState(state: ReconciledState, page: InStatePage): Promise<JobRecord[]>;
  /** Jobs in one of `states` for these ICCIDs, oldest first. */
  byIccids(iccids: readonly string[], states: readonly JobState[]): Promise<JobRecord[]>;
  /** Jobs in one of `states` for these IMSIs, oldest first. */
  byImsis(imsis: readonly string[], states: readonly JobState[]): Promise<JobRecord[]>;
  close(): Promise<void>;
}

/** The reason a migration gives the open jobs it fails because an older open job holds the same ICCID. */
export const DUPLICATE_OPEN_JOB = 'duplicate-open-job';
export const OPEN_JOB_INDEX = 'key_update_jobs_one_open';
/** Issue 11: a campaign's one job per ICCID, whatever its state (a late second creation is a conflict). */
export const CAMPAIGN_JOB_INDEX = 'key_update_jobs_one_per_campaign';
/** The states the reconciler reads whole (JobStore.inState), each through a partial index of its own. */
export type ReconciledState = 'applied' | 'sent';
/** The partial indexes of the applied jobs (the reconciler's commit retries) and of the sent ones. */
export const APPLIED_JOB_INDEX = 'key_update_jobs_applied';
export const SENT_JOB_INDEX = 'key_update_jobs_sent';
/** Where a page of JobStore.inState ended: the last job's creation time and id. */
export interface JobCursor {
  readonly createdAt: string;
  readonly id: string;
}

/** A page of JobStore.inState: at most `limit` jobs after `after`, written before `updatedBefore` (ISO). */
export interface InStatePage {
  readonly limit: number;
  readonly after?: JobCursor;
  readonly updatedBefore?: string;
}

/** No upper bound on updated_at (ISO strings sort below it). */
const UPDATED_ANY = '\uffff';

/** The bound parameters of an inState query, in the order both drivers write them. */
export function inStateValues(
  state: ReconciledState,
  p: InStatePage,
): [string, string, string, string, number] {
  return [state, p.after?.createdAt ?? '', p.after?.id ?? '', p.updatedBefore ?? UPDATED_ANY, p.limit];
}
/** `state IN ('pending', ...)` for the partial index (constants, not input). */
export const OPEN_STATES_SQL = ACTIVE_STATES.map((s) => `'${s}'`).join(', ');

/** Checked by both drivers before they write `job` over revision `expected`. */
export function checkRevision(job: JobRecord, expected: number): void {
  if (job.revision !== expected + 1) {
    throw new Error(`job ${job.id}: revision ${job.revision} does not follow ${expected}`);
  }
}

/** How far a job got towards the card: the one to keep of duplicates (a sent or applied one may be on the card). */
const PROGRESS: Record<string, number> = { applied: 3, sent: 2, staged: 1, pending: 0 };

/**
 * Migration to the unique index: of the open jobs of one ICCID, the most advanced (then the oldest) stays and each
 * other is failed with DUPLICATE_OPEN_JOB. Returns the records to write (revision bumped).
 */
export function failDuplicates(open: readonly JobRecord[], at: string): JobRecord[] {
  const keep = new Map<string, JobRecord>();
  for (const j of open) {
    const k = keep.get(j.iccid);
    if (k === undefined || (PROGRESS[j.state] ?? 0) > (PROGRESS[k.state] ?? 0)) keep.set(j.iccid, j);
  }
  const failed: JobRecord[] = [];
  for (const j of open) {
    if (keep.get(j.iccid) === j) continue;
    const detail = `${DUPLICATE_OPEN_JOB}: job ${keep.get(j.iccid)?.id} holds ICCID ${j.iccid}`;
    failed.push({
      ...j,
      state: 'failed',
      error: detail,
      history: [...j.history, { state: 'failed', at, detail }],
      revision: j.revision + 1,
      updatedAt: at,
    });
  }
  return failed;
}

/**
 * The campaign of a job's creator `<operator>@campaign:<id>[:poll]` (campaign/campaign.ts campaignActor), as a
 * pattern both JavaScript and PostgreSQL's regular expressions (ARE) read alike.
 */
export const CAMPAIGN_ACTOR_PATTERN = '@campaign:([0-9a-f]{16})(?::poll)?$';
const CAMPAIGN_ACTOR = new RegExp(CAMPAIGN_ACTOR_PATTERN);
/**
 * The same, found in a job doc's JSON text (createdBy's string value, escapes included, up to its closing quote):
 * PostgreSQL's migration parses no JSON, which it refuses for some strings a doc may hold (\u0000, half a
 * surrogate pair in an error text), and a migration that fails would stop every start.
 */
export const CAMPAIGN_ACTOR_IN_DOC_PATTERN = `"createdBy":"(?:[^"\\\\]|\\\\.)*${CAMPAIGN_ACTOR_PATTERN.slice(0, -1)}"`;

/** The campaign of a job's creator, or null (the SQLite driver's SQL function for the migration below). */
export function campaignOfCreator(createdBy: unknown): string | null {
  return typeof createdBy === 'string' ? (CAMPAIGN_ACTOR.exec(createdBy)?.[1] ?? null) : null;
}

/**
 * Migration to the campaign index (jobs stored before the campaign_id column), in one statement run by the
 * database (no job is read into the server, whatever the table's size): each campaign job gets the campaign of
 * its creator, `campaignOf` being the SQL of that; of several jobs of one campaign and ICCID (the race the
 * index now prevents) only the first created is marked, so the index can be built.
 */
export function markOlderCampaignJobsSql(table: string, campaignOf: string): string {
  return `UPDATE ${table} AS t SET campaign_id = m.campaign FROM (
    SELECT id, campaign, row_number() OVER (PARTITION BY campaign, iccid ORDER BY created_at, id) AS n
    FROM (SELECT id, iccid, created_at, ${campaignOf} AS campaign FROM ${table} WHERE doc LIKE '%@campaign:%') AS c
    WHERE campaign IS NOT NULL) AS m
  WHERE t.id = m.id AND m.n = 1`;
}

/** Issue 13: the pins recorded at first use (server/card-pins.ts), one per EID; shared with PostgreSQL. */
export function cardKeyPinsSchema(table: string): string {
  return `CREATE TABLE IF NOT EXISTS ${table} (
  eid       TEXT PRIMARY KEY,
  kid       INTEGER NOT NULL,
  kvn       INTEGER NOT NULL,
  pk_sha256 TEXT NOT NULL,     -- SHA-256 of PK.SD.ECKA (pki/card-key-pin.ts), hex
  pinned_at TEXT NOT NULL
);`;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS key_update_jobs (
  id          TEXT PRIMARY KEY,
  iccid       TEXT NOT NULL,
  imsi        TEXT NOT NULL,
  eid         TEXT NOT NULL,
  state       TEXT NOT NULL,
  sealed_keys BLOB NOT NULL,   -- AES-GCM under the server KEK (DESIGN.md 5)
  doc         TEXT NOT NULL,   -- the rest of the record as JSON (no key material)
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  revision    INTEGER NOT NULL DEFAULT 0,
  campaign_id TEXT             -- issue 11: JobRecord.campaign (CAMPAIGN_JOB_INDEX)
);
CREATE INDEX IF NOT EXISTS key_update_jobs_iccid ON key_update_jobs (iccid, state);
CREATE INDEX IF NOT EXISTS key_update_jobs_imsi ON key_update_jobs (imsi, state);
CREATE INDEX IF NOT EXISTS ${APPLIED_JOB_INDEX} ON key_update_jobs (created_at) WHERE state = 'applied';
CREATE INDEX IF NOT EXISTS ${SENT_JOB_INDEX} ON key_update_jobs (created_at, id) WHERE state = 'sent';
${cardKeyPinsSchema('card_key_pins')}
`;

const UNIQUE_OPEN = `CREATE UNIQUE INDEX IF NOT EXISTS ${OPEN_JOB_INDEX} ON key_update_jobs (iccid)
  WHERE state IN (${OPEN_STATES_SQL})`;

/** The campaign index's definition, shared with the PostgreSQL driver. */
export function uniqueCampaignJobSql(table: string): string {
  return `CREATE UNIQUE INDEX IF NOT EXISTS ${CAMPAIGN_JOB_INDEX} ON ${table} (campaign_id, iccid)
  WHERE campaign_id IS NOT NULL`;
}

interface Row {
  sealed_keys: Buffer;
  doc: string;
  revision: number;
  campaign_id: string | null;
}

const COLUMNS = 'sealed_keys, doc, revision, campaign_id';
/** The SQL function the campaign migration reads a creator's campaign with (campaignOfCreator). */
const CAMPAIGN_OF_FUNCTION = 'ltku_campaign_of';

function toRow(j: JobRecord) {
  return {
    id: j.id,
    iccid: j.iccid,
    imsi: j.imsi,
    eid: j.eid,
    state: j.state,
    sealed_keys: Buffer.from(j.sealedKeys),
    doc: jobDoc(j),
    created_at: j.createdAt,
    updated_at: j.updatedAt,
    revision: j.revision,
    campaign_id: j.campaign ?? null,
  };
}

/**
 * Shared with the PostgreSQL driver: the revision column is authoritative (older docs lack it), and so is the
 * campaign column (a migration marks older campaign jobs in it only).
 */
export function recordOfRow(r: Row): JobRecord {
  return {
    ...upgradeRecord(r.doc),
    sealedKeys: new Uint8Array(r.sealed_keys),
    revision: Number(r.revision),
    ...(r.campaign_id === null || r.campaign_id === undefined ? {} : { campaign: r.campaign_id }),
  };
}

/** Job rows are nobody else's business: the file (and so its -wal/-shm, which SQLite gives its mode) is 0600. */
function createPrivate(path: string): void {
  if (path === ':memory:' || path === '' || path.startsWith('file:')) return;
  if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
  for (const p of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      if (existsSync(p)) chmodSync(p, 0o600);
    } catch {
      // not ours to change (another owner): SQLite still opens it
    }
  }
}

/** Prepared statements kept per SQL text (the IN lists of #by vary with the card's profile count). */
const STATEMENT_CACHE_SIZE = 256;

export class SqliteJobStore implements JobStore, CardPinStore {
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();

  constructor(path: string) {
    try {
      createPrivate(path);
      this.#db = new Database(path);
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma('busy_timeout = 5000');
      this.#migrate();
    } catch (e) {
      throw new ServerConfigError(`job database ${path}: ${(e as Error).message}`);
    }
  }

  #prepare(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      if (this.#statements.size >= STATEMENT_CACHE_SIZE) this.#statements.clear();
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  // Older tables lack the revision and campaign columns and the unique indexes; duplicates of an open job are
  // failed first, older campaign jobs marked with their campaign.
  #migrate(): void {
    this.#db.exec(SCHEMA);
    const columns = this.#db.prepare('PRAGMA table_info(key_update_jobs)').all() as { name: string }[];
    if (!columns.some((c) => c.name === 'revision')) {
      this.#db.exec('ALTER TABLE key_update_jobs ADD COLUMN revision INTEGER NOT NULL DEFAULT 0');
    }
    this.#db.transaction(() => {
      if (!columns.some((c) => c.name === 'campaign_id')) {
        this.#db.exec('ALTER TABLE key_update_jobs ADD COLUMN campaign_id TEXT');
        this.#db.function(CAMPAIGN_OF_FUNCTION, { deterministic: true }, campaignOfCreator);
        this.#db.exec(
          markOlderCampaignJobsSql(
            'key_update_jobs',
            `${CAMPAIGN_OF_FUNCTION}(json_extract(doc, '$.createdBy'))`,
          ),
        );
      }
      const open = (
        this.#db
          .prepare(
            `SELECT ${COLUMNS} FROM key_update_jobs WHERE state IN (${OPEN_STATES_SQL}) ORDER BY created_at, id`,
          )
          .all() as Row[]
      ).map(recordOfRow);
      for (const j of failDuplicates(open, new Date().toISOString())) this.#write(j, j.revision - 1);
      this.#db.exec(UNIQUE_OPEN);
      this.#db.exec(uniqueCampaignJobSql('key_update_jobs'));
    })();
  }

  #write(job: JobRecord, expected: number): boolean {
    checkRevision(job, expected);
    const info = this.#prepare(
      `UPDATE key_update_jobs SET state = @state, sealed_keys = @sealed_keys, doc = @doc,
           updated_at = @updated_at, revision = @revision
         WHERE id = @id AND revision = @expected`,
    ).run({ ...toRow(job), expected });
    return info.changes === 1;
  }

  async insert(job: JobRecord): Promise<boolean> {
    try {
      this.#prepare(
        `INSERT INTO key_update_jobs
             (id, iccid, imsi, eid, state, sealed_keys, doc, created_at, updated_at, revision, campaign_id)
           VALUES (@id, @iccid, @imsi, @eid, @state, @sealed_keys, @doc, @created_at, @updated_at, @revision,
             @campaign_id)`,
      ).run(toRow(job));
      return true;
    } catch (e) {
      const err = e as { code?: string; message?: string };
      if (err.code === 'SQLITE_CONSTRAINT_UNIQUE' && /\.iccid\b/.test(err.message ?? '')) return false;
      throw e;
    }
  }

  // One transaction; a row either unique index (open job, campaign job) refuses is skipped (an upsert DO NOTHING
  // without a target covers every unique index), the others are stored.
  async insertMany(jobs: readonly JobRecord[]): Promise<boolean[]> {
    const insert = this.#prepare(
      `INSERT INTO key_update_jobs
           (id, iccid, imsi, eid, state, sealed_keys, doc, created_at, updated_at, revision, campaign_id)
         VALUES (@id, @iccid, @imsi, @eid, @state, @sealed_keys, @doc, @created_at, @updated_at, @revision,
           @campaign_id)
         ON CONFLICT DO NOTHING`,
    );
    return this.#db.transaction(() => jobs.map((j) => insert.run(toRow(j)).changes === 1))();
  }

  async update(job: JobRecord, expectedRevision: number): Promise<boolean> {
    return this.#write(job, expectedRevision);
  }

  async get(id: string): Promise<JobRecord | undefined> {
    const row = this.#prepare(`SELECT ${COLUMNS} FROM key_update_jobs WHERE id = ?`).get(id) as
      Row | undefined;
    return row === undefined ? undefined : recordOfRow(row);
  }

  async list(page: { limit?: number; offset?: number } = {}): Promise<JobRecord[]> {
    const rows = this.#prepare(
      `SELECT ${COLUMNS} FROM key_update_jobs ORDER BY created_at, id LIMIT ? OFFSET ?`,
    ).all(page.limit ?? 100, page.offset ?? 0) as Row[];
    return rows.map(recordOfRow);
  }

  async inState(state: ReconciledState, page: InStatePage): Promise<JobRecord[]> {
    const rows = this.#prepare(
      `SELECT ${COLUMNS} FROM key_update_jobs WHERE state = ? AND (created_at, id) > (?, ?) AND updated_at < ?
       ORDER BY created_at, id LIMIT ?`,
    ).all(...inStateValues(state, page)) as Row[];
    return rows.map(recordOfRow);
  }

  async byIccids(iccids: readonly string[], states: readonly JobState[]): Promise<JobRecord[]> {
    return this.#by('iccid', iccids, states);
  }

  async byImsis(imsis: readonly string[], states: readonly JobState[]): Promise<JobRecord[]> {
    return this.#by('imsi', imsis, states);
  }

  #by(column: 'iccid' | 'imsi', values: readonly string[], states: readonly JobState[]): JobRecord[] {
    if (values.length === 0 || states.length === 0) return [];
    const rows = this.#prepare(
      `SELECT ${COLUMNS} FROM key_update_jobs
         WHERE ${column} IN (${values.map(() => '?').join(',')}) AND state IN (${states.map(() => '?').join(',')})
         ORDER BY created_at, id`,
    ).all(...values, ...states) as Row[];
    return rows.map(recordOfRow);
  }

  async cardPin(eid: string): Promise<CardKeyPin | undefined> {
    const row = this.#prepare('SELECT kid, kvn, pk_sha256 FROM card_key_pins WHERE eid = ?').get(eid) as
      CardPinRow | undefined;
    return row === undefined ? undefined : pinOfRow(row);
  }

  async pinCard(eid: string, pin: CardKeyPin, at: string): Promise<CardKeyPin> {
    this.#prepare(
      `INSERT INTO card_key_pins (eid, kid, kvn, pk_sha256, pinned_at)
         VALUES (@eid, @kid, @kvn, @pk_sha256, @pinned_at) ON CONFLICT (eid) DO NOTHING`,
    ).run(rowOfPin(eid, pin, at));
    return (await this.cardPin(eid)) as CardKeyPin;
  }

  async close(): Promise<void> {
    this.#statements.clear();
    this.#db.close();
  }
}
