// Issue 9 finding 6, DESIGN.md 7: one open job per ICCID, enforced by the database (a unique partial index), so
// creations racing for one ICCID give exactly one job, within one server and across servers on one PostgreSQL.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../src/crypto/index.js';
import { silentLogger } from '../../src/ports/index.js';
import { subscribersFile } from '../../src/card/index.js';
import { runRamSession } from '../../src/ue/ram-agent.js';
import {
  Inventory,
  JobError,
  JobService,
  PostgresJobStore,
  openJobStore,
  parseInventoryFile,
  type JobStore,
} from '../../src/server/index.js';
import { createJob, world, type World } from './support/world.js';
import { PG_BASE, pgSkip } from './support/pg.js';

async function jobsOf(w: World, iccid: string): Promise<{ state: string }[]> {
  const r = await w.admin('GET', '/admin/v1/jobs?limit=1000');
  return ((await r.json()) as { jobs: { iccid: string; state: string }[] }).jobs.filter(
    (j) => j.iccid === iccid,
  );
}

/** Runs the card's RAM sessions until the server has no more work for it. */
async function syncUntilIdle(w: World): Promise<void> {
  for (let i = 0; i < 5; i++) {
    const r = await runRamSession({ url: w.server.ramUrl, eid: w.s.image.eid, channel: w.s.channel });
    if (r.posts === 1) return;
  }
  assert.fail('the card kept getting work');
}

async function raceAndCheck(w: World): Promise<void> {
  const [p0, p1] = w.s.image.profiles;
  const answers = await Promise.all(Array.from({ length: 5 }, () => createJob(w, { iccid: p0.iccid })));
  assert.deepEqual(answers.map((a) => a.status).sort(), [201, 409, 409, 409, 409]);
  const direct = await Promise.allSettled(
    Array.from({ length: 50 }, () => w.server.jobs.create({ iccid: p0.iccid }, 'operator')),
  );
  assert.ok(direct.every((d) => d.status === 'rejected' && (d.reason as JobError).kind === 'conflict'));
  assert.equal((await jobsOf(w, p0.iccid)).length, 1, 'exactly one job');
  // The card's other profile is not blocked by leftovers.
  assert.equal((await createJob(w, { iccid: p1.iccid })).status, 201);
  await syncUntilIdle(w);
  assert.deepEqual(
    w.s.card.image.profiles.map((p) => p.keyVersion),
    [2, 2],
  );
  assert.deepEqual(
    (await jobsOf(w, p0.iccid)).map((j) => j.state),
    ['completed'],
  );
  // Completed, the ICCID takes a new job again.
  assert.equal((await createJob(w, { iccid: p0.iccid })).status, 201);
}

describe('one open job per ICCID (SQLite)', () => {
  it('parallel creations for one ICCID give exactly one job; the other profiles are unaffected', async () => {
    const w = await world('one-open-1');
    try {
      await raceAndCheck(w);
    } finally {
      await w.close();
    }
  });
});

describe('one open job per ICCID (PostgreSQL)', { skip: pgSkip }, () => {
  it('parallel creations for one ICCID give exactly one job; the other profiles are unaffected', async () => {
    const url = `${PG_BASE}?schema=server_one_open_${process.pid}`;
    const w = await world('one-open-2', { store: await openJobStore(url) });
    try {
      await raceAndCheck(w);
    } finally {
      await w.close();
      const cleanup = new PostgresJobStore(url);
      await cleanup.dropSchema();
      await cleanup.close();
    }
  });

  it('two server instances on one database create one job between them', async () => {
    const url = `${PG_BASE}?schema=server_two_instances_${process.pid}`;
    const w = await world('one-open-3', { store: await openJobStore(url) });
    const stores: JobStore[] = [];
    try {
      const inventory = new Inventory(parseInventoryFile(JSON.stringify(subscribersFile(w.s.image))));
      const instances = await Promise.all(
        [1, 2].map(async (n) => {
          const store = await openJobStore(url);
          stores.push(store);
          return new JobService({
            store,
            inventory,
            hss: w.hss,
            kek: new Uint8Array(32).fill(7),
            rng: new SeededRandom(`instance-${n}`),
            clock: w.clock,
            logger: silentLogger,
          });
        }),
      );
      const iccid = w.s.image.profiles[0].iccid;
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => instances[i % 2].create({ iccid }, 'operator')),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of results) {
        if (r.status === 'rejected') assert.equal((r.reason as JobError).kind, 'conflict');
      }
      assert.equal((await jobsOf(w, iccid)).length, 1);
    } finally {
      for (const s of stores) await s.close();
      await w.close();
      const cleanup = new PostgresJobStore(url);
      await cleanup.dropSchema();
      await cleanup.close();
    }
  });
});
