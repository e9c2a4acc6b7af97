// Issue 11, DESIGN.md 8: one campaign of a few hundred subscribers fed by two server instances sharing one
// PostgreSQL (jobs, campaigns, members claimed with FOR UPDATE SKIP LOCKED). Instance A crashes mid-campaign
// (its database connections cut under it, its listeners gone, RAM sessions dropped mid-way), later starts again
// on the same database; the UEs start again on whichever instance answers, BF72 resuming jobs whose outcome was
// lost. At the end every subscriber is rotated exactly once (one job, key version 2 on card and HSS) and the
// report is complete.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { PostgresJobStore, openJobStore, type RunningServer } from '../../src/server/index.js';
import { PostgresCampaignStore, openCampaignStore } from '../../src/server/campaign/index.js';
import { admin, eventLogger, fleet, until } from './support/campaign-fleet.js';
import { PG_BASE, pgSkip } from './support/pg.js';

const CARDS = 40;
const PROFILES = 8;
const TOTAL = CARDS * PROFILES;

async function bounded(p: Promise<unknown>, what: string, ms = 15_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    p.catch(() => {}),
    new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        console.error(`cleanup: gave up waiting for ${what}`);
        resolve();
      }, ms);
    }),
  ]);
  clearTimeout(timer);
}

