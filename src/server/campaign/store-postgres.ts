// Issue 11, DESIGN.md 8: campaigns in PostgreSQL, shared by several server instances. A wave is one
// transaction: the campaign row locked (FOR UPDATE: the shared rate bucket), its in-flight members counted,
// the waiting members claimed with FOR UPDATE SKIP LOCKED, so no two instances ever feed the same member.
import { ServerConfigError } from '../errors.js';
import { StorePool, type Queryable } from '../pg-pool.js';
import {
  emptyCounts,
  type CampaignRecord,
  type MemberCounts,
  type MemberRecord,
  type MemberSeed,
  type MemberState,
} from './campaign.js';
import {
  CAMPAIGN_COLUMNS,
  INSERT_CHUNK,
  IN_FLIGHT_SQL,
  MEMBER_COLUMNS,
  SEED_COLUMNS,
  campaignDoc,
  campaignOfRow,
  campaignSchema,
  checkCampaignRevision,
  leased,
  memberOfRow,
  rowValuesOf,
  WITH_WORK_SQL,
  type CampaignRow,
  type CampaignStore,
  type ExpectedMember,
  type Lease,
  type MemberChange,
  type MemberRow,
  type WavePlanner,
} from './store.js';

const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;
/** A campaign this large has its members' statistics refreshed as it is written (see #analyzeAfter). */
const ANALYZE_FROM = 16_384;

/**
 * Issue 11: the planner's statistics follow a large write of members. Fresh, a 1M-member table is estimated at a
 * hundred rows, and a report page (`seq > after ORDER BY seq LIMIT n`) then sorts every later member instead of
 * walking the primary key; autovacuum may be late (or off). Each time a campaign's members double past
 * ANALYZE_FROM: some 20 ANALYZEs (a sample each) for 1M members.
 */
function grewPast(before: number, after: number): boolean {
  return after >= ANALYZE_FROM && Math.floor(Math.log2(Math.max(before, 1))) < Math.floor(Math.log2(after));
}

/** The `schema` query parameter selects (and creates) the schema, as the job store does. */
function splitUrl(url: string): { connectionString: string; schema: string } {
  const u = new URL(url);
  const schema = u.searchParams.get('schema') ?? 'public';
  if (!SCHEMA_PATTERN.test(schema))
    throw new ServerConfigError(`schema ${JSON.stringify(schema)}: expected lowercase letters, digits and _`);
  u.searchParams.delete('schema');
  return { connectionString: u.toString(), schema };
}

export class PostgresCampaignStore implements CampaignStore {
  readonly #pool: StorePool;
  readonly #schema: string;
  readonly #campaigns: string;
  readonly #members: string;

  constructor(url: string) {
    const { connectionString, schema } = splitUrl(url);
    this.#pool = new StorePool({ connectionString, max: 4 }, 'the campaign store');
    this.#schema = schema;
    this.#campaigns = `"${schema}".campaigns`;
    this.#members = `"${schema}".campaign_members`;
  }

  /** Creates the tables; instances starting together serialise on an advisory lock. */
  async migrate(): Promise<void> {
    await this.#pool.transaction(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`ltku:${this.#campaigns}`]);
      await c.query(`CREATE SCHEMA IF NOT EXISTS "${this.#schema}"`);
      for (const sql of campaignSchema(this.#campaigns, this.#members)) await c.query(sql);
    });
  }

