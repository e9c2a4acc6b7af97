// Issue 11 (review finding F3), DESIGN.md 8: a campaign member never gets a second job. Instance A claims a wave
// and is slow (here its HSS lookup waits at a gate) past its lease; instance B takes the member over, creates
// its job J1, which completes; then A's creation goes on. The open-job index no longer holds the ICCID (J1
// ended), so only the (campaign, ICCID) index refuses A's job: A adopts J1 and the member stays rotated with
// it. On SQLite and on PostgreSQL (two instances with stores of their own on one schema); and an older job
// table is migrated to the campaign column and index.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { SeededRandom } from '../../src/crypto/index.js';
import { FixedClock, silentLogger } from '../../src/ports/index.js';
import {
  CAMPAIGN_JOB_INDEX,
  Inventory,
  JobService,
  PostgresJobStore,
  SqliteJobStore,
  openJobStore,
  type HssRole,
  type JobStore,
} from '../../src/server/index.js';
import {
  CampaignService,
  campaignActor,
  openCampaignStore,
  type CampaignRecord,
  type CampaignStore,
} from '../../src/server/campaign/index.js';
import { instantHss } from '../helpers/instant-hss.js';
import { tempDir } from './support/world.js';
import { entry, jobRecord } from './jobs-support.js';
import { PG_BASE, pgSkip } from './support/pg.js';

/** The shortest lease the server takes (--campaign-lease-seconds 5). */
const LEASE_MS = 5_000;
const KEK = new Uint8Array(32).fill(3);

/** An HSS whose lookups, once armed, wait at a gate: the slow instance (a GC pause, a slow HSS or database). */
function gatedHss() {
  let armed = false;
  let reached!: () => void;
  let release!: () => void;
  const atGate = new Promise<void>((r) => (reached = r));
  const gate = new Promise<void>((r) => (release = r));
  const role: HssRole = {
    ...instantHss,
    subscriber: async (imsi) => {
      if (armed) {
        reached();
        await gate;
      }
      return instantHss.subscriber(imsi);
    },
  };
  return { role, arm: () => (armed = true), atGate, release };
}

interface Instance {
  readonly jobStore: JobStore;
  readonly campaignStore: CampaignStore;
}

/** The race of finding F3 between instances `a` and `b` of one database. */
async function lateWave(a: Instance, b: Instance): Promise<void> {
  const clock = new FixedClock(new Date('2030-01-01T10:00:00Z'));
  const m = entry(1);
  const inventory = new Inventory([m]);
  const gated = gatedHss();
  const service = (name: string, at: Instance, hss: HssRole) => {
    const jobs = new JobService({
      store: at.jobStore,
      inventory,
      hss,
      kek: KEK,
      rng: new SeededRandom(`jobs-${name}`),
      clock,
      logger: silentLogger,
    });
    const campaigns = new CampaignService({
      store: at.campaignStore,
      jobs,
      jobStore: at.jobStore,
      inventory,
      rng: new SeededRandom(`campaigns-${name}`),
      clock,
      logger: silentLogger,
      instance: name,
      leaseMs: LEASE_MS,
    });
    return { jobs, campaigns };
  };
  const A = service('A', a, gated.role);
  const B = service('B', b, instantHss);
  const c = await A.campaigns.create(
    { selection: { lines: [m.iccid] }, options: { rate: 1000, delivery: 'poll' }, start: true },
    'operator',
  );
  const jobsOfM = async () =>
    b.jobStore.byIccids(
      [m.iccid],
      ['pending', 'staged', 'sent', 'applied', 'completed', 'failed', 'cancelled'],
    );

  // A claims the wave (the member feeding under A's lease) and waits in its HSS lookup, before its insert.
  gated.arm();
  const aTick = A.campaigns.tick();
  await gated.atGate;
  assert.equal((await B.campaigns.status(c.id)).counts.feeding, 1);

  // A's lease runs out: B takes the member over and creates J1, which completes (the card polled and rotated).
  clock.advance(LEASE_MS + 1);
  await B.campaigns.tick();
  const [j1] = await jobsOfM();
  assert.equal(j1?.campaign, c.id, 'a campaign job carries its campaign');
  assert.equal((await B.campaigns.report(c.id)).members[0].jobId, j1.id);
  const at = clock.now().toISOString();
  assert.ok(
    await b.jobStore.update(
      {
        ...j1,
        state: 'completed',
        history: [...j1.history, { state: 'completed', at }],
        revision: j1.revision + 1,
        updatedAt: at,
      },
      j1.revision,
    ),
  );
  await B.campaigns.tick();
  assert.equal((await B.campaigns.report(c.id)).members[0].state, 'rotated');

  // A wakes up: its job for the member is refused by the campaign's index, and J1 adopted.
  gated.release();
  await aTick;
  await A.campaigns.tick();
  await B.campaigns.tick();
  const jobs = await jobsOfM();
  assert.deepEqual(
    jobs.map((j) => [j.id, j.state]),
    [[j1.id, 'completed']],
    'one job per (campaign, ICCID): the card is rotated once',
  );
  const [member] = (await B.campaigns.report(c.id)).members;
  assert.deepEqual([member.state, member.jobId, member.keyVersion], ['rotated', j1.id, 2]);
  assert.equal((await B.campaigns.status(c.id)).state, 'completed');

  // The refusal names what happened.
  const actor = campaignActor((await b.campaignStore.get(c.id)) as CampaignRecord);
  assert.equal(j1.createdBy, actor);
  const [again] = await B.jobs.createMany([{ iccid: m.iccid }], actor, c.id);
  assert.ok('error' in again);
  assert.equal(again.error.kind, 'conflict');
  assert.equal(
    again.error.message,
    `campaign ${c.id} already created job ${j1.id} (completed) for ICCID ${m.iccid}`,
  );
  // Another campaign, or a job of no campaign, may still rotate the card again (J1 no longer holds the ICCID).
  const [other] = await B.jobs.createMany([{ iccid: m.iccid }], 'operator');
  assert.ok('job' in other, JSON.stringify(other));
}

