// Issue 11: the pieces of a campaign on their own: the indexed inventory with batches, the selection and its
// named bad lines, the daily window and the rate bucket, the store's claims and compare-and-set writes, and the
// feeder's recovery after a process died between creating a member's job and recording it (the job is adopted,
// never created twice).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../src/crypto/index.js';
import { FixedClock, silentLogger } from '../../src/ports/index.js';
import {
  Inventory,
  JobService,
  ServerConfigError,
  SqliteJobStore,
  parseInventoryFile,
  type InventoryEntry,
} from '../../src/server/index.js';
import {
  CampaignService,
  SelectionError,
  SqliteCampaignStore,
  campaignActor,
  inWindow,
  parseWindow,
  pushWanted,
  refill,
  resolveLines,
  resolveSelection,
  type CampaignRecord,
} from '../../src/server/campaign/index.js';
import { instantHss as hss } from '../helpers/instant-hss.js';

function entry(i: number, eid = 0, batch?: string): InventoryEntry {
  return {
    eid: String(eid).padStart(32, '8'),
    iccid: `8949${String(i).padStart(15, '0')}`,
    imsi: `00101${String(i).padStart(10, '0')}`,
    algorithm: 'milenage',
    ...(batch === undefined ? {} : { batch }),
  };
}

describe('inventory indexes and batches', () => {
  it('finds by ICCID, IMSI, EID and batch; a replaced entry leaves the old indexes', () => {
    const inv = new Inventory([entry(1, 1, 'A'), entry(2, 1, 'A'), entry(3, 2, 'B')]);
    assert.equal(inv.byImsi(entry(3).imsi)?.iccid, entry(3).iccid);
    assert.deepEqual(
      inv.byEid(entry(1, 1).eid).map((e) => e.iccid),
      [entry(1).iccid, entry(2).iccid],
    );
    assert.equal(inv.byBatch('A').length, 2);
    inv.add([{ ...entry(2, 2, 'B'), imsi: '001019999999999' }]);
    assert.equal(inv.byImsi(entry(2).imsi), undefined, 'the old IMSI is gone');
    assert.equal(inv.byImsi('001019999999999')?.iccid, entry(2).iccid);
    assert.deepEqual(
      inv.byEid(entry(1, 1).eid).map((e) => e.iccid),
      [entry(1).iccid],
    );
    assert.deepEqual(
      inv.byBatch('B').map((e) => e.iccid),
      [entry(3).iccid, entry(2).iccid],
    );
    assert.equal(inv.size, 3);
  });

  it('reads `batch` of the file and of a subscriber (which wins), and refuses a malformed one', () => {
    const file = (extra: object, sub: object = {}) =>
      JSON.stringify({
        format: 'ltku-subscribers/1',
        eid: '8'.repeat(32),
        ...extra,
        subscribers: [
          { iccid: entry(1).iccid, imsi: entry(1).imsi, algorithm: 'milenage', ...sub },
          { iccid: entry(2).iccid, imsi: entry(2).imsi, algorithm: 'milenage' },
        ],
      });
    assert.deepEqual(
      parseInventoryFile(file({ batch: 'LOT-7' }, { batch: 'LOT-8' })).map((e) => e.batch),
      ['LOT-8', 'LOT-7'],
    );
    assert.deepEqual(
      parseInventoryFile(file({})).map((e) => e.batch),
      [undefined, undefined],
    );
    assert.throws(
      () => parseInventoryFile(file({ batch: 'bad batch!' }), 'f.json'),
      (e: Error) => e instanceof ServerConfigError && /f\.json: batch must be/.test(e.message),
    );
    assert.throws(
      () => parseInventoryFile(file({}, { batch: 7 }), 'f.json'),
      /f\.json: subscribers\[0\]\.batch must be/,
    );
  });
});