  async create(c: CampaignRecord, members: readonly MemberSeed[]): Promise<void> {
    await this.#pool.transaction(async (client) => {
      await client.query(
        `INSERT INTO ${this.#campaigns} (${CAMPAIGN_COLUMNS})
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [c.id, c.state, campaignDoc(c), c.revision, c.createdAt, c.updatedAt],
      );
      await this.#insertMembers(client, c.id, 0, members, c.createdAt);
    });
    await this.#analyzeAfter(0, members.length);
  }

  async #analyzeAfter(before: number, after: number): Promise<void> {
    if (grewPast(before, after)) await this.#pool.query(`ANALYZE ${this.#members}`);
  }

  async appendMembers(
    c: CampaignRecord,
    seeds: readonly MemberSeed[],
    at: string,
    next: (added: number) => CampaignRecord,
  ): Promise<boolean> {
    let added = 0;
    const appended = await this.#pool.transaction(async (client) => {
      const row = await client.query<{ revision: number }>(
        `SELECT revision FROM ${this.#campaigns} WHERE id = $1 FOR UPDATE`,
        [c.id],
      );
      if (row.rows[0] === undefined || Number(row.rows[0].revision) !== c.revision) return false;
      // Kept once: the subscribers this campaign already holds (an earlier chunk named them) are skipped.
      const held = await client.query<{ iccid: string }>(
        `SELECT iccid FROM ${this.#members} WHERE campaign_id = $1 AND iccid = ANY($2::text[])`,
        [c.id, seeds.map((m) => m.iccid)],
      );
      const skip = new Set(held.rows.map((r) => r.iccid));
      const fresh = skip.size === 0 ? seeds : seeds.filter((m) => !skip.has(m.iccid));
      await this.#insertMembers(client, c.id, c.total, fresh, at);
      added = fresh.length;
      if (await this.#write(client, next(fresh.length), c.revision)) return true;
      throw new Error(`campaign ${c.id}: revision moved under its row lock`);
    });
    if (appended) await this.#analyzeAfter(c.total, c.total + added);
    return appended;
  }

  /** Members at positions from `firstSeq` on, INSERT_CHUNK per statement. */
  async #insertMembers(
    client: Queryable,
    id: string,
    firstSeq: number,
    members: readonly MemberSeed[],
    at: string,
  ): Promise<void> {
    for (let from = 0; from < members.length; from += INSERT_CHUNK) {
      const chunk = members.slice(from, from + INSERT_CHUNK);
      await client.query(
        `INSERT INTO ${this.#members} (${SEED_COLUMNS})
         SELECT $1, s, i, m, 'waiting', 0, $2 FROM unnest($3::int[], $4::text[], $5::text[]) AS t(s, i, m)`,
        [
          id,
          at,
          chunk.map((_, k) => firstSeq + from + k),
          chunk.map((m) => m.iccid),
          chunk.map((m) => m.imsi),
        ],
      );
    }
  }

