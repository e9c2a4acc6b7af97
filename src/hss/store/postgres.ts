// PostgreSQL driver (pg): for several HSS instances sharing one database. Vectors cost one round trip: the SQN
// increment is a single UPDATE ... RETURNING (row lock, so concurrent requests never share a SQN); a key
// transition is a read and one compare-and-set write (postgres-mutation.ts), an authentication outcome a
// transaction with the row locked. A `schema` query parameter in the URL selects
// the schema (created by `migrate`), e.g. postgres://postgres@127.0.0.1:5432/test?schema=hss.
import pg from 'pg';
import { ConflictError, StoreFailureError, UnknownSubscriberError } from '../errors.js';
import type { AuditEvent } from '../client/model.js';
import type { SubscriberRecord } from '../subscriber.js';
import {
  auditValues,
  AUDIT_COLUMNS,
  recordValues,
  SUBSCRIBER_COLUMNS,
  rowToAudit,
  rowToRecord,
  vectorVersionOf,
  type Neutral,
  type RowReader,
} from './columns.js';
import { MIGRATIONS, MIGRATIONS_TABLE, POSTGRES } from './migrations/index.js';
import {
  AUDIT_TYPES,
  LOCK_AND_TAKE,
  READ_FOR_CHANGE,
  TAKE_IF_UNCHANGED,
  takenEntries,
  WRITE_MUTATION,
  writeMutationValues,
} from './postgres-mutation.js';
import { insertSubscriberSql, issueSqnSql, recordVectorSql, takeVectorSql } from './sql.js';
import type {
  Change,
  IssuedVector,
  ListFilter,
  Mutation,
  NewRecord,
  SubscriberStore,
  VectorRef,
} from './store.js';
import { isHssError } from './wrap.js';

const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;
const PG_UNIQUE_VIOLATION = '23505';
const MIGRATION_LOCK = 0x6c746b75; // "ltku"
/** Optimistic read + write rounds of a mutation before it locks the row (each lost round: another write won). */
const OPTIMISTIC_ATTEMPTS = 3;
/**
 * Every session runs READ COMMITTED whatever the database's or role's default: a compare-and-set write that lost
 * a race updates nothing and reads again, and a locked read waits for the winner and sees its row; under
 * REPEATABLE READ or SERIALIZABLE both fail with a serialization error instead (a store error, fail closed).
 */
const ISOLATION_OPTION = '-c default_transaction_isolation=read\\ committed';

const reader: RowReader = {
  bytes: (v) => new Uint8Array(v as Buffer),
  date: (v) => (v instanceof Date ? v : new Date(String(v))),
  bigint: (v) => BigInt(v as string),
};

function toPg(v: Neutral): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (typeof v === 'bigint') return v.toString();
  return v;
}

const dollar = (i: number) => `$${i}`;
// One round trip: the SQN update and the vector's entry in one statement (DESIGN.md 6 step 3).
const ISSUE_SQN = `WITH s AS (${issueSqnSql('$2::bigint', '$1')}),
v AS (${recordVectorSql({ source: 's' }, '$3::bytea', '$4::timestamptz')})
SELECT * FROM s`;
const TAKE_VECTOR = takeVectorSql('$1', '$2');
const INSERT = insertSubscriberSql(dollar);
const INSERT_AUDIT = `INSERT INTO hss_audit (${AUDIT_COLUMNS.join(', ')}) VALUES (${AUDIT_COLUMNS.map((_, i) => dollar(i + 1)).join(', ')})`;

/** PostgreSQL types of the columns (migrations 001, 002), for the arrays of a bulk insert. */
const SUBSCRIBER_TYPES: Record<(typeof SUBSCRIBER_COLUMNS)[number], string> = {
  imsi: 'text',
  iccid: 'text',
  amf: 'bytea',
  sqn: 'bigint',
  ind_bits: 'integer',
  active_version: 'integer',
  active_algorithm: 'text',
  active_params: 'text',
  active_keys: 'bytea',
  active_transaction_id: 'text',
  candidate_version: 'integer',
  candidate_algorithm: 'text',
  candidate_params: 'text',
  candidate_keys: 'bytea',
  candidate_transaction_id: 'text',
  candidate_staged_at: 'timestamptz',
  fallback_version: 'integer',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
};
const unnest = (types: readonly string[]) => types.map((t, i) => `$${i + 1}::${t}[]`).join(', ');
const INSERT_NEW_SUBSCRIBERS = `INSERT INTO hss_subscribers (${SUBSCRIBER_COLUMNS.join(', ')})
SELECT * FROM unnest(${unnest(SUBSCRIBER_COLUMNS.map((c) => SUBSCRIBER_TYPES[c]))})
ON CONFLICT (imsi) DO NOTHING RETURNING imsi`;
const INSERT_AUDIT_ROWS = `INSERT INTO hss_audit (${AUDIT_COLUMNS.join(', ')})
SELECT * FROM unnest(${unnest(AUDIT_COLUMNS.map((c) => AUDIT_TYPES[c]))})`;

