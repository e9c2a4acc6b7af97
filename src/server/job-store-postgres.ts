// DESIGN.md 5, 7, 8: the jobs in PostgreSQL (`pg`), for several server instances sharing the load. Same table,
// unique indexes (one open job per ICCID, one job per campaign and ICCID) and compare-and-set as the SQLite
// driver; a `schema` query parameter in the URL selects (and creates) the schema, as the HSS store does.
import { jobDoc, type JobRecord, type JobState } from './job.js';
import {
  APPLIED_JOB_INDEX,
  CAMPAIGN_ACTOR_IN_DOC_PATTERN,
  CAMPAIGN_JOB_INDEX,
  markOlderCampaignJobsSql,
  uniqueCampaignJobSql,
  SENT_JOB_INDEX,
  inStateValues,
  type InStatePage,
  type ReconciledState,
  OPEN_JOB_INDEX,
  OPEN_STATES_SQL,
  cardKeyPinsSchema,
  checkRevision,
  failDuplicates,
  recordOfRow,
  type JobStore,
} from './job-store.js';
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { ServerConfigError } from './errors.js';
import { StorePool } from './pg-pool.js';
import { pinOfRow, rowOfPin, type CardPinRow, type CardPinStore } from './card-pins.js';
import type { CardKeyPin } from '../pki/index.js';

const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;
/** PostgreSQL's unique_violation (Appendix A). */
const UNIQUE_VIOLATION = '23505';
const COLUMNS = 'sealed_keys, doc, revision, campaign_id';

/** A server database URL as pg's connection string and the schema its `schema` parameter names. */
export function splitUrl(url: string): { connectionString: string; schema: string } {
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
  revision: number;
  campaign_id: string | null;
}

export class PostgresJobStore implements JobStore, CardPinStore {
  readonly #pool: StorePool;
  readonly #table: string;
  /** Issue 13: pins recorded at first use. */
  readonly #pins: string;
  readonly #schema: string;
  /** Names of the prepared hot statements, unique per table (one connection may serve several schemas' stores). */
  readonly #statementPrefix: string;

  constructor(url: string) {
    const { connectionString, schema } = splitUrl(url);
    this.#pool = new StorePool({ connectionString, max: 4 }, 'the job store');
    this.#schema = schema;
    this.#table = `"${schema}".key_update_jobs`;
    this.#pins = `"${schema}".card_key_pins`;
    this.#statementPrefix = `ltku_jobs_${createHash('sha256').update(this.#table).digest('hex').slice(0, 16)}`;
  }