  async deleteDraft(id: string): Promise<boolean> {
    return this.#pool.transaction(async (client) => {
      const row = await client.query<{ state: string }>(
        `SELECT state FROM ${this.#campaigns} WHERE id = $1 FOR UPDATE`,
        [id],
      );
      if (row.rows[0]?.state !== 'draft') return false;
      await client.query(`DELETE FROM ${this.#members} WHERE campaign_id = $1`, [id]);
      await client.query(`DELETE FROM ${this.#campaigns} WHERE id = $1`, [id]);
      return true;
    });
  }

  async get(id: string): Promise<CampaignRecord | undefined> {
    const r = await this.#pool.query<CampaignRow>(
      `SELECT doc, revision FROM ${this.#campaigns} WHERE id = $1`,
      [id],
    );
    return r.rows[0] === undefined ? undefined : campaignOfRow(r.rows[0]);
  }

  async list(): Promise<CampaignRecord[]> {
    const r = await this.#pool.query<CampaignRow>(
      `SELECT doc, revision FROM ${this.#campaigns} ORDER BY created_at DESC, id`,
    );
    return r.rows.map(campaignOfRow);
  }

  async withWork(): Promise<CampaignRecord[]> {
    const r = await this.#pool.query<CampaignRow>(
      `SELECT doc, revision FROM ${this.#campaigns} WHERE ${WITH_WORK_SQL}
       ORDER BY created_at DESC, id`,
    );
    return r.rows.map(campaignOfRow);
  }

  async #write(client: Queryable, c: CampaignRecord, expected: number): Promise<boolean> {
    checkCampaignRevision(c, expected);
    const r = await client.query(
      `UPDATE ${this.#campaigns} SET state = $2, doc = $3, revision = $4, updated_at = $5
       WHERE id = $1 AND revision = $6`,
      [c.id, c.state, campaignDoc(c), c.revision, c.updatedAt, expected],
    );
    return r.rowCount === 1;
  }

  async update(c: CampaignRecord, expectedRevision: number): Promise<boolean> {
    return this.#write(this.#pool, c, expectedRevision);
  }

  async claimWave(id: string, nowMs: number, lease: Lease, plan: WavePlanner): Promise<MemberRecord[]> {
    const at = new Date(nowMs).toISOString();
    return this.#pool.transaction(async (client) => {
      const row = await client.query<CampaignRow>(
        `SELECT doc, revision FROM ${this.#campaigns} WHERE id = $1 FOR UPDATE`,
        [id],
      );
      if (row.rows[0] === undefined) return [];
      const campaign = campaignOfRow(row.rows[0]);
      const n = await client.query<{ n: string }>(
        `SELECT count(*) AS n FROM ${this.#members} WHERE campaign_id = $1 AND ${IN_FLIGHT_SQL}`,
        [id],
      );
      const p = plan(campaign, Number(n.rows[0].n));
      if (p === undefined) return [];
      if (!(await this.#write(client, p.campaign, campaign.revision))) return [];
      if (p.take <= 0) return [];
      const rows = await client.query<MemberRow>(
        `SELECT ${MEMBER_COLUMNS} FROM ${this.#members}
         WHERE campaign_id = $1 AND state = 'waiting' AND (not_before IS NULL OR not_before <= $2)
         ORDER BY seq LIMIT $3 FOR UPDATE SKIP LOCKED`,
        [id, nowMs, p.take],
      );
      const claimed = rows.rows.map((r) => leased(memberOfRow(r), lease, at));
      if (claimed.length > 0)
        await client.query(
          `UPDATE ${this.#members} SET state = 'feeding', lease_by = $2, lease_until = $3, updated_at = $4
           WHERE campaign_id = $1 AND seq = ANY($5::int[])`,
          [id, lease.by, lease.until, at, claimed.map((m) => m.seq)],
        );
      return claimed;
    });
  }

  async reclaimExpired(id: string, nowMs: number, lease: Lease, limit: number): Promise<MemberRecord[]> {
    const at = new Date(nowMs).toISOString();
    return this.#pool.transaction(async (client) => {
      const rows = await client.query<MemberRow>(
        `SELECT ${MEMBER_COLUMNS} FROM ${this.#members}
         WHERE campaign_id = $1 AND state = 'feeding' AND lease_until < $2
         ORDER BY seq LIMIT $3 FOR UPDATE SKIP LOCKED`,
        [id, nowMs, limit],
      );
      if (rows.rows.length > 0)
        await client.query(
          `UPDATE ${this.#members} SET lease_by = $2, lease_until = $3, updated_at = $4
           WHERE campaign_id = $1 AND seq = ANY($5::int[])`,
          [id, lease.by, lease.until, at, rows.rows.map((r) => Number(r.seq))],
        );
      return rows.rows.map((r) => leased(memberOfRow(r), lease, at));
    });
  }

  async members(
    id: string,
    states: readonly MemberState[] | 'all',
    limit: number,
    afterSeq = -1,
  ): Promise<MemberRecord[]> {
    // Every state (the report): a range of the primary key, no state filter.
    const r =
      states === 'all'
        ? await this.#pool.query<MemberRow>(
            `SELECT ${MEMBER_COLUMNS} FROM ${this.#members}
             WHERE campaign_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
            [id, afterSeq, limit],
          )
        : // One range of the state index a state (LATERAL), merged by seq: a planner may otherwise walk the
          // primary key in seq order over every member before the first match.
          await this.#pool.query<MemberRow>(
            `SELECT m.* FROM unnest($3::text[]) AS s(state) CROSS JOIN LATERAL (
               SELECT ${MEMBER_COLUMNS} FROM ${this.#members}
               WHERE campaign_id = $1 AND state = s.state AND seq > $2 ORDER BY seq LIMIT $4) AS m
             ORDER BY m.seq LIMIT $4`,
            [id, afterSeq, [...states], limit],
          );
    return r.rows.map(memberOfRow);
  }

  async updateMember(next: MemberRecord, expected: ExpectedMember): Promise<boolean> {
    return this.#updateMember(this.#pool, next, expected);
  }

  async updateMembers(changes: readonly MemberChange[]): Promise<boolean[]> {
    if (changes.length === 0) return [];
    return this.#pool.transaction(async (client) => {
      const applied: boolean[] = [];
      for (const c of changes) applied.push(await this.#updateMember(client, c.next, c.expected));
      return applied;
    });
  }

  async #updateMember(client: Queryable, next: MemberRecord, expected: ExpectedMember): Promise<boolean> {
    const values = rowValuesOf(next);
    const set = MEMBER_COLUMNS.split(',')
      .map((c, i) => `${c.trim()} = $${i + 1}`)
      .join(', ');
    const k = values.length;
    const r = await client.query(
      `UPDATE ${this.#members} SET ${set}
       WHERE campaign_id = $${k + 1} AND seq = $${k + 2} AND state = $${k + 3}
         AND job_id IS NOT DISTINCT FROM $${k + 4}`,
      [...values, next.campaignId, next.seq, expected.state, expected.jobId ?? null],
    );
    return r.rowCount === 1;
  }

  async counts(id: string): Promise<MemberCounts> {
    const r = await this.#pool.query<{ state: MemberState; n: string }>(
      `SELECT state, count(*) AS n FROM ${this.#members} WHERE campaign_id = $1 GROUP BY state`,
      [id],
    );
    const counts = emptyCounts();
    for (const row of r.rows) counts[row.state] = Number(row.n);
    return counts;
  }

  async cancelWaiting(id: string, detail: string, at: string): Promise<number> {
    const r = await this.#pool.query(
      `UPDATE ${this.#members} SET state = 'cancelled', reason = 'cancelled', detail = $2, updated_at = $3
       WHERE campaign_id = $1 AND state = 'waiting'`,
      [id, detail, at],
    );
    return r.rowCount ?? 0;
  }

  /** Tests: removes the schema and everything in it. */
  async dropSchema(): Promise<void> {
    await this.#pool.query(`DROP SCHEMA IF EXISTS "${this.#schema}" CASCADE`);
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