/** The key version of the entries of RAND a READ_FOR_CHANGE or LOCK_AND_TAKE row carries (columns.ts rule). */
function takenVersion(row: Record<string, unknown>, vector: VectorRef | undefined): number | null {
  return vector === undefined ? null : vectorVersionOf(takenEntries(row), vector.notBefore, reader);
}

export interface PostgresOptions {
  /** Pool size (default 10). */
  readonly maxConnections?: number;
}

/** Splits the ltku-specific `schema` parameter off a postgres:// URL. */
export function parsePostgresUrl(url: string): {
  connectionString: string;
  schema: string | undefined;
  /** The URL's own `options` (libpq's server settings): the store puts its own after them, so its win. */
  options: string | undefined;
} {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new StoreFailureError('database URL is not a valid postgres:// URL');
  }
  const schema = u.searchParams.get('schema') ?? undefined;
  if (schema !== undefined && !SCHEMA_PATTERN.test(schema)) {
    throw new StoreFailureError(`schema ${JSON.stringify(schema)}: expected lowercase letters, digits and _`);
  }
  u.searchParams.delete('schema');
  // pg lets a URL's options replace the pool's: taken out here, and put before the store's own settings.
  const options = u.searchParams.get('options') ?? undefined;
  u.searchParams.delete('options');
  return { connectionString: u.toString(), schema, options };
}

export class PostgresSubscriberStore implements SubscriberStore {
  readonly kind = 'postgres';
  readonly #pool: pg.Pool;
  readonly #schema: string | undefined;

