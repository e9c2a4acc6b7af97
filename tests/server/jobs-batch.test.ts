// Issue 11: JobService.createMany, the batched creation of campaign waves and POST /jobs/batch: one answer per
// target (a refusal names why; the others go ahead), one HSS lookup, one insert, and still one open job per ICCID
// when batches race (DESIGN.md 7), on both stores.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FixedClock } from '../../src/ports/index.js';
import {
  HssRoleError,
  PostgresJobStore,
  SqliteJobStore,
  openJobStore,
  type CreateResult,
  type HssRole,
  type JobStore,
} from '../../src/server/index.js';
import { PG_BASE, pgSkip } from './support/pg.js';
import { AUTHENTICATED, CandidateHss, T0, counting, entry, jobService, type Counts } from './jobs-support.js';

const outcome = (r: CreateResult) => ('job' in r ? 'created' : r.error.kind);

async function perTarget(store: JobStore): Promise<void> {
  const [a, b, open, unknownAtHss] = [1, 2, 3, 4].map(entry);
  const hssCalls: Counts = {};
  const hss = new CandidateHss([a.imsi, b.imsi, open.imsi]);
  const jobs = jobService(store, counting(hss, hssCalls), [a, b, open, unknownAtHss]);
  await jobs.create({ iccid: open.iccid }, 'operator');
  delete hssCalls.subscriber;
  const results = await jobs.createMany(
    [
      { iccid: a.iccid },
      { iccid: '8949000000000099999' },
      { imsi: unknownAtHss.imsi },
      { iccid: open.iccid },
      { imsi: a.imsi },
      { iccid: b.iccid, k: 'ff'.repeat(16) } as never,
      { imsi: b.imsi },
    ],
    'operator',
  );
  assert.deepEqual(results.map(outcome), [
    'created',
    'not-found',
    'not-found',
    'conflict',
    'conflict',
    'invalid',
    'created',
  ]);
  assert.deepEqual(hssCalls, { subscribers: 1 }, 'one lookup for the batch');
  const messages = results.map((r) => ('error' in r ? r.error.message : ''));
  assert.match(messages[1], /no card in the inventory holds ICCID 8949000000000099999/);
  assert.match(messages[2], new RegExp(`does not know IMSI ${unknownAtHss.imsi}`));
  assert.match(messages[3], /already has a key update in progress/);
  assert.match(messages[5], /only from the server CSPRNG/);
  const created = results.flatMap((r) => ('job' in r ? [r.job] : []));
  assert.deepEqual(
    created.map((j) => [j.iccid, j.keyVersion, j.state, j.createdBy]),
    [
      [a.iccid, 2, 'pending', 'operator'],
      [b.iccid, 2, 'pending', 'operator'],
    ],
  );
  assert.deepEqual(results[6].target, { imsi: b.imsi }, 'each answer names its target');
  assert.notEqual(created[0].transactionId, created[1].transactionId);
  for (const j of created) {
    const stored = await jobs.get(j.id);
    assert.deepEqual(stored, j, 'stored as answered');
    assert.equal(stored.history[0].detail, 'created by operator: new keys from the CSPRNG');
  }
  assert.deepEqual(await jobs.createMany([], 'operator'), []);
}

describe('JobService.createMany', () => {
  it('SQLite: one answer per target, refusals named, one HSS lookup', async () => {
    const store = new SqliteJobStore(':memory:');
    try {
      await perTarget(store);
    } finally {
      await store.close();
    }
  });

  it('PostgreSQL: the same', { skip: pgSkip }, async () => {
    const url = `${PG_BASE}?schema=server_jobs_batch_${process.pid}`;
    const store = await openJobStore(url);
    try {
      await perTarget(store);
    } finally {
      await store.close();
      const cleanup = new PostgresJobStore(url);
      await cleanup.dropSchema();
      await cleanup.close();
    }
  });

  it(
    'PostgreSQL: two instances creating overlapping batches at once give one job per ICCID',
    { skip: pgSkip },
    async () => {
      const url = `${PG_BASE}?schema=server_jobs_batch_race_${process.pid}`;
      const entries = Array.from({ length: 40 }, (_, i) => entry(i + 1));
      const stores = [await openJobStore(url), await openJobStore(url)];
      try {
        const hss = new CandidateHss(entries.map((e) => e.imsi));
        const [one, two] = stores.map((s, i) =>
          jobService(s, hss, entries, new FixedClock(T0), `instance-${i}`),
        );
        const targets = entries.map((e) => ({ iccid: e.iccid }));
        const [r1, r2] = await Promise.all([
          one.createMany(targets, 'operator'),
          two.createMany([...targets].reverse(), 'operator'),
        ]);
        const created = [...r1, ...r2].filter((r) => 'job' in r);
        assert.equal(created.length, entries.length, 'every ICCID got a job');
        for (const r of [...r1, ...r2]) assert.ok('job' in r || r.error.kind === 'conflict');
        const all = await one.list({ limit: 1000 });
        assert.equal(all.length, entries.length);
        assert.equal(new Set(all.map((j) => j.iccid)).size, entries.length, 'one job per ICCID');
      } finally {
        for (const s of stores) await s.close();
        const cleanup = new PostgresJobStore(url);
        await cleanup.dropSchema();
        await cleanup.close();
      }
    },
  );

  it('a backend without key versions: the version follows the last completed job of each IMSI', async () => {
    const [a, b] = [1, 2].map(entry);
    const store = new SqliteJobStore(':memory:');
    const versionless: HssRole = {
      name: 'versionless',
      hasCandidates: false,
      subscriber: async (imsi) => ({ imsi, algorithm: null, activeVersion: null }),
      stage: async () => {},
      commit: async () => {},
      abort: async () => {},
      listCandidates: async () => [],
      ready: async () => {},
    };
    try {
      const jobs = jobService(store, versionless, [a, b]);
      const first = await jobs.create({ iccid: a.iccid }, 'operator');
      const claim = await jobs.claim(a.eid, 'session');
      await claim?.hooks.beforeRequest({
        ...AUTHENTICATED,
        afterStatus: false,
      });
      assert.equal(
        (await claim?.finish({ kind: 'applied', keyVersion: 2, viaStatus: false }))?.state,
        'completed',
      );
      assert.equal(first.keyVersion, 2);
      // No batched lookup in this role: createMany falls back to one read per IMSI.
      const results = await jobs.createMany([{ iccid: a.iccid }, { iccid: b.iccid }], 'operator');
      assert.deepEqual(
        results.map((r) => ('job' in r ? r.job.keyVersion : r.error.message)),
        [3, 2],
      );
    } finally {
      await store.close();
    }
  });

  it('an HSS failing the lookup fails the batch, nothing created', async () => {
    const store = new SqliteJobStore(':memory:');
    const hss = new CandidateHss([entry(1).imsi]);
    hss.subscribers = async () => {
      throw new HssRoleError('failed', 'HSS unreachable');
    };
    try {
      const jobs = jobService(store, hss, [entry(1)]);
      await assert.rejects(jobs.createMany([{ iccid: entry(1).iccid }], 'operator'), /HSS unreachable/);
      assert.deepEqual(await store.list(), []);
    } finally {
      await store.close();
    }
  });
});