describe('campaign selection', () => {
  const inv = new Inventory([entry(1, 1, 'A'), entry(2, 1, 'A'), entry(3, 2, 'B'), entry(10, 3, 'B')]);

  it('takes ICCIDs and IMSIs, the first CSV field, skips comments; a profile named twice is kept once', () => {
    const r = resolveSelection(
      {
        lines: [
          '# lot 7',
          `${entry(1).iccid},extra`,
          '',
          `  ${entry(3).imsi}  `,
          entry(1).imsi,
          entry(3).iccid,
        ],
      },
      inv,
    );
    assert.deepEqual(
      r.members.map((m) => m.iccid),
      [entry(1).iccid, entry(3).iccid],
    );
    assert.equal(r.duplicates, 2);
    assert.deepEqual(r.spec, { kind: 'list', count: 2 });
  });

  it('names every bad line with its number, at most 20, and counts the rest', () => {
    const lines = [entry(1).iccid, 'x', '8949000000000000009', '001010000000099', '12345'];
    assert.throws(
      () => resolveSelection({ lines }, inv),
      (e: Error) =>
        e instanceof SelectionError &&
        e.kind === 'invalid' &&
        e.problems.map((p) => p.line).join() === '2,3,4,5' &&
        /line 3: unknown ICCID 8949000000000000009/.test(e.message) &&
        /line 4: unknown IMSI 001010000000099/.test(e.message) &&
        /line 5: malformed: "12345"/.test(e.message),
    );
    const many = Array.from({ length: 25 }, () => 'junk');
    assert.throws(() => resolveSelection({ lines: many }, inv), /line 20: .*; and 5 more$/);
    assert.throws(() => resolveSelection({ lines: ['# only', ''] }, inv), /selects no subscriber/);
  });

  it('a chunk of a file: lines numbered from its first, a long field never quoted (it may be a key)', () => {
    const r = resolveLines([entry(1).iccid, '00112233445566778899aabbccddeeff', entry(1).imsi], inv, 40_001);
    assert.deepEqual(
      r.members.map((m) => m.iccid),
      [entry(1).iccid],
    );
    assert.equal(r.duplicates, 1);
    assert.deepEqual(r.problems, [
      {
        line: 40_002,
        reason:
          'malformed: a field of 32 characters is neither an ICCID (19 or 20 digits) nor an IMSI (15 digits)',
      },
    ]);
    const e = new SelectionError(r.problems, 57, 'nothing started');
    assert.equal(
      e.message,
      `selection refused, nothing started: line 40002: ${r.problems[0].reason}; and 56 more`,
    );
  });

  it('an IMSI range in IMSI order; a batch; each refused when empty or malformed', () => {
    const r = resolveSelection({ imsiRange: { first: entry(2).imsi, last: entry(10).imsi } }, inv);
    assert.deepEqual(
      r.members.map((m) => m.imsi),
      [entry(2).imsi, entry(3).imsi, entry(10).imsi],
    );
    assert.throws(
      () => resolveSelection({ imsiRange: { first: entry(3).imsi, last: entry(2).imsi } }, inv),
      /is after last/,
    );
    assert.throws(
      () => resolveSelection({ imsiRange: { first: '001019000000000', last: '001019999999999' } }, inv),
      /no profile in the inventory has an IMSI in/,
    );
    assert.equal(resolveSelection({ batch: 'B' }, inv).members.length, 2);
    assert.throws(() => resolveSelection({ batch: 'C' }, inv), /no profile in the inventory is of batch "C"/);
  });
});

describe('window, rate bucket, push', () => {
  it('a daily window, also past midnight', () => {
    const at = (hm: string) => new Date(`2030-01-01T${hm}:00Z`);
    const night = parseWindow('22:30-04:00');
    assert.deepEqual(night, { startMinute: 22 * 60 + 30, endMinute: 240 });
    assert.equal(inWindow(night, at('23:00')), true);
    assert.equal(inWindow(night, at('03:59')), true);
    assert.equal(inWindow(night, at('04:00')), false);
    assert.equal(inWindow(night, at('12:00')), false);
    const day = parseWindow('09:00-17:00');
    assert.equal(inWindow(day, at('09:00')), true);
    assert.equal(inWindow(day, at('17:00')), false);
    assert.equal(inWindow(undefined, at('12:00')), true);
    for (const bad of ['24:00-01:00', '9:00-10:00', '10:00-10:00', '10:00'])
      assert.equal(parseWindow(bad), undefined, bad);
  });

  it('refills at the rate, up to one second of it (at least one)', () => {
    assert.equal(refill({ tokens: 0, at: 0 }, 10, 500), 5);
    assert.equal(refill({ tokens: 0, at: 0 }, 10, 60_000), 10);
    assert.equal(refill({ tokens: 0, at: 0 }, 0.5, 60_000), 1);
    assert.equal(refill({ tokens: 2, at: 1000 }, 10, 900), 2, 'a clock going back adds nothing');
  });

  it('jobs of a campaign waiting for the poll are not pushed; other jobs are', () => {
    const c = { id: '0123456789abcdef', createdBy: 'operator' };
    const poll = campaignActor({ ...c, options: { delivery: 'poll' } as CampaignRecord['options'] });
    const push = campaignActor({ ...c, options: { delivery: 'push' } as CampaignRecord['options'] });
    assert.equal(pushWanted({ createdBy: poll }), false);
    assert.equal(pushWanted({ createdBy: push }), true);
    assert.equal(pushWanted({ createdBy: 'operator' }), true);
  });
});

