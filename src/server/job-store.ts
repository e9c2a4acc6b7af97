// DESIGN.md 5: the server's jobs in SQL. SQLite (better-sqlite3) file or ':memory:'; each call is one statement.
import Database from 'better-sqlite3';
import type { JobRecord, JobState } from './job.js';
import { ServerConfigError } from './errors.js';

export interface JobStore {
  insert(job: JobRecord): Promise<void>;
  /** Replaces the record; fails when `expected` is given and the stored state differs (lost update). */
  update(job: JobRecord, expected?: JobState): Promise<boolean>;
  get(id: string): Promise<JobRecord | undefined>;
  list(page?: { limit?: number; offset?: number }): Promise<JobRecord[]>;
  /** Jobs in one of `states` for these ICCIDs, oldest first. */
  byIccids(iccids: readonly string[], states: readonly JobState[]): Promise<JobRecord[]>;
  close(): Promise<void>;
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
  updated_at  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS key_update_jobs_iccid ON key_update_jobs (iccid, state);
`;

interface Row {
  sealed_keys: Buffer;
  doc: string;
}

function toRow(j: JobRecord) {
  const { sealedKeys, ...rest } = j;
  return {
    id: j.id,
    iccid: j.iccid,
    imsi: j.imsi,
    eid: j.eid,
    state: j.state,
    sealed_keys: Buffer.from(sealedKeys),
    doc: JSON.stringify(rest),
    created_at: j.createdAt,
    updated_at: j.updatedAt,
  };
}

function fromRow(r: Row): JobRecord {
  return {
    ...(JSON.parse(r.doc) as Omit<JobRecord, 'sealedKeys'>),
    sealedKeys: new Uint8Array(r.sealed_keys),
  };
}

export class SqliteJobStore implements JobStore {
  readonly #db: Database.Database;

  constructor(path: string) {
    try {
      this.#db = new Database(path);
    } catch (e) {
      throw new ServerConfigError(`job database ${path}: ${(e as Error).message}`);
    }
    this.#db.pragma('journal_mode = WAL');
    this.#db.exec(SCHEMA);
  }

  async insert(job: JobRecord): Promise<void> {
    this.#db
      .prepare(
        `INSERT INTO key_update_jobs (id, iccid, imsi, eid, state, sealed_keys, doc, created_at, updated_at)
         VALUES (@id, @iccid, @imsi, @eid, @state, @sealed_keys, @doc, @created_at, @updated_at)`,
      )
      .run(toRow(job));
  }

  async update(job: JobRecord, expected?: JobState): Promise<boolean> {
    const r = toRow(job);
    const info = this.#db
      .prepare(
        `UPDATE key_update_jobs SET state = @state, sealed_keys = @sealed_keys, doc = @doc, updated_at = @updated_at
         WHERE id = @id ${expected === undefined ? '' : 'AND state = @expected'}`,
      )
      .run({ ...r, ...(expected === undefined ? {} : { expected }) });
    return info.changes === 1;
  }

  async get(id: string): Promise<JobRecord | undefined> {
    const row = this.#db.prepare('SELECT sealed_keys, doc FROM key_update_jobs WHERE id = ?').get(id) as
      Row | undefined;
    return row === undefined ? undefined : fromRow(row);
  }

  async list(page: { limit?: number; offset?: number } = {}): Promise<JobRecord[]> {
    const rows = this.#db
      .prepare('SELECT sealed_keys, doc FROM key_update_jobs ORDER BY created_at, id LIMIT ? OFFSET ?')
      .all(page.limit ?? 100, page.offset ?? 0) as Row[];
    return rows.map(fromRow);
  }

  async byIccids(iccids: readonly string[], states: readonly JobState[]): Promise<JobRecord[]> {
    if (iccids.length === 0 || states.length === 0) return [];
    const rows = this.#db
      .prepare(
        `SELECT sealed_keys, doc FROM key_update_jobs
         WHERE iccid IN (${iccids.map(() => '?').join(',')}) AND state IN (${states.map(() => '?').join(',')})
         ORDER BY created_at, id`,
      )
      .all(...iccids, ...states) as Row[];
    return rows.map(fromRow);
  }

  async close(): Promise<void> {
    this.#db.close();
  }
}
