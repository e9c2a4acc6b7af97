// Issue 13, DESIGN.md 5, 7: card-management jobs in SQL, in their own table beside key_update_jobs. At most one
// open job per (EID, slot) is a unique partial index; every write is compare-and-set on the record's revision.
// The schema is created idempotently (CREATE ... IF NOT EXISTS), so every start may run it.
import Database from 'better-sqlite3';
import { ServerConfigError } from '../errors.js';
import {
  OPEN_CARD_JOB_STATES,
  cardJobDoc,
  cardJobOfDoc,
  type CardJobKind,
  type CardJobRecord,
  type CardJobState,
} from './job.js';

export interface CardJobFilter {
  readonly kind?: CardJobKind;
  readonly state?: CardJobState;
  readonly eid?: string;
  readonly batch?: string;
}

/** Jobs per kind and state (for a campaign's progress), optionally of one batch. */
export interface CardJobCount {
  readonly kind: CardJobKind;
  readonly state: CardJobState;
  readonly count: number;
}

export interface CardJobStore {
  /** Stores a new job; false when another open job holds its (EID, slot) (the unique index said no). */
  insert(job: CardJobRecord): Promise<boolean>;
  /** Compare-and-set on `expectedRevision` (job.revision must be that plus one); false if someone wrote meanwhile. */
  update(job: CardJobRecord, expectedRevision: number): Promise<boolean>;
  get(id: string): Promise<CardJobRecord | undefined>;
  /** The open job of (EID, slot), if any. */
  openIn(eid: string, slot: string): Promise<CardJobRecord | undefined>;
  /** Open jobs of an EID, oldest first. */
  openOf(eid: string): Promise<CardJobRecord[]>;
  list(filter?: CardJobFilter, page?: { limit?: number; offset?: number }): Promise<CardJobRecord[]>;
  counts(batch?: string): Promise<CardJobCount[]>;
  close(): Promise<void>;
}

export const CARD_JOB_TABLE = 'card_management_jobs';
export const OPEN_CARD_JOB_INDEX = 'card_management_jobs_one_open';
/** `state IN ('pending', ...)` for the partial index (constants, not input). */
export const OPEN_CARD_STATES_SQL = OPEN_CARD_JOB_STATES.map((s) => `'${s}'`).join(', ');

