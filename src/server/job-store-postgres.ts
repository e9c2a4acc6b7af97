// DESIGN.md 5: the jobs in PostgreSQL (`pg`), for several server instances sharing the load. Same table as the
// SQLite driver; a `schema` query parameter in the URL selects (and creates) the schema, as the HSS store does.
import pg from 'pg';
import type { JobRecord, JobState } from './job.js';
import type { JobStore } from './job-store.js';
import { ServerConfigError } from './errors.js';

const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

function splitUrl(url: string): { connectionString: string; schema: string } {
  const u = new URL(url);
  const schema = u.searchParams.get('schema') ?? 'public';
  if (!SCHEMA_PATTERN.test(schema)) {
    throw new ServerConfigError(`schema ${JSON.stringify(schema)}: expected lowercase letters, digits and _`);
  }
  u.searchParams.delete('schema');
  return { connectionString: u.toString(), schema };
}

interface Row {
  sealed_keys: Buffer;
  doc: string;
}

function fromRow(r: Row): JobRecord {
  return {
    ...(JSON.parse(r.doc) as Omit<JobRecord, 'sealedKeys'>),
    sealedKeys: new Uint8Array(r.sealed_keys),
  };
}

function docOf(j: JobRecord): string {
  const { sealedKeys: _sealed, ...rest } = j;
  return JSON.stringify(rest);
}

export class PostgresJobStore implements JobStore {
  readonly #pool: pg.Pool;
  readonly #table: string;
  readonly #schema: string;

  constructor(url: string) {
    const { connectionString, schema } = splitUrl(url);
    this.#pool = new pg.Pool({ connectionString, max: 4 });
    this.#schema = schema;
    this.#table = `"${schema}".key_update_jobs`;
  }

  async migrate(): Promise<void> {
    await this.#pool.query(`CREATE SCHEMA IF NOT EXISTS "${this.#schema}"`);
    await this.#pool.query(`CREATE TABLE IF NOT EXISTS ${this.#table} (
      id TEXT PRIMARY KEY, iccid TEXT NOT NULL, imsi TEXT NOT NULL, eid TEXT NOT NULL, state TEXT NOT NULL,
      sealed_keys BYTEA NOT NULL, doc TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`);
    await this.#pool.query(
      `CREATE INDEX IF NOT EXISTS key_update_jobs_iccid ON ${this.#table} (iccid, state)`,
    );
  }

  async insert(j: JobRecord): Promise<void> {
    await this.#pool.query(
      `INSERT INTO ${this.#table} (id, iccid, imsi, eid, state, sealed_keys, doc, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [j.id, j.iccid, j.imsi, j.eid, j.state, Buffer.from(j.sealedKeys), docOf(j), j.createdAt, j.updatedAt],
    );
  }

  async update(j: JobRecord, expected?: JobState): Promise<boolean> {
    const r = await this.#pool.query(
      `UPDATE ${this.#table} SET state = $2, sealed_keys = $3, doc = $4, updated_at = $5
       WHERE id = $1 ${expected === undefined ? '' : 'AND state = $6'}`,
      [
        j.id,
        j.state,
        Buffer.from(j.sealedKeys),
        docOf(j),
        j.updatedAt,
        ...(expected === undefined ? [] : [expected]),
      ],
    );
    return r.rowCount === 1;
  }

  async get(id: string): Promise<JobRecord | undefined> {
    const r = await this.#pool.query<Row>(`SELECT sealed_keys, doc FROM ${this.#table} WHERE id = $1`, [id]);
    return r.rows[0] === undefined ? undefined : fromRow(r.rows[0]);
  }

  async list(page: { limit?: number; offset?: number } = {}): Promise<JobRecord[]> {
    const r = await this.#pool.query<Row>(
      `SELECT sealed_keys, doc FROM ${this.#table} ORDER BY created_at, id LIMIT $1 OFFSET $2`,
      [page.limit ?? 100, page.offset ?? 0],
    );
    return r.rows.map(fromRow);
  }

  async byIccids(iccids: readonly string[], states: readonly JobState[]): Promise<JobRecord[]> {
    if (iccids.length === 0 || states.length === 0) return [];
    const r = await this.#pool.query<Row>(
      `SELECT sealed_keys, doc FROM ${this.#table} WHERE iccid = ANY($1) AND state = ANY($2) ORDER BY created_at, id`,
      [[...iccids], [...states]],
    );
    return r.rows.map(fromRow);
  }

  /** Tests: removes the schema and everything in it. */
  async dropSchema(): Promise<void> {
    await this.#pool.query(`DROP SCHEMA IF EXISTS "${this.#schema}" CASCADE`);
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