const CAMPAIGN = '0123456789abcdef';
const ICCID_A = '8949000000000000001';
const ICCID_B = '8949000000000000002';

/** Jobs of a table from before the campaign column: two of one campaign and ICCID (the race it now prevents). */
async function olderJobs(store: JobStore): Promise<void> {
  const actor = `operator@campaign:${CAMPAIGN}:poll`;
  const done = { state: 'completed' as const, createdBy: actor };
  assert.ok(await store.insert(jobRecord('a000000000000001', ICCID_A, '2025-01-01T00:00:00.000Z', done)));
  assert.ok(await store.insert(jobRecord('a000000000000002', ICCID_A, '2025-01-01T00:00:01.000Z', done)));
  assert.ok(
    // An error text holding what PostgreSQL's JSON operators refuse (NUL, half a surrogate pair): read as text.
    await store.insert(
      jobRecord('b000000000000001', ICCID_B, '2025-01-01T00:00:02.000Z', {
        createdBy: actor,
        lastAttemptError: 'certificate CN=\u0000\ud800 refused',
      }),
    ),
  );
  assert.ok(
    await store.insert(
      jobRecord('c000000000000001', ICCID_B, '2025-01-01T00:00:03.000Z', { state: 'failed' }),
    ),
  );
}

/** After the migration: the older jobs marked (the first of a duplicate only), the index refusing another. */
async function migrated(store: JobStore): Promise<void> {
  const all = await store.list();
  assert.deepEqual(
    all.map((j) => [j.id, j.campaign]),
    [
      ['a000000000000001', CAMPAIGN],
      ['a000000000000002', undefined],
      ['b000000000000001', CAMPAIGN],
      ['c000000000000001', undefined],
    ],
  );
  const late = jobRecord('d000000000000001', ICCID_A, '2025-01-02T00:00:00.000Z', { campaign: CAMPAIGN });
  const otherCampaign = jobRecord('d000000000000002', ICCID_A, '2025-01-02T00:00:00.000Z', {
    campaign: 'fedcba9876543210',
  });
  assert.deepEqual(await store.insertMany([late, otherCampaign]), [false, true]);
  // One open job per ICCID still holds too (the batch's DO NOTHING covers both indexes).
  const open = jobRecord('d000000000000003', ICCID_A, '2025-01-02T00:00:00.000Z');
  assert.deepEqual(await store.insertMany([open]), [false]);
}

describe('a campaign member gets one job, ever (SQLite)', () => {
  it('a wave that comes after its lease ran out adopts the job another instance created and completed', async () => {
    const file = join(tempDir('ltku-one-job-'), 'server.sqlite');
    const instance = { jobStore: await openJobStore(file), campaignStore: await openCampaignStore(file) };
    try {
      await lateWave(instance, instance);
    } finally {
      await instance.jobStore.close();
      await instance.campaignStore.close();
    }
  });

  it('an older job table gets the campaign column, its campaign jobs marked, and the index', async () => {
    const file = join(tempDir('ltku-one-job-'), 'server.sqlite');
    const before = new SqliteJobStore(file);
    await olderJobs(before);
    await before.close();
    const db = new Database(file);
    db.exec(`DROP INDEX ${CAMPAIGN_JOB_INDEX}; ALTER TABLE key_update_jobs DROP COLUMN campaign_id`);
    db.close();
    const after = new SqliteJobStore(file);
    try {
      await migrated(after);
    } finally {
      await after.close();
    }
  });
});

describe('a campaign member gets one job, ever (PostgreSQL)', { skip: pgSkip }, () => {
  it('a wave that comes after its lease ran out adopts the job another instance created and completed', async () => {
    const url = `${PG_BASE}?schema=campaign_one_job_${process.pid}`;
    const open = async () => ({
      jobStore: await openJobStore(url),
      campaignStore: await openCampaignStore(url),
    });
    const a = await open();
    const b = await open();
    try {
      await lateWave(a, b);
    } finally {
      for (const i of [a, b]) {
        await i.jobStore.close();
        await i.campaignStore.close();
      }
      const jobs = new PostgresJobStore(url);
      await jobs.dropSchema();
      await jobs.close();
    }
  });

  it('an older job table gets the campaign column, its campaign jobs marked, and the index', async () => {
    const schema = `campaign_one_job_migrate_${process.pid}`;
    const url = `${PG_BASE}?schema=${schema}`;
    const before = (await openJobStore(url)) as PostgresJobStore;
    await olderJobs(before);
    await before.close();
    const client = new pg.Client({ connectionString: PG_BASE });
    await client.connect();
    await client.query(`ALTER TABLE "${schema}".key_update_jobs DROP COLUMN campaign_id`);
    await client.end();
    const after = (await openJobStore(url)) as PostgresJobStore;
    try {
      await migrated(after);
    } finally {
      await after.dropSchema();
      await after.close();
    }
  });
});