/** The statements both drivers run to create the table (`table` may be schema-qualified). */
export function cardJobSchema(table: string): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${table} (
      id TEXT PRIMARY KEY, eid TEXT NOT NULL, kind TEXT NOT NULL, slot TEXT NOT NULL, state TEXT NOT NULL,
      batch TEXT, doc TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
      revision INTEGER NOT NULL DEFAULT 0)`,
    `CREATE INDEX IF NOT EXISTS ${CARD_JOB_TABLE}_eid ON ${table} (eid, state)`,
    `CREATE INDEX IF NOT EXISTS ${CARD_JOB_TABLE}_batch ON ${table} (batch, kind, state)`,
    `CREATE UNIQUE INDEX IF NOT EXISTS ${OPEN_CARD_JOB_INDEX} ON ${table} (eid, slot)
      WHERE state IN (${OPEN_CARD_STATES_SQL})`,
  ];
}

/** Checked by both drivers before they write `job` over revision `expected`. */
export function checkCardJobRevision(job: CardJobRecord, expected: number): void {
  if (job.revision !== expected + 1) {
    throw new Error(`card-management job ${job.id}: revision ${job.revision} does not follow ${expected}`);
  }
}

/** The WHERE clause and its values of a filter, with placeholders made by `p(i)`. */
export function filterSql(f: CardJobFilter, p: (i: number) => string): { where: string; values: string[] } {
  const clauses: string[] = [];
  const values: string[] = [];
  for (const column of ['kind', 'state', 'eid', 'batch'] as const) {
    const v = f[column];
    if (v === undefined) continue;
    values.push(v);
    clauses.push(`${column} = ${p(values.length)}`);
  }
  return { where: clauses.length === 0 ? '' : `WHERE ${clauses.join(' AND ')}`, values };
}

interface Row {
  doc: string;
  revision: number;
}

function toRow(j: CardJobRecord) {
  return {
    id: j.id,
    eid: j.eid,
    kind: j.kind,
    slot: j.slot,
    state: j.state,
    batch: j.batch ?? null,
    doc: cardJobDoc(j),
    created_at: j.createdAt,
    updated_at: j.updatedAt,
    revision: j.revision,
  };
}

export function cardJobOfRow(r: Row): CardJobRecord {
  return cardJobOfDoc(r.doc, Number(r.revision));
}

/** SQLite (better-sqlite3): a file (its own connection beside the key-update job store's) or ':memory:'. */
export class SqliteCardJobStore implements CardJobStore {
  readonly #db: Database.Database;

  constructor(path: string) {
    try {
      this.#db = new Database(path);
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma('busy_timeout = 5000');
      for (const statement of cardJobSchema(CARD_JOB_TABLE)) this.#db.exec(statement);
    } catch (e) {
      throw new ServerConfigError(`card-management job database ${path}: ${(e as Error).message}`);
    }
  }

  async insert(job: CardJobRecord): Promise<boolean> {
    try {
      this.#db
        .prepare(
          `INSERT INTO ${CARD_JOB_TABLE} (id, eid, kind, slot, state, batch, doc, created_at, updated_at, revision)
           VALUES (@id, @eid, @kind, @slot, @state, @batch, @doc, @created_at, @updated_at, @revision)`,
        )
        .run(toRow(job));
      return true;
    } catch (e) {
      const err = e as { code?: string; message?: string };
      if (err.code === 'SQLITE_CONSTRAINT_UNIQUE' && /\.slot\b/.test(err.message ?? '')) return false;
      throw e;
    }
  }

  async update(job: CardJobRecord, expectedRevision: number): Promise<boolean> {
    checkCardJobRevision(job, expectedRevision);
    const info = this.#db
      .prepare(
        `UPDATE ${CARD_JOB_TABLE} SET state = @state, doc = @doc, updated_at = @updated_at, revision = @revision
         WHERE id = @id AND revision = @expected`,
      )
      .run({ ...toRow(job), expected: expectedRevision });
    return info.changes === 1;
  }

  async get(id: string): Promise<CardJobRecord | undefined> {
    const row = this.#db.prepare(`SELECT doc, revision FROM ${CARD_JOB_TABLE} WHERE id = ?`).get(id) as
      Row | undefined;
    return row === undefined ? undefined : cardJobOfRow(row);
  }

  async openIn(eid: string, slot: string): Promise<CardJobRecord | undefined> {
    const row = this.#db
      .prepare(
        `SELECT doc, revision FROM ${CARD_JOB_TABLE}
         WHERE eid = ? AND slot = ? AND state IN (${OPEN_CARD_STATES_SQL})`,
      )
      .get(eid, slot) as Row | undefined;
    return row === undefined ? undefined : cardJobOfRow(row);
  }

  async openOf(eid: string): Promise<CardJobRecord[]> {
    const rows = this.#db
      .prepare(
        `SELECT doc, revision FROM ${CARD_JOB_TABLE} WHERE eid = ? AND state IN (${OPEN_CARD_STATES_SQL})
         ORDER BY created_at, id`,
      )
      .all(eid) as Row[];
    return rows.map(cardJobOfRow);
  }

  async list(filter: CardJobFilter = {}, page: { limit?: number; offset?: number } = {}) {
    const { where, values } = filterSql(filter, () => '?');
    const rows = this.#db
      .prepare(
        `SELECT doc, revision FROM ${CARD_JOB_TABLE} ${where} ORDER BY created_at, id LIMIT ? OFFSET ?`,
      )
      .all(...values, page.limit ?? 100, page.offset ?? 0) as Row[];
    return rows.map(cardJobOfRow);
  }

  async counts(batch?: string): Promise<CardJobCount[]> {
    const { where, values } = filterSql(batch === undefined ? {} : { batch }, () => '?');
    return (
      this.#db
        .prepare(
          `SELECT kind, state, COUNT(*) AS count FROM ${CARD_JOB_TABLE} ${where} GROUP BY kind, state
           ORDER BY kind, state`,
        )
        .all(...values) as { kind: CardJobKind; state: CardJobState; count: number }[]
    ).map((r) => ({ kind: r.kind, state: r.state, count: Number(r.count) }));
  }

  async close(): Promise<void> {
    this.#db.close();
  }
}