describe('campaign store and feeder recovery (SQLite)', () => {
  it('a member whose job was created just before its instance died is adopted, not fed twice', async () => {
    const clock = new FixedClock(new Date('2030-01-01T10:00:00Z'));
    const inventory = new Inventory([entry(1, 1), entry(2, 2), entry(3, 3)]);
    const jobStore = new SqliteJobStore(':memory:');
    const store = new SqliteCampaignStore(':memory:');
    const jobs = new JobService({
      store: jobStore,
      inventory,
      hss,
      kek: new Uint8Array(32).fill(1),
      rng: new SeededRandom('jobs'),
      clock,
      logger: silentLogger,
    });
    const feeder = (instance: string) =>
      new CampaignService({
        store,
        jobs,
        jobStore,
        inventory,
        rng: new SeededRandom(`c-${instance}`),
        clock,
        logger: silentLogger,
        instance,
        leaseMs: 10_000,
      });
    const a = feeder('A');
    const b = feeder('B');
    try {
      const c = await a.create(
        { selection: { lines: [entry(1).iccid, entry(2).iccid, entry(3).iccid] }, options: { rate: 1000 } },
        'operator',
      );
      await a.start(c.id, 'operator');
      const record = (await store.get(c.id)) as CampaignRecord;
      // A claims the wave and dies: the first member's job was created, the member never recorded it.
      const wave = await store.claimWave(
        c.id,
        clock.now().getTime(),
        { by: 'A', until: clock.now().getTime() + 10_000 },
        (cur) => ({
          take: 3,
          campaign: { ...cur, revision: cur.revision + 1 },
        }),
      );
      assert.deepEqual(
        wave.map((m) => m.state),
        ['feeding', 'feeding', 'feeding'],
      );
      const orphan = await jobs.create({ iccid: entry(1).iccid }, campaignActor(record));
      // B sees nothing to feed while A's lease holds.
      await b.tick();
      assert.equal((await jobStore.list()).length, 1);
      assert.equal((await b.status(c.id)).counts.feeding, 3);
      clock.advance(10_001);
      await b.tick();
      const members = (await b.report(c.id)).members;
      assert.deepEqual(
        members.map((m) => m.state),
        ['open', 'open', 'open'],
      );
      assert.equal(members[0].jobId, orphan.id, 'the job A created is adopted');
      const all = await jobStore.list();
      assert.equal(all.length, 3, 'one job per member');
      assert.equal(new Set(all.map((j) => j.iccid)).size, 3);
      // A stale write of A (its CAS on 'feeding') no longer applies.
      assert.equal(await store.updateMember({ ...wave[1], state: 'failed' }, { state: 'feeding' }), false);
    } finally {
      await store.close();
      await jobStore.close();
    }
  });

  it('a cancelled member job of an operator ends the member cancelled; an unknown subscriber fails named', async () => {
    const clock = new FixedClock(new Date('2030-01-01T10:00:00Z'));
    const inventory = new Inventory([entry(1, 1), entry(2, 2)]);
    const jobStore = new SqliteJobStore(':memory:');
    const store = new SqliteCampaignStore(':memory:');
    const lookup = new Inventory([entry(1, 1)]); // the HSS side only knows the first
    const jobs = new JobService({
      store: jobStore,
      inventory,
      hss: {
        ...hss,
        subscriber: async (imsi) => {
          if (lookup.byImsi(imsi) === undefined)
            throw new (await import('../../src/server/index.js')).HssRoleError(
              'unknown-subscriber',
              `unknown IMSI ${imsi}`,
            );
          return { imsi, algorithm: 'milenage', activeVersion: 1 };
        },
      },
      kek: new Uint8Array(32).fill(1),
      rng: new SeededRandom('jobs2'),
      clock,
      logger: silentLogger,
    });
    const svc = new CampaignService({
      store,
      jobs,
      jobStore,
      inventory,
      rng: new SeededRandom('c2'),
      clock,
      logger: silentLogger,
      instance: 'one',
    });
    try {
      const c = await svc.create(
        { selection: { lines: [entry(1).iccid, entry(2).iccid] }, options: { rate: 1000 }, start: true },
        'operator',
      );
      await svc.tick();
      const [job] = await jobStore.list();
      await jobs.cancel(job.id, 'operator');
      clock.advance(1_000); // the bucket refills (the first job of a start goes at once, then the rate)
      await svc.tick();
      const members = (await svc.report(c.id)).members;
      assert.deepEqual(
        members.map((m) => [m.state, m.reason]),
        [
          ['cancelled', 'cancelled'],
          ['failed', 'unknown-subscriber'],
        ],
      );
      assert.match(members[0].detail ?? '', /cancelled by operator/);
      assert.match(members[1].detail ?? '', /IMSI 001010000000002/);
      assert.equal((await svc.status(c.id)).state, 'completed');
    } finally {
      await store.close();
      await jobStore.close();
    }
  });
});
