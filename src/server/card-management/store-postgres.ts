// Issue 13, DESIGN.md 5, 8: card-management jobs in PostgreSQL (`pg`), same table, unique partial index and
// compare-and-set as the SQLite driver; a `schema` query parameter in the URL selects (and creates) the schema,
// as the key-update job store does. migrate() is idempotent and serialised between instances.
import { StorePool } from '../pg-pool.js';
import { ServerConfigError } from '../errors.js';
import { cardJobDoc, type CardJobKind, type CardJobRecord, type CardJobState } from './job.js';
import {
  CARD_JOB_TABLE,
  OPEN_CARD_JOB_INDEX,
  OPEN_CARD_STATES_SQL,
  cardJobOfRow,
  cardJobSchema,
  checkCardJobRevision,
  filterSql,
  type CardJobCount,
  type CardJobFilter,
  type CardJobStore,
} from './store.js';

const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;
/** PostgreSQL's unique_violation (Appendix A). */
const UNIQUE_VIOLATION = '23505';

interface Row {
  doc: string;
  revision: number;
}

export class PostgresCardJobStore implements CardJobStore {
  readonly #pool: StorePool;
  readonly #schema: string;
  readonly #table: string;

  constructor(url: string) {
    const u = new URL(url);
    const schema = u.searchParams.get('schema') ?? 'public';
    if (!SCHEMA_PATTERN.test(schema)) {
      throw new ServerConfigError(
        `schema ${JSON.stringify(schema)}: expected lowercase letters, digits and _`,
      );
    }
    u.searchParams.delete('schema');
    this.#pool = new StorePool({ connectionString: u.toString(), max: 4 }, 'the card-management job store');
    this.#schema = schema;
    this.#table = `"${schema}".${CARD_JOB_TABLE}`;
  }

  async migrate(): Promise<void> {
    await this.#pool.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`ltku:${this.#table}`]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS "${this.#schema}"`);
      for (const statement of cardJobSchema(this.#table)) await client.query(statement);
    });
  }

  async insert(j: CardJobRecord): Promise<boolean> {
    try {
      await this.#pool.query(
        `INSERT INTO ${this.#table} (id, eid, kind, slot, state, batch, doc, created_at, updated_at, revision)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [
          j.id,
          j.eid,
          j.kind,
          j.slot,
          j.state,
          j.batch ?? null,
          cardJobDoc(j),
          j.createdAt,
          j.updatedAt,
          j.revision,
        ],
      );
      return true;
    } catch (e) {
      const err = e as { code?: string; constraint?: string };
      if (err.code === UNIQUE_VIOLATION && err.constraint === OPEN_CARD_JOB_INDEX) return false;
      throw e;
    }
  }

  async update(j: CardJobRecord, expectedRevision: number): Promise<boolean> {
    checkCardJobRevision(j, expectedRevision);
    const r = await this.#pool.query(
      `UPDATE ${this.#table} SET state = $2, doc = $3, updated_at = $4, revision = $5
       WHERE id = $1 AND revision = $6`,
      [j.id, j.state, cardJobDoc(j), j.updatedAt, j.revision, expectedRevision],
    );
    return r.rowCount === 1;
  }

  async get(id: string): Promise<CardJobRecord | undefined> {
    const r = await this.#pool.query<Row>(`SELECT doc, revision FROM ${this.#table} WHERE id = $1`, [id]);
    return r.rows[0] === undefined ? undefined : cardJobOfRow(r.rows[0]);
  }

  async openIn(eid: string, slot: string): Promise<CardJobRecord | undefined> {
    const r = await this.#pool.query<Row>(
      `SELECT doc, revision FROM ${this.#table}
       WHERE eid = $1 AND slot = $2 AND state IN (${OPEN_CARD_STATES_SQL})`,
      [eid, slot],
    );
    return r.rows[0] === undefined ? undefined : cardJobOfRow(r.rows[0]);
  }

  async openOf(eid: string): Promise<CardJobRecord[]> {
    const r = await this.#pool.query<Row>(
      `SELECT doc, revision FROM ${this.#table} WHERE eid = $1 AND state IN (${OPEN_CARD_STATES_SQL})
       ORDER BY created_at, id`,
      [eid],
    );
    return r.rows.map(cardJobOfRow);
  }

  async list(filter: CardJobFilter = {}, page: { limit?: number; offset?: number } = {}) {
    const { where, values } = filterSql(filter, (i) => `$${i}`);
    const r = await this.#pool.query<Row>(
      `SELECT doc, revision FROM ${this.#table} ${where} ORDER BY created_at, id
       LIMIT $${values.length + 1} OFFSET $${values.length + 2}`,
      [...values, page.limit ?? 100, page.offset ?? 0],
    );
    return r.rows.map(cardJobOfRow);
  }

  async counts(batch?: string): Promise<CardJobCount[]> {
    const { where, values } = filterSql(batch === undefined ? {} : { batch }, (i) => `$${i}`);
    const r = await this.#pool.query<{ kind: CardJobKind; state: CardJobState; count: string }>(
      `SELECT kind, state, COUNT(*) AS count FROM ${this.#table} ${where} GROUP BY kind, state
       ORDER BY kind, state`,
      values,
    );
    return r.rows.map((row) => ({ kind: row.kind, state: row.state, count: Number(row.count) }));
  }

  /** Tests: removes the schema and everything in it. */
  async dropSchema(): Promise<void> {
    await this.#pool.query(`DROP SCHEMA IF EXISTS "${this.#schema}" CASCADE`);
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
