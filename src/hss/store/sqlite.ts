// SQLite driver (better-sqlite3): the embedded default. WAL journal, synchronous=NORMAL (durable across process
// crashes; a power cut may lose the last transactions but never corrupts), statements prepared once. Every call
// is one synchronous statement or transaction, so SQN updates are atomic; BEGIN IMMEDIATE serialises writers
// across processes sharing the file. secure_delete zeroes what a write frees, and a write that destroys keys
// checkpoints the WAL (within a second, and at close), so overwritten keys do not linger in free pages or old WAL
// frames (DESIGN.md 6 step 2).
import { closeSync, existsSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { ConflictError, StoreFailureError, UnknownSubscriberError } from '../errors.js';
import type { AuditEvent } from '../client/model.js';
import type { SubscriberRecord } from '../subscriber.js';
import {
  auditValues,
  AUDIT_COLUMNS,
  recordValues,
  rowToAudit,
  rowToRecord,
  vectorVersionOf,
  type Neutral,
  type RowReader,
} from './columns.js';
import { MIGRATIONS, MIGRATIONS_TABLE, SQLITE } from './migrations/index.js';
import {
  insertNewSubscriberSql,
  insertSubscriberSql,
  issueSqnSql,
  purgeVectorsSql,
  recordVectorSql,
  takeVectorSql,
  updateSubscriberSql,
} from './sql.js';
import type { Change, IssuedVector, ListFilter, NewRecord, SubscriberStore, VectorRef } from './store.js';
import { isHssError } from './wrap.js';

/** At most this long between a write that destroys keys and the checkpoint that purges their old pages. */
const PURGE_DELAY_MS = 1_000;

type Statement = Database.Statement<unknown[], Record<string, unknown>>;

const reader: RowReader = {
  bytes: (v) => new Uint8Array(v as Buffer),
  date: (v) => new Date(String(v)),
  bigint: (v) => BigInt(v as number | bigint),
};

function toSqlite(v: Neutral): string | number | bigint | Buffer | null {
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (v instanceof Date) return v.toISOString();
  return v;
}

function named(values: Neutral[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  values.forEach((v, i) => (out[`p${i + 1}`] = toSqlite(v)));
  return out;
}

const at = (i: number) => `@p${i}`;

export class SqliteSubscriberStore implements SubscriberStore {
  readonly kind = 'sqlite';
  readonly #db: Database.Database;
  #statements = new Map<string, Statement>();

  constructor(readonly path: string) {
    try {
      // Sealed keys only, still nobody else's business: the file (and so its -wal/-shm) is created 0600.
      if (path !== ':memory:' && !existsSync(path)) closeSync(openSync(path, 'a', 0o600));
      this.#db = new Database(path);
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma('synchronous = NORMAL');
      this.#db.pragma('busy_timeout = 5000');
      this.#db.pragma('secure_delete = ON');
    } catch (e) {
      throw new StoreFailureError(`cannot open SQLite database ${path}: ${(e as Error).message}`);
    }
  }

  #prepare(sql: string): Statement {
    let s = this.#statements.get(sql);
    if (s === undefined) {
      s = this.#db.prepare(sql);
      this.#statements.set(sql, s);
    }
    return s;
  }

  #run<T>(what: string, body: () => T): T {
    try {
      return body();
    } catch (e) {
      if (isHssError(e)) throw e;
      throw new StoreFailureError(`SQLite ${what}: ${(e as Error).message}`);
    }
  }

  async migrate(): Promise<void> {
    this.#run('migration', () => {
      this.#db.exec(MIGRATIONS_TABLE);
      const applied = new Set(
        (this.#db.prepare('SELECT id FROM hss_schema_migrations').all() as { id: number }[]).map((r) => r.id),
      );
      for (const m of MIGRATIONS) {
        if (applied.has(m.id)) continue;
        this.#db
          .transaction(() => {
            this.#db.exec(m.sql(SQLITE));
            this.#db
              .prepare('INSERT INTO hss_schema_migrations (id, name, applied_at) VALUES (?, ?, ?)')
              .run(m.id, m.name, new Date().toISOString());
          })
          .immediate();
      }
    });
  }

  async insert(record: SubscriberRecord, audit: readonly AuditEvent[]): Promise<void> {
    this.#run('insert', () =>
      this.#db
        .transaction(() => {
          try {
            this.#prepare(insertSubscriberSql(at)).run(named(recordValues(record)));
          } catch (e) {
            if ((e as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT_PRIMARYKEY')) {
              throw new ConflictError(`subscriber imsi-${record.imsi} exists`);
            }
            throw e;
          }
          this.#insertAudit(audit);
        })
        .immediate(),
    );
  }

  // Issue 11: one transaction for the whole batch (a transaction per row costs a WAL sync each)
  async insertMany(entries: readonly NewRecord[]): Promise<string[]> {
    return this.#run('bulk insert', () =>
      this.#db
        .transaction(() => {
          const insert = this.#prepare(insertNewSubscriberSql(at));
          const existing: string[] = [];
          for (const { record, audit } of entries) {
            if (insert.get(named(recordValues(record))) === undefined) existing.push(record.imsi);
            else this.#insertAudit([audit]);
          }
          return existing;
        })
        .immediate(),
    );
  }

  async get(imsi: string): Promise<SubscriberRecord | undefined> {
    return this.#run('read', () => this.#get(imsi));
  }

  async getMany(imsis: readonly string[]): Promise<SubscriberRecord[]> {
    return this.#run('read', () =>
      imsis.flatMap((imsi) => {
        const r = this.#get(imsi);
        return r === undefined ? [] : [r];
      }),
    );
  }

  #get(imsi: string): SubscriberRecord | undefined {
    const row = this.#prepare('SELECT * FROM hss_subscribers WHERE imsi = ?').get(imsi);
    return row === undefined ? undefined : rowToRecord(row, reader);
  }

  async list(limit: number, offset: number, filter: ListFilter = {}): Promise<SubscriberRecord[]> {
    const where = filter.withCandidate ? 'WHERE candidate_keys IS NOT NULL' : '';
    return this.#run('list', () =>
      this.#prepare(`SELECT * FROM hss_subscribers ${where} ORDER BY imsi LIMIT ? OFFSET ?`)
        .all(limit, offset)
        .map((row) => rowToRecord(row, reader)),
    );
  }

  async mutate(imsi: string, change: Change, vector?: VectorRef): Promise<SubscriberRecord> {
    let destroysKeys = false;
    const stored = this.#run('update', () =>
      this.#db
        .transaction(() => {
          const current = this.#get(imsi);
          if (current === undefined) throw new UnknownSubscriberError(imsi);
          const m = change(current, vector === undefined ? null : this.#takeVector(imsi, vector));
          if (m === undefined) return current;
          this.#prepare(updateSubscriberSql(at)).run(named(recordValues(m.record)));
          this.#insertAudit(m.audit);
          destroysKeys = m.destroysKeys === true;
          if (destroysKeys) this.#prepare(purgeVectorsSql('@imsi')).run({ imsi });
          return m.record;
        })
        .immediate(),
    );
    if (destroysKeys) this.#purgeSoon();
    return stored;
  }

  #takeVector(imsi: string, vector: VectorRef): number | null {
    const rows = this.#prepare(takeVectorSql('@imsi', '@rand')).all({ imsi, rand: toSqlite(vector.rand) });
    return vectorVersionOf(rows as Record<string, unknown>[], vector.notBefore, reader);
  }

  async takeVector(imsi: string, vector: VectorRef): Promise<number | null> {
    return this.#run('vector read', () =>
      this.#db.transaction(() => this.#takeVector(imsi, vector)).immediate(),
    );
  }

  async delete(imsi: string, audit: readonly AuditEvent[]): Promise<boolean> {
    const gone = this.#run('delete', () =>
      this.#db
        .transaction(() => {
          const gone = this.#prepare('DELETE FROM hss_subscribers WHERE imsi = ?').run(imsi).changes === 1;
          this.#prepare('DELETE FROM hss_vectors WHERE imsi = ?').run(imsi);
          if (gone) this.#insertAudit(audit);
          return gone;
        })
        .immediate(),
    );
    if (gone) this.#purgeSoon();
    return gone;
  }

  async issueSqn(
    imsi: string,
    rand: Uint8Array,
    issuedAt: Date,
    resetTo?: bigint,
  ): Promise<IssuedVector | undefined> {
    return this.#run('SQN update', () => this.#issueSqn.immediate(imsi, rand, issuedAt, resetTo));
  }

  // One transaction: the SQN update, then the vector's entry from what it returned (DESIGN.md 6 step 3). Built
  // once: better-sqlite3 wraps a function per transaction() call.
  #issueSqnTransaction?: Database.Transaction<
    (imsi: string, rand: Uint8Array, issuedAt: Date, resetTo?: bigint) => IssuedVector | undefined
  >;

  get #issueSqn() {
    this.#issueSqnTransaction ??= this.#db.transaction(
      (imsi: string, rand: Uint8Array, issuedAt: Date, resetTo?: bigint) => {
        const row = this.#prepare(issueSqnSql('@reset', '@imsi')).get({ imsi, reset: resetTo ?? null });
        if (row === undefined) return undefined;
        const keyVersion = Number(row.vector_key_version);
        this.#prepare(
          recordVectorSql({ imsi: '@imsi', slot: '@slot', keyVersion: '@version' }, '@rand', '@at'),
        ).run({
          imsi,
          slot: row.vector_slot,
          version: keyVersion,
          rand: toSqlite(rand),
          at: toSqlite(issuedAt),
        });
        return { record: rowToRecord(row, reader), keyVersion };
      },
    );
    return this.#issueSqnTransaction;
  }

  async appendAudit(audit: readonly AuditEvent[]): Promise<void> {
    this.#run('audit', () => this.#db.transaction(() => this.#insertAudit(audit)).immediate());
  }

  #insertAudit(audit: readonly AuditEvent[]): void {
    const s = this.#prepare(
      `INSERT INTO hss_audit (${AUDIT_COLUMNS.join(', ')}) VALUES (${AUDIT_COLUMNS.map((_, i) => at(i + 1)).join(', ')})`,
    );
    for (const a of audit) s.run(named(auditValues(a)));
  }

  async audit(imsi: string, limit = 1000): Promise<AuditEvent[]> {
    return this.#run('audit read', () =>
      this.#prepare('SELECT * FROM hss_audit WHERE imsi = ? ORDER BY id LIMIT ?')
        .all(imsi, limit)
        .map((row) => rowToAudit(row, reader)),
    );
  }

  // Old page images holding destroyed keys stay in the WAL and the main file until a checkpoint copies the new
  // pages over them; one checkpoint per PURGE_DELAY_MS at most (a checkpoint per commit costs ~10 ms), and at close.
  #purgeTimer: NodeJS.Timeout | undefined;

  #purgeSoon(): void {
    if (this.#purgeTimer !== undefined) return;
    this.#purgeTimer = setTimeout(() => this.#purge(), PURGE_DELAY_MS);
    this.#purgeTimer.unref();
  }

  #purge(): void {
    clearTimeout(this.#purgeTimer);
    this.#purgeTimer = undefined;
    // Best effort: a reader still using old frames keeps them until the next checkpoint.
    if (this.#db.open) this.#run('checkpoint', () => this.#db.pragma('wal_checkpoint(TRUNCATE)'));
  }

  async close(): Promise<void> {
    if (this.#purgeTimer !== undefined) this.#purge();
    this.#statements.clear();
    if (this.#db.open) this.#db.close();
  }
}