  /** A hot statement as a named (prepared) one: parsed once per connection, then only bound and executed. */
  async #prepared<R extends pg.QueryResultRow>(
    name: string,
    text: string,
    values: unknown[],
  ): Promise<pg.QueryResult<R>> {
    const client = await this.#pool.connect();
    try {
      const r = await client.query<R>({ name: `${this.#statementPrefix}_${name}`, text, values });
      client.release();
      return r;
    } catch (e) {
      client.release(e as Error); // as StorePool.query: a client that failed is not reused
      throw e;
    }
  }

  /** Creates or upgrades the table; instances starting together serialise on an advisory lock. */
  async migrate(): Promise<void> {
    await this.#pool.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`ltku:${this.#table}`]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS "${this.#schema}"`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${this.#table} (
        id TEXT PRIMARY KEY, iccid TEXT NOT NULL, imsi TEXT NOT NULL, eid TEXT NOT NULL, state TEXT NOT NULL,
        sealed_keys BYTEA NOT NULL, doc TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
        revision INTEGER NOT NULL DEFAULT 0, campaign_id TEXT)`);
      await client.query(
        `ALTER TABLE ${this.#table} ADD COLUMN IF NOT EXISTS revision INTEGER NOT NULL DEFAULT 0`,
      );
      await this.#migrateCampaignColumn(client);
      await client.query(cardKeyPinsSchema(this.#pins));
      await client.query(`CREATE INDEX IF NOT EXISTS key_update_jobs_iccid ON ${this.#table} (iccid, state)`);
      await client.query(`CREATE INDEX IF NOT EXISTS key_update_jobs_imsi ON ${this.#table} (imsi, state)`);
      await client.query(
        `CREATE INDEX IF NOT EXISTS ${APPLIED_JOB_INDEX} ON ${this.#table} (created_at) WHERE state = 'applied'`,
      );
      await client.query(
        `CREATE INDEX IF NOT EXISTS ${SENT_JOB_INDEX} ON ${this.#table} (created_at, id) WHERE state = 'sent'`,
      );
      const open = await client.query<Row>(
        `SELECT ${COLUMNS} FROM ${this.#table} WHERE state IN (${OPEN_STATES_SQL}) ORDER BY created_at, id`,
      );
      for (const j of failDuplicates(open.rows.map(recordOfRow), new Date().toISOString())) {
        await client.query(
          `UPDATE ${this.#table} SET state = $2, doc = $3, updated_at = $4, revision = $5 WHERE id = $1`,
          [j.id, j.state, jobDoc(j), j.updatedAt, j.revision],
        );
      }
      await client.query(
        `CREATE UNIQUE INDEX IF NOT EXISTS ${OPEN_JOB_INDEX} ON ${this.#table} (iccid)
         WHERE state IN (${OPEN_STATES_SQL})`,
      );
      await client.query(uniqueCampaignJobSql(this.#table));
    });
  }

  /** Issue 11: an older table gets the campaign column, its campaign jobs marked (markOlderCampaignJobsSql). */
  async #migrateCampaignColumn(client: pg.PoolClient): Promise<void> {
    const has = await client.query(
      `SELECT 1 FROM information_schema.columns
       WHERE table_schema = $1 AND table_name = 'key_update_jobs' AND column_name = 'campaign_id'`,
      [this.#schema],
    );
    if (has.rowCount !== 0) return;
    await client.query(`ALTER TABLE ${this.#table} ADD COLUMN campaign_id TEXT`);
    await client.query(
      markOlderCampaignJobsSql(this.#table, `substring(doc from '${CAMPAIGN_ACTOR_IN_DOC_PATTERN}')`),
    );
  }

  async insert(j: JobRecord): Promise<boolean> {
    try {
      await this.#pool.query(
        `INSERT INTO ${this.#table}
           (id, iccid, imsi, eid, state, sealed_keys, doc, created_at, updated_at, revision, campaign_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [
          j.id,
          j.iccid,
          j.imsi,
          j.eid,
          j.state,
          Buffer.from(j.sealedKeys),
          jobDoc(j),
          j.createdAt,
          j.updatedAt,
          j.revision,
          j.campaign ?? null,
        ],
      );
      return true;
    } catch (e) {
      const err = e as { code?: string; constraint?: string };
      const index = err.constraint;
      if (err.code === UNIQUE_VIOLATION && (index === OPEN_JOB_INDEX || index === CAMPAIGN_JOB_INDEX))
        return false;
      throw e;
    }
  }

  // One statement for the batch (arrays unnested: 11 parameters whatever its size); a row either unique index
  // (open job, campaign job) refuses is skipped (DO NOTHING without a target covers every unique index), the
  // others are stored.
  async insertMany(jobs: readonly JobRecord[]): Promise<boolean[]> {
    if (jobs.length === 0) return [];
    // In ICCID order: two batches racing for the same ICCIDs wait on each other in one order (no deadlock).
    const sorted = [...jobs].sort((a, b) => (a.iccid < b.iccid ? -1 : a.iccid > b.iccid ? 1 : 0));
    const column = <T>(f: (j: JobRecord) => T) => sorted.map(f);
    const r = await this.#prepared<{ id: string }>(
      'insert_many',
      `INSERT INTO ${this.#table}
         (id, iccid, imsi, eid, state, sealed_keys, doc, created_at, updated_at, revision, campaign_id)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bytea[], $7::text[],
         $8::text[], $9::text[], $10::int[], $11::text[])
       ON CONFLICT DO NOTHING
       RETURNING id`,
      [
        column((j) => j.id),
        column((j) => j.iccid),
        column((j) => j.imsi),
        column((j) => j.eid),
        column((j) => j.state),
        column((j) => Buffer.from(j.sealedKeys)),
        column((j) => jobDoc(j)),
        column((j) => j.createdAt),
        column((j) => j.updatedAt),
        column((j) => j.revision),
        column((j) => j.campaign ?? null),
      ],
    );
    const stored = new Set(r.rows.map((row) => row.id));
    return jobs.map((j) => stored.has(j.id));
  }

  async update(j: JobRecord, expectedRevision: number): Promise<boolean> {
    checkRevision(j, expectedRevision);
    const r = await this.#prepared(
      'update',
      `UPDATE ${this.#table} SET state = $2, sealed_keys = $3, doc = $4, updated_at = $5, revision = $6
       WHERE id = $1 AND revision = $7`,
      [j.id, j.state, Buffer.from(j.sealedKeys), jobDoc(j), j.updatedAt, j.revision, expectedRevision],
    );
    return r.rowCount === 1;
  }

  async get(id: string): Promise<JobRecord | undefined> {
    const r = await this.#prepared<Row>('get', `SELECT ${COLUMNS} FROM ${this.#table} WHERE id = $1`, [id]);
    return r.rows[0] === undefined ? undefined : recordOfRow(r.rows[0]);
  }

  async list(page: { limit?: number; offset?: number } = {}): Promise<JobRecord[]> {
    const r = await this.#pool.query<Row>(
      `SELECT ${COLUMNS} FROM ${this.#table} ORDER BY created_at, id LIMIT $1 OFFSET $2`,
      [page.limit ?? 100, page.offset ?? 0],
    );
    return r.rows.map(recordOfRow);
  }

  async inState(state: ReconciledState, page: InStatePage): Promise<JobRecord[]> {
    const r = await this.#pool.query<Row>(
      `SELECT ${COLUMNS} FROM ${this.#table} WHERE state = $1 AND (created_at, id) > ($2, $3) AND updated_at < $4
       ORDER BY created_at, id LIMIT $5`,
      inStateValues(state, page),
    );
    return r.rows.map(recordOfRow);
  }

  async byIccids(iccids: readonly string[], states: readonly JobState[]): Promise<JobRecord[]> {
    return this.#by('iccid', iccids, states);
  }

  async byImsis(imsis: readonly string[], states: readonly JobState[]): Promise<JobRecord[]> {
    return this.#by('imsi', imsis, states);
  }

  async #by(column: 'iccid' | 'imsi', values: readonly string[], states: readonly JobState[]) {
    if (values.length === 0 || states.length === 0) return [];
    const r = await this.#prepared<Row>(
      `by_${column}`,
      `SELECT ${COLUMNS} FROM ${this.#table} WHERE ${column} = ANY($1) AND state = ANY($2)
       ORDER BY created_at, id`,
      [[...values], [...states]],
    );
    return r.rows.map(recordOfRow);
  }

  async cardPin(eid: string): Promise<CardKeyPin | undefined> {
    const r = await this.#pool.query<CardPinRow>(
      `SELECT kid, kvn, pk_sha256 FROM ${this.#pins} WHERE eid = $1`,
      [eid],
    );
    return r.rows[0] === undefined ? undefined : pinOfRow(r.rows[0]);
  }

  async pinCard(eid: string, pin: CardKeyPin, at: string): Promise<CardKeyPin> {
    const row = rowOfPin(eid, pin, at);
    await this.#pool.query(
      `INSERT INTO ${this.#pins} (eid, kid, kvn, pk_sha256, pinned_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (eid) DO NOTHING`,
      [row.eid, row.kid, row.kvn, row.pk_sha256, row.pinned_at],
    );
    return (await this.cardPin(eid)) as CardKeyPin;
  }

  /** Tests: removes the schema and everything in it. */
  async dropSchema(): Promise<void> {
    await this.#pool.query(`DROP SCHEMA IF EXISTS "${this.#schema}" CASCADE`);
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
