// Issue 11 (server CPU per key update): the job store's round trips and the HSS calls of one key update, counted
// around the store and the HSS role, on SQLite and PostgreSQL (the same JobService calls either way). Before this
// change a key update cost 10 statements on the campaign path (feeder 4, session 6) and 3 HSS calls; now a
// session costs 3 (read, sent, completed), and a wave a handful whatever its size.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../src/crypto/index.js';
import { FixedClock, silentLogger } from '../../src/ports/index.js';
import {
  Inventory,
  PostgresJobStore,
  SqliteJobStore,
  openJobStore,
  type JobStore,
} from '../../src/server/index.js';
import { CampaignService, SqliteCampaignStore } from '../../src/server/campaign/index.js';
import { PG_BASE, pgSkip } from './support/pg.js';
import {
  AUTHENTICATED,
  CandidateHss,
  T0,
  clear,
  counting,
  entry,
  jobService,
  type Counts,
} from './jobs-support.js';

async function countKeyUpdate(store: JobStore): Promise<void> {
  const storeCalls: Counts = {};
  const hssCalls: Counts = {};
  const hss = new CandidateHss([entry(1).imsi]);
  const jobs = jobService(counting(store, storeCalls), counting(hss, hssCalls), [entry(1)]);
  const created = await jobs.create({ iccid: entry(1).iccid }, 'operator');
  assert.deepEqual(storeCalls, { byIccids: 1, insert: 1 });
  assert.deepEqual(hssCalls, { subscriber: 1 });
  clear(storeCalls, hssCalls);

  const claim = await jobs.claim(entry(1).eid, 'session-1');
  assert.ok(claim);
  await claim.hooks.authenticated?.(AUTHENTICATED);
  assert.equal(await claim.hooks.beforeRequest({ ...AUTHENTICATED, afterStatus: false }), 'update');
  assert.equal(hss.candidates.get(entry(1).imsi)?.version, 2, 'staged before BF70');
  const sent = await jobs.get(created.id);
  assert.equal(sent.state, 'sent');
  assert.equal(sent.sessions, 1, 'the authentication rode on the request write');
  const done = await claim.finish({ kind: 'applied', keyVersion: 2, viaStatus: false });
  assert.equal(done.state, 'completed');
  assert.deepEqual(
    done.history.map((h) => h.state),
    ['pending', 'staged', 'sent', 'applied', 'completed'],
  );
  assert.equal(done.sessions, 1);
  assert.equal(hss.active.get(entry(1).imsi), 2);
  // claim's read, the `sent` write (+staged, +authenticated), get above (test), the `completed` write (+applied)
  assert.deepEqual(storeCalls, { byIccids: 1, update: 2, get: 1 });
  assert.deepEqual(hssCalls, { stage: 1, commit: 1 });
}

describe('round trips of one key update', () => {
  it('SQLite: creation 2, session 3 statements; HSS lookup, stage, commit', async () => {
    const store = new SqliteJobStore(':memory:');
    try {
      await countKeyUpdate(store);
    } finally {
      await store.close();
    }
  });

  it('PostgreSQL: the same', { skip: pgSkip }, async () => {
    const url = `${PG_BASE}?schema=server_round_trips_${process.pid}`;
    const store = await openJobStore(url);
    try {
      await countKeyUpdate(store);
    } finally {
      await store.close();
      const cleanup = new PostgresJobStore(url);
      await cleanup.dropSchema();
      await cleanup.close();
    }
  });
});

describe('round trips of a campaign wave', () => {
  it('SQLite: the statements and HSS calls of a wave do not grow with its members', async () => {
    for (const n of [5, 40]) {
      const clock = new FixedClock(T0);
      const members = Array.from({ length: n }, (_, i) => entry(i + 1));
      const inventory = new Inventory(members);
      const jobStore = new SqliteJobStore(':memory:');
      const store = new SqliteCampaignStore(':memory:');
      const jobCalls: Counts = {};
      const campaignCalls: Counts = {};
      const hssCalls: Counts = {};
      const counted = counting(jobStore, jobCalls);
      const hss = new CandidateHss(members.map((m) => m.imsi));
      const svc = new CampaignService({
        store: counting(store, campaignCalls),
        jobs: jobService(counted, counting(hss, hssCalls), members, clock),
        jobStore: counted,
        inventory,
        rng: new SeededRandom('wave'),
        clock,
        logger: silentLogger,
        instance: 'one',
      });
      try {
        const c = await svc.create(
          { selection: { lines: members.map((m) => m.iccid) }, options: { rate: 1000, concurrency: 1000 } },
          'operator',
        );
        await svc.start(c.id, 'operator');
        await svc.tick(); // the first job of a start goes at once, then the rate
        clock.advance(1_000);
        clear(jobCalls, campaignCalls, hssCalls);
        await svc.tick();
        const counts = {
          jobCalls: { ...jobCalls },
          campaignCalls: { ...campaignCalls },
          hssCalls: { ...hssCalls },
        };
        assert.equal((await svc.status(c.id)).counts.open, n);
        assert.equal((await jobStore.list({ limit: 1000 })).length, n, 'one job per member');
        // The reconciliation's read, the wave's adoption read, createMany's open-job read; one insert; one lookup.
        assert.deepEqual(counts.jobCalls, { byIccids: 3, insertMany: 1 }, `${n} members`);
        assert.deepEqual(counts.hssCalls, { subscribers: 1 }, `${n} members`);
        assert.equal(counts.campaignCalls.get, 1, 'the campaign read once per wave');
        assert.equal(counts.campaignCalls.updateMembers, 1);
      } finally {
        await store.close();
        await jobStore.close();
      }
    }
  });
});