/** `p`, or a failure naming `what` when it has not settled within `ms`. */
async function within<T>(p: Promise<T>, what: string, ms = 15_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: not done within ${ms / 1000} s`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** What each instance logged, event by event (how many of each). */
function eventCounts(logs: Map<string, string[]>): string {
  const out: Record<string, Record<string, number>> = {};
  for (const [name, events] of logs) {
    const n: Record<string, number> = {};
    for (const e of events) n[e] = (n[e] ?? 0) + 1;
    out[name] = n;
  }
  return JSON.stringify(out);
}

/** Members and jobs by state, read straight from the database. */
async function dump(url: string): Promise<string> {
  const { schema } = { schema: new URL(url).searchParams.get('schema') as string };
  const client = new pg.Client({ connectionString: PG_BASE });
  await client.connect();
  try {
    const m = await client.query(
      `SELECT state, lease_by, count(*)::int AS n FROM "${schema}".campaign_members GROUP BY 1, 2`,
    );
    const j = await client.query(
      `SELECT state, count(*)::int AS n FROM "${schema}".key_update_jobs GROUP BY 1`,
    );
    return `members ${JSON.stringify(m.rows)}, jobs ${JSON.stringify(j.rows)}`;
  } finally {
    await client.end();
  }
}

describe('a campaign across two instances on PostgreSQL, one crashing', { skip: pgSkip }, () => {
  it('rotates every subscriber exactly once and reports all of them', { timeout: 180_000 }, async () => {
    const url = `${PG_BASE}?schema=campaign_two_${process.pid}`;
    const f = await fleet('two', CARDS, PROFILES);
    const closers: (() => Promise<void>)[] = [];
    const logs = new Map<string, string[]>();
    const instance = async (name: string) => {
      const { logger, events } = eventLogger();
      logs.set(name, events);
      const jobStore = (await openJobStore(url)) as PostgresJobStore;
      const campaignStore = (await openCampaignStore(url)) as PostgresCampaignStore;
      const server = await f.server({
        jobStore,
        campaignStore,
        instance: name,
        tickMs: 25,
        leaseMs: 1_000,
        logger,
      });
      const stores = async () => {
        await jobStore.close().catch(() => {});
        await campaignStore.close().catch(() => {});
      };
      closers.push(async () => {
        await server.close().catch(() => {});
        await stores();
      });
      return { server, stores };
    };
    const live = new Map<string, RunningServer>();
    let step = 'start';
    let a = await instance('A');
    const b = await instance('B');
    live.set('A', a.server);
    live.set('B', b.server);
    const ues = f.runUes(() => [...live.values()].map((s) => s.ramUrl));
    try {
      const created = await admin(b.server.adminUrl, f.operatorToken, 'POST', '/admin/v1/campaigns', {
        selection: { imsiRange: { first: '001010000000000', last: '001019999999999' } },
        // At most 60 new jobs a second: the campaign lasts several seconds, the crash comes mid-way.
        options: { rate: 60, concurrency: 40, delivery: 'poll' },
        start: true,
      });
      assert.equal(created.status, 201, JSON.stringify(created.json));
      const id = created.json.id as string;
      assert.equal(created.json.total, TOTAL);
      const status = async (via: RunningServer) =>
        (await admin(via.adminUrl, f.operatorToken, 'GET', `/admin/v1/campaigns/${id}`)).json as {
          state: string;
          done: number;
          counts: Record<string, number>;
        };

      step = 'a third';
      await until('a third of the campaign', async () => (await status(b.server)).done >= TOTAL / 3);
      // The crash: A's database connections are cut under it, then its listeners go (sessions mid-way die).
      step = 'crash';
      live.delete('A');
      // Each bounded: a close that never ends fails the test here (and the cleanup below still runs).
      await within(a.stores(), "A's stores close under it");
      await within(
        a.server.close().catch(() => {}),
        "A's server closes",
      );
      step = 'after crash';
      const atCrash = await status(b.server);
      const createdByA = logs.get('A')!.filter((e) => e === 'job-created').length;
      assert.ok(createdByA > 0, 'A fed members before it crashed');
      assert.ok(atCrash.done < TOTAL, 'the crash came mid-campaign');

      await until(
        'progress on B alone',
        async () => (await status(b.server)).done >= Math.min(TOTAL, atCrash.done + 20),
      );
      step = 'restart';
      a = await within(instance('A'), 'A starts again');
      live.set('A', a.server);
      step = 'completion';
      await until(
        'the campaign completes',
        async () => (await status(a.server)).state === 'completed',
        50_000,
      );

      // The report: every subscriber, each rotated to key version 2.
      const members: { iccid: string; state: string; keyVersion?: number; jobId?: string }[] = [];
      let after = -1;
      for (;;) {
        const r = await admin(
          a.server.adminUrl,
          f.operatorToken,
          'GET',
          `/admin/v1/campaigns/${id}/report?after=${after}&limit=100`,
        );
        members.push(...(r.json.members as typeof members));
        if (r.json.next === undefined) break;
        after = r.json.next as number;
      }
      assert.equal(members.length, TOTAL);
      assert.equal(new Set(members.map((m) => m.iccid)).size, TOTAL);
      for (const m of members) assert.deepEqual([m.state, m.keyVersion], ['rotated', 2], m.iccid);
      // Exactly once: one job per ICCID, completed, the member's.
      const jobs = await (
        a.server.jobs as unknown as {
          list(p: object): Promise<{ iccid: string; id: string; state: string }[]>;
        }
      ).list({ limit: 1000 });
      assert.equal(jobs.length, TOTAL, 'one job per subscriber, whatever crashed');
      const byIccid = new Map(jobs.map((j) => [j.iccid, j]));
      for (const m of members) {
        assert.equal(byIccid.get(m.iccid)?.state, 'completed');
        assert.equal(byIccid.get(m.iccid)?.id, m.jobId);
      }
      // The cards and the HSS hold version 2, nothing staged.
      for (const c of f.cards) for (const p of c.card.image.profiles) assert.equal(p.keyVersion, 2, p.iccid);
      for (const e of f.entries) {
        const sub = await f.hss.getSubscriber(e.imsi);
        assert.equal(sub.activeVersion, 2, e.imsi);
        assert.equal(sub.candidate, undefined, e.imsi);
      }
    } catch (e) {
      // What the campaign looked like when it went wrong (the test's own view of a stuck campaign).
      const view = await dump(url).catch((d: Error) => d.message);
      throw new Error(`${(e as Error).message}; at step "${step}"; ${view}; events ${eventCounts(logs)}`);
    } finally {
      // A cleanup that hangs must not hide the finding above.
      await bounded(ues.stop(), 'the UEs stop');
      for (const close of closers) await bounded(close(), 'an instance closes');
      const cleanup = new PostgresJobStore(url);
      await bounded(cleanup.dropSchema(), 'the schema drops');
      await bounded(cleanup.close(), 'the cleanup store closes');
      await bounded(f.close(), 'the HSS closes');
    }
  });
});