  constructor(url: string, options: PostgresOptions = {}) {
    const { connectionString, schema, options: urlOptions } = parsePostgresUrl(url);
    this.#schema = schema;
    this.#pool = new pg.Pool({
      connectionString,
      max: options.maxConnections ?? 10,
      options: [urlOptions, ISOLATION_OPTION, schema === undefined ? undefined : `-c search_path=${schema}`]
        .filter((o) => o !== undefined)
        .join(' '),
    });
    // An idle client losing its connection must not crash the process; the next query reports it.
    this.#pool.on('error', () => {});
  }

  async #run<T>(what: string, body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (e) {
      if (isHssError(e)) throw e;
      throw new StoreFailureError(`PostgreSQL ${what}: ${(e as Error).message}`);
    }
  }

  async #transaction<T>(body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      const result = await body(client);
      await client.query('COMMIT');
      return result;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      client.release();
    }
  }

  async migrate(): Promise<void> {
    await this.#run('migration', async () => {
      if (this.#schema !== undefined) await this.#pool.query(`CREATE SCHEMA IF NOT EXISTS ${this.#schema}`);
      await this.#transaction(async (c) => {
        await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
        await c.query(MIGRATIONS_TABLE);
        const applied = new Set(
          (await c.query('SELECT id FROM hss_schema_migrations')).rows.map((r) => Number(r.id)),
        );
        for (const m of MIGRATIONS) {
          if (applied.has(m.id)) continue;
          await c.query(m.sql(POSTGRES));
          await c.query('INSERT INTO hss_schema_migrations (id, name, applied_at) VALUES ($1, $2, $3)', [
            m.id,
            m.name,
            new Date().toISOString(),
          ]);
        }
      });
    });
  }

  async insert(record: SubscriberRecord, audit: readonly AuditEvent[]): Promise<void> {
    await this.#run('insert', () =>
      this.#transaction(async (c) => {
        try {
          await c.query({ name: 'hss_insert', text: INSERT, values: recordValues(record).map(toPg) });
        } catch (e) {
          if ((e as { code?: string }).code === PG_UNIQUE_VIOLATION) {
            throw new ConflictError(`subscriber imsi-${record.imsi} exists`);
          }
          throw e;
        }
        await this.#insertAudit(c, audit);
      }),
    );
  }

  // Issue 11: one INSERT ... SELECT FROM unnest(column arrays) per batch: PostgreSQL parses one short statement
  // with one parameter per column instead of one per value, in one transaction
  async insertMany(entries: readonly NewRecord[]): Promise<string[]> {
    if (entries.length === 0) return [];
    return this.#run('bulk insert', () =>
      this.#transaction(async (c) => {
        const rows = entries.map((e) => recordValues(e.record).map(toPg));
        const inserted = await c.query(
          INSERT_NEW_SUBSCRIBERS,
          SUBSCRIBER_COLUMNS.map((_, i) => rows.map((r) => r[i])),
        );
        const fresh = new Set(inserted.rows.map((r) => String(r.imsi)));
        const audit = entries
          .filter((e) => fresh.has(e.record.imsi))
          .map((e) => auditValues(e.audit).map(toPg));
        if (audit.length > 0)
          await c.query(
            INSERT_AUDIT_ROWS,
            AUDIT_COLUMNS.map((_, i) => audit.map((r) => r[i])),
          );
        return entries.filter((e) => !fresh.has(e.record.imsi)).map((e) => e.record.imsi);
      }),
    );
  }

  async get(imsi: string): Promise<SubscriberRecord | undefined> {
    return this.#run('read', async () => {
      const r = await this.#pool.query({
        name: 'hss_get',
        text: 'SELECT * FROM hss_subscribers WHERE imsi = $1',
        values: [imsi],
      });
      return r.rows.length === 0 ? undefined : rowToRecord(r.rows[0], reader);
    });
  }

  async getMany(imsis: readonly string[]): Promise<SubscriberRecord[]> {
    return this.#run('read', async () => {
      const r = await this.#pool.query({
        name: 'hss_get_many',
        text: 'SELECT * FROM hss_subscribers WHERE imsi = ANY($1::text[])',
        values: [imsis],
      });
      return r.rows.map((row) => rowToRecord(row, reader));
    });
  }

  async list(limit: number, offset: number, filter: ListFilter = {}): Promise<SubscriberRecord[]> {
    const where = filter.withCandidate ? 'WHERE candidate_keys IS NOT NULL' : '';
    return this.#run('list', async () => {
      const r = await this.#pool.query(
        `SELECT * FROM hss_subscribers ${where} ORDER BY imsi LIMIT $1 OFFSET $2`,
        [limit, offset],
      );
      return r.rows.map((row) => rowToRecord(row, reader));
    });
  }

  // DESIGN.md 6: a mutation is read (1 round trip), computed here and written with its audit lines and purge in
  // one statement (1 round trip) that applies only if the row has not moved on since the read; a no-op costs the
  // read alone, or the read and the take of its vector. A change of an authentication outcome, and any change
  // after OPTIMISTIC_ATTEMPTS lost races, runs with the row locked: BEGIN, locked read + take, write, COMMIT.
  async mutate(imsi: string, change: Change, vector?: VectorRef): Promise<SubscriberRecord> {
    const rand = vector === undefined ? null : toPg(vector.rand);
    return this.#run('update', async () => {
      for (let attempt = 0; attempt < OPTIMISTIC_ATTEMPTS; attempt++) {
        const r = await this.#pool.query({
          name: 'hss_read_for_change',
          text: READ_FOR_CHANGE,
          values: [imsi, rand],
        });
        if (r.rows.length === 0) throw new UnknownSubscriberError(imsi);
        const row = r.rows[0];
        const current = rowToRecord(row, reader);
        const m = change(current, takenVersion(row, vector));
        const rowVersion = String(row.row_version);
        if (m === undefined) {
          if (row.taken_key_versions === null) return current;
          const taken = await this.#pool.query({
            name: 'hss_take_if_unchanged',
            text: TAKE_IF_UNCHANGED,
            values: [imsi, rand, rowVersion],
          });
          if (taken.rows.length > 0) return current;
        } else if (vector !== undefined) {
          break;
        } else if (await this.#write(this.#pool, m, rowVersion)) {
          return m.record;
        }
      }
      return this.#transaction(async (c) => {
        const r = await c.query({ name: 'hss_lock_and_take', text: LOCK_AND_TAKE, values: [imsi, rand] });
        if (r.rows.length === 0) throw new UnknownSubscriberError(imsi);
        const current = rowToRecord(r.rows[0], reader);
        const m = change(current, takenVersion(r.rows[0], vector));
        if (m === undefined) return current;
        // The row is locked: its version cannot have moved on.
        if (!(await this.#write(c, m, String(r.rows[0].row_version))))
          throw new StoreFailureError(`imsi-${imsi}: locked row changed`);
        return m.record;
      });
    });
  }

  /** WRITE_MUTATION: whether the row was still at `rowVersion` (and so the mutation is stored). */
  async #write(c: pg.Pool | pg.PoolClient, m: Mutation, rowVersion: string): Promise<boolean> {
    const r = await c.query({
      name: 'hss_write_mutation',
      text: WRITE_MUTATION,
      values: writeMutationValues(m, rowVersion).map((v) =>
        Array.isArray(v) ? v.map(toPg) : toPg(v as Neutral),
      ),
    });
    return r.rows.length === 1;
  }

  async #takeVector(c: pg.Pool | pg.ClientBase, imsi: string, vector: VectorRef): Promise<number | null> {
    const r = await c.query({
      name: 'hss_take_vector',
      text: TAKE_VECTOR,
      values: [imsi, toPg(vector.rand)],
    });
    return vectorVersionOf(r.rows, vector.notBefore, reader);
  }

  // One DELETE ... RETURNING is atomic on its own: no transaction around it.
  async takeVector(imsi: string, vector: VectorRef): Promise<number | null> {
    return this.#run('vector read', () => this.#takeVector(this.#pool, imsi, vector));
  }

  async delete(imsi: string, audit: readonly AuditEvent[]): Promise<boolean> {
    return this.#run('delete', () =>
      this.#transaction(async (c) => {
        const r = await c.query('DELETE FROM hss_subscribers WHERE imsi = $1', [imsi]);
        await c.query('DELETE FROM hss_vectors WHERE imsi = $1', [imsi]);
        const gone = r.rowCount === 1;
        if (gone) await this.#insertAudit(c, audit);
        return gone;
      }),
    );
  }

  async issueSqn(
    imsi: string,
    rand: Uint8Array,
    issuedAt: Date,
    resetTo?: bigint,
  ): Promise<IssuedVector | undefined> {
    return this.#run('SQN update', async () => {
      const r = await this.#pool.query({
        name: 'hss_issue_sqn',
        text: ISSUE_SQN,
        values: [imsi, resetTo === undefined ? null : resetTo.toString(), toPg(rand), issuedAt.toISOString()],
      });
      const row = r.rows[0];
      if (row === undefined) return undefined;
      return { record: rowToRecord(row, reader), keyVersion: Number(row.vector_key_version) };
    });
  }

  async appendAudit(audit: readonly AuditEvent[]): Promise<void> {
    if (audit.length === 0) return;
    await this.#run('audit', () => this.#transaction((c) => this.#insertAudit(c, audit)));
  }

  async #insertAudit(c: pg.PoolClient, audit: readonly AuditEvent[]): Promise<void> {
    for (const a of audit)
      await c.query({ name: 'hss_insert_audit', text: INSERT_AUDIT, values: auditValues(a).map(toPg) });
  }

  async audit(imsi: string, limit = 1000): Promise<AuditEvent[]> {
    return this.#run('audit read', async () => {
      const r = await this.#pool.query('SELECT * FROM hss_audit WHERE imsi = $1 ORDER BY id LIMIT $2', [
        imsi,
        limit,
      ]);
      return r.rows.map((row) => rowToAudit(row, reader));
    });
  }

  /** Drops the schema given in the URL with everything in it (tests clean up with this). */
  async dropSchema(): Promise<void> {
    if (this.#schema === undefined) throw new StoreFailureError('no schema in the database URL to drop');
    await this.#run('drop schema', async () => {
      await this.#pool.query(`DROP SCHEMA IF EXISTS ${this.#schema} CASCADE`);
    });
  }

  async close(): Promise<void> {
    if (!this.#pool.ended) await this.#pool.end();
  }
}
