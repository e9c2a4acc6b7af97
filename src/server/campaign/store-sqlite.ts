// Issue 11: campaigns in SQLite (better-sqlite3), the embedded default for one instance. Its own connection
// to the server's database file; a transaction is synchronous here, so a wave is claimed atomically by nature.
import Database from 'better-sqlite3';
import { ServerConfigError } from '../errors.js';
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
  DELETE_CHUNK,
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

const CAMPAIGNS = 'campaigns';
const MEMBERS = 'campaign_members';
const PLACEHOLDERS = MEMBER_COLUMNS.split(',')
  .map(() => '?')
  .join(', ');

export class SqliteCampaignStore implements CampaignStore {
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();

  constructor(path: string) {
    try {
      this.#db = new Database(path);
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma('busy_timeout = 5000');
      // WAL + NORMAL: a process crash loses nothing; a power cut may lose the last member writes, which the
      // feeder recovers (it adopts the job a lost write named).
      this.#db.pragma('synchronous = NORMAL');
      for (const sql of campaignSchema(CAMPAIGNS, MEMBERS)) this.#db.exec(sql);
    } catch (e) {
      throw new ServerConfigError(`campaign database ${path}: ${(e as Error).message}`);
    }
  }

  #prepare(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  async create(c: CampaignRecord, members: readonly MemberSeed[]): Promise<void> {
    const campaign = this.#prepare(
      `INSERT INTO ${CAMPAIGNS} (${CAMPAIGN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`,
    );
    const insert = this.#prepare(
      `INSERT INTO ${MEMBERS} (${SEED_COLUMNS}) VALUES (?, ?, ?, ?, 'waiting', 0, ?)`,
    );
    this.#db.transaction(() => {
      campaign.run(c.id, c.state, campaignDoc(c), c.revision, c.createdAt, c.updatedAt);
      for (let i = 0; i < members.length; i++)
        insert.run(c.id, i, members[i].iccid, members[i].imsi, c.createdAt);
    })();
  }

  async appendMembers(
    c: CampaignRecord,
    seeds: readonly MemberSeed[],
    at: string,
    next: (added: number) => CampaignRecord,
  ): Promise<boolean> {
    const insert = this.#prepare(
      `INSERT INTO ${MEMBERS} (${SEED_COLUMNS})
       VALUES (?, ?, ?, ?, 'waiting', 0, ?) ON CONFLICT (campaign_id, iccid) DO NOTHING`,
    );
    return this.#db.transaction(() => {
      const row = this.#prepare(`SELECT revision FROM ${CAMPAIGNS} WHERE id = ?`).get(c.id) as
        { revision: number } | undefined;
      if (row === undefined || Number(row.revision) !== c.revision) return false;
      let added = 0;
      for (const m of seeds) added += insert.run(c.id, c.total + added, m.iccid, m.imsi, at).changes;
      if (this.#write(next(added), c.revision)) return true;
      throw new Error(`campaign ${c.id}: revision moved inside its own transaction`);
    })();
  }

  async deleteDraft(id: string): Promise<boolean> {
    const isDraft = () =>
      (this.#prepare(`SELECT state FROM ${CAMPAIGNS} WHERE id = ?`).get(id) as { state: string } | undefined)
        ?.state === 'draft';
    const batch = this.#prepare(
      `DELETE FROM ${MEMBERS} WHERE rowid IN (SELECT rowid FROM ${MEMBERS} WHERE campaign_id = ? LIMIT ?)`,
    );
    for (;;) {
      if (!isDraft()) return false;
      if (batch.run(id, DELETE_CHUNK).changes < DELETE_CHUNK) break;
      // Other writers of the file (the job store) get their turn between batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
    return this.#db.transaction(() => {
      if (!isDraft()) return false;
      this.#prepare(`DELETE FROM ${MEMBERS} WHERE campaign_id = ?`).run(id);
      this.#prepare(`DELETE FROM ${CAMPAIGNS} WHERE id = ?`).run(id);
      return true;
    })();
  }

  async get(id: string): Promise<CampaignRecord | undefined> {
    const row = this.#prepare(`SELECT doc, revision FROM ${CAMPAIGNS} WHERE id = ?`).get(id) as
      CampaignRow | undefined;
    return row === undefined ? undefined : campaignOfRow(row);
  }

  async list(): Promise<CampaignRecord[]> {
    const rows = this.#prepare(
      `SELECT doc, revision FROM ${CAMPAIGNS} ORDER BY created_at DESC, id`,
    ).all() as CampaignRow[];
    return rows.map(campaignOfRow);
  }

  async withWork(): Promise<CampaignRecord[]> {
    const rows = this.#prepare(
      `SELECT doc, revision FROM ${CAMPAIGNS} WHERE ${WITH_WORK_SQL}
       ORDER BY created_at DESC, id`,
    ).all() as CampaignRow[];
    return rows.map(campaignOfRow);
  }

  #write(c: CampaignRecord, expected: number): boolean {
    checkCampaignRevision(c, expected);
    return (
      this.#prepare(
        `UPDATE ${CAMPAIGNS} SET state = ?, doc = ?, revision = ?, updated_at = ? WHERE id = ? AND revision = ?`,
      ).run(c.state, campaignDoc(c), c.revision, c.updatedAt, c.id, expected).changes === 1
    );
  }

  async update(c: CampaignRecord, expectedRevision: number): Promise<boolean> {
    return this.#write(c, expectedRevision);
  }

  async claimWave(id: string, nowMs: number, lease: Lease, plan: WavePlanner): Promise<MemberRecord[]> {
    const at = new Date(nowMs).toISOString();
    return this.#db.transaction(() => {
      const row = this.#prepare(`SELECT doc, revision FROM ${CAMPAIGNS} WHERE id = ?`).get(id) as
        CampaignRow | undefined;
      if (row === undefined) return [];
      const campaign = campaignOfRow(row);
      const inFlight = (
        this.#prepare(`SELECT count(*) AS n FROM ${MEMBERS} WHERE campaign_id = ? AND ${IN_FLIGHT_SQL}`).get(
          id,
        ) as { n: number }
      ).n;
      const p = plan(campaign, inFlight);
      if (p === undefined) return [];
      const rows =
        p.take <= 0
          ? []
          : (this.#prepare(
              `SELECT ${MEMBER_COLUMNS} FROM ${MEMBERS}
                 WHERE campaign_id = ? AND state = 'waiting' AND (not_before IS NULL OR not_before <= ?)
                 ORDER BY seq LIMIT ?`,
            ).all(id, nowMs, p.take) as MemberRow[]);
      // The campaign (its bucket) first: if it moved, nothing is claimed.
      if (!this.#write(p.campaign, campaign.revision)) return [];
      const claimed = rows.map((r) => leased(memberOfRow(r), lease, at));
      const write = this.#prepare(
        `UPDATE ${MEMBERS} SET state = 'feeding', lease_by = ?, lease_until = ?, updated_at = ?
         WHERE campaign_id = ? AND seq = ?`,
      );
      for (const m of claimed) write.run(lease.by, lease.until, at, id, m.seq);
      return claimed;
    })();
  }

  async reclaimExpired(id: string, nowMs: number, lease: Lease, limit: number): Promise<MemberRecord[]> {
    const at = new Date(nowMs).toISOString();
    return this.#db.transaction(() => {
      const rows = this.#prepare(
        `SELECT ${MEMBER_COLUMNS} FROM ${MEMBERS}
           WHERE campaign_id = ? AND state = 'feeding' AND lease_until < ? ORDER BY seq LIMIT ?`,
      ).all(id, nowMs, limit) as MemberRow[];
      const write = this.#prepare(
        `UPDATE ${MEMBERS} SET lease_by = ?, lease_until = ?, updated_at = ? WHERE campaign_id = ? AND seq = ?`,
      );
      for (const r of rows) write.run(lease.by, lease.until, at, id, r.seq);
      return rows.map((r) => leased(memberOfRow(r), lease, at));
    })();
  }

  async members(
    id: string,
    states: readonly MemberState[] | 'all',
    limit: number,
    afterSeq = -1,
  ): Promise<MemberRecord[]> {
    // Every state (the report): a range of the primary key, no state filter for the planner to sort after.
    if (states === 'all')
      return (
        this.#prepare(
          `SELECT ${MEMBER_COLUMNS} FROM ${MEMBERS} WHERE campaign_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
        ).all(id, afterSeq, limit) as MemberRow[]
      ).map(memberOfRow);
    // One range of the state index a state, merged by seq: with `state IN (...)` SQLite walks the primary key in
    // seq order instead, over every member before the first match (the whole campaign, each feeder tick).
    const byState = this.#prepare(
      `SELECT ${MEMBER_COLUMNS} FROM ${MEMBERS} WHERE campaign_id = ? AND state = ? AND seq > ? ORDER BY seq LIMIT ?`,
    );
    return states
      .flatMap((state) => (byState.all(id, state, afterSeq, limit) as MemberRow[]).map(memberOfRow))
      .sort((a, b) => a.seq - b.seq)
      .slice(0, limit);
  }

  async updateMember(next: MemberRecord, expected: ExpectedMember): Promise<boolean> {
    return this.#updateMember(next, expected);
  }

  async updateMembers(changes: readonly MemberChange[]): Promise<boolean[]> {
    return this.#db.transaction(() => changes.map((c) => this.#updateMember(c.next, c.expected)))();
  }

  #updateMember(next: MemberRecord, expected: ExpectedMember): boolean {
    const values = rowValuesOf(next);
    return (
      this.#prepare(
        `UPDATE ${MEMBERS} SET (${MEMBER_COLUMNS}) = (${PLACEHOLDERS})
           WHERE campaign_id = ? AND seq = ? AND state = ? AND job_id IS ?`,
      ).run(...values, next.campaignId, next.seq, expected.state, expected.jobId ?? null).changes === 1
    );
  }

  async counts(id: string): Promise<MemberCounts> {
    const rows = this.#prepare(
      `SELECT state, count(*) AS n FROM ${MEMBERS} WHERE campaign_id = ? GROUP BY state`,
    ).all(id) as { state: MemberState; n: number }[];
    const counts = emptyCounts();
    for (const r of rows) counts[r.state] = Number(r.n);
    return counts;
  }

  async cancelWaiting(id: string, detail: string, at: string): Promise<number> {
    return this.#prepare(
      `UPDATE ${MEMBERS} SET state = 'cancelled', reason = 'cancelled', detail = ?, updated_at = ?
         WHERE campaign_id = ? AND state = 'waiting'`,
    ).run(detail, at, id).changes;
  }

  async close(): Promise<void> {
    this.#statements.clear();
    this.#db.close();
  }
}
