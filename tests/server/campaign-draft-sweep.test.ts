// Issue 11: a draft whose upload was abandoned (the CLI died mid-file) is deleted with its members by the feeder's
// tick once not written for more than ABANDONED_DRAFT_MS, on whichever instance gets there first, and never under
// an append: the sweep's mark and the append are both compare-and-set on the draft's revision, so either the
// chunk lands (the draft is fresh and stays) or the append fails naming why. On SQLite and on PostgreSQL (two
// instances with stores of their own on one database), with an injected clock.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SeededRandom } from '../../src/crypto/index.js';
import { FixedClock } from '../../src/ports/index.js';
import { Inventory, JobService, SqliteJobStore } from '../../src/server/index.js';
import {
  ABANDONED_DRAFT_MS,
  CampaignService,
  PostgresCampaignStore,
  openCampaignStore,
  type CampaignStore,
} from '../../src/server/campaign/index.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { instantHss } from '../helpers/instant-hss.js';
import { tempDir } from './support/world.js';
import { entry } from './jobs-support.js';
import { PG_BASE, pgSkip } from './support/pg.js';

const HOUR_MS = 60 * 60 * 1000;
const ACTOR = 'operator';

const inventory = new Inventory([1, 2, 3, 4, 5, 6].map(entry));
const lines = (...i: number[]) => i.map((n) => entry(n).iccid);

interface Backend {
  readonly name: string;
  readonly skip: string | false;
  /** Two stores (instances) on one database; close removes it. */
  open(): Promise<{ a: CampaignStore; b: CampaignStore; close(): Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: 'SQLite',
    skip: false,
    async open() {
      const file = join(tempDir('ltku-draft-sweep-'), 'server.sqlite');
      const a = await openCampaignStore(file);
      const b = await openCampaignStore(file);
      return { a, b, close: async () => (await a.close(), await b.close()) };
    },
  },
  {
    name: 'PostgreSQL',
    skip: pgSkip,
    async open() {
      const url = `${PG_BASE}?schema=draft_sweep_${process.pid}_${Math.random().toString(16).slice(2, 8)}`;
      const a = await openCampaignStore(url);
      const b = await openCampaignStore(url);
      return {
        a,
        b,
        async close() {
          await (a as PostgresCampaignStore).dropSchema();
          await a.close();
          await b.close();
        },
      };
    },
  },
];

/** A store whose `method`, once armed, stops at a gate before it runs: the other instance moves meanwhile. */
function gated(store: CampaignStore, method: keyof CampaignStore) {
  let armed: { reached(): void; gate: Promise<void> } | undefined;
  const wrapped = new Proxy(store, {
    get(target, p) {
      const v = Reflect.get(target, p, target) as unknown;
      if (typeof v !== 'function') return v;
      const f = v as (...args: unknown[]) => Promise<unknown>;
      if (p !== method) return f.bind(target);
      return async (...args: unknown[]) => {
        const at = armed;
        armed = undefined;
        if (at !== undefined) {
          at.reached();
          await at.gate;
        }
        return f.apply(target, args);
      };
    },
  });
  /** The next call stops: `atGate` once it came, `release` lets it go on. */
  const arm = () => {
    let reached!: () => void;
    let release!: () => void;
    const atGate = new Promise<void>((r) => (reached = r));
    armed = { reached, gate: new Promise<void>((r) => (release = r)) };
    return { atGate, release };
  };
  return { store: wrapped, arm };
}

/** Two instances of one database, one clock, one log. */
async function world(backend: Backend) {
  const stores = await backend.open();
  const clock = new FixedClock(new Date('2030-01-01T10:00:00Z'));
  const { logger, logs } = captureLogger();
  const jobStore = new SqliteJobStore(':memory:');
  const jobs = new JobService({
    store: jobStore,
    inventory,
    hss: instantHss,
    kek: new Uint8Array(32).fill(5),
    rng: new SeededRandom('draft-sweep-jobs'),
    clock,
    logger,
  });
  const instance = (name: string, store: CampaignStore) =>
    new CampaignService({
      store,
      jobs,
      jobStore,
      inventory,
      rng: new SeededRandom(`draft-sweep-${name}-${Math.random()}`),
      clock,
      logger,
      instance: name,
    });
  const swept = () =>
    logs
      .map((l) => JSON.parse(l) as [Record<string, unknown>, string])
      .filter(([o]) => o.event === 'campaign-draft-swept')
      .map(([o]) => o);
  /** A draft with its first chunk. */
  const draft = async (service: CampaignService, ...members: number[]) => {
    const d = await service.createDraft({ name: 'upload' }, ACTOR);
    await service.append(d.id, { chunk: 0, firstLine: 1, lines: lines(...members) });
    return d.id;
  };
  return {
    ...stores,
    clock,
    swept,
    draft,
    instance,
    async close() {
      await stores.close();
      await jobStore.close();
    },
  };
}

for (const backend of backends) {
  describe(`abandoned campaign drafts are swept (${backend.name})`, { skip: backend.skip }, () => {
    it('a draft not written for more than the limit goes with its members at the next tick; others stay', async () => {
      const w = await world(backend);
      try {
        const a = w.instance('A', w.a);
        const old = await w.draft(a, 1, 2);
        const campaign = await a.create({ selection: { lines: lines(3) } }, ACTOR);
        w.clock.advance(ABANDONED_DRAFT_MS / 2);
        const fresh = await w.draft(a, 4);

        w.clock.advance(ABANDONED_DRAFT_MS / 2);
        await a.tick();
        assert.equal((await w.a.get(old))?.state, 'draft', 'not written for exactly the limit: kept');
        assert.deepEqual(w.swept(), []);

        w.clock.advance(1);
        await a.tick();
        assert.equal(await w.a.get(old), undefined, 'the abandoned draft is gone');
        assert.deepEqual(await w.a.members(old, 'all', 10), [], 'its members too');
        assert.equal((await w.a.get(fresh))?.state, 'draft', 'a draft written 12 h ago stays');
        assert.equal((await w.a.members(fresh, 'all', 10)).length, 1);
        assert.equal((await w.a.get(campaign.id))?.state, 'created', 'a campaign is never swept');
        assert.equal((await w.a.members(campaign.id, 'all', 10)).length, 1);
        const [line, ...more] = w.swept();
        assert.deepEqual(more, [], 'one line per swept draft');
        assert.deepEqual(
          [line.campaign, line.members, line.chunks, line.lastWritten],
          [old, 2, 1, '2030-01-01T10:00:00.000Z'],
        );

        // The CLI comes back after the sweep: its chunk is refused, saying why the draft may be gone.
        await assert.rejects(
          a.append(old, { chunk: 1, firstLine: 3, lines: lines(5) }),
          (e: Error) =>
            e.message ===
            `no campaign ${old} (a draft not written for more than ${ABANDONED_DRAFT_MS / HOUR_MS} h is deleted as abandoned)`,
        );
        await a.tick();
        assert.equal(w.swept().length, 1, 'swept once');
      } finally {
        await w.close();
      }
    });

    it('two instances sweeping at once: the draft is deleted once, one line logged', async () => {
      const w = await world(backend);
      try {
        const a = w.instance('A', w.a);
        const b = w.instance('B', w.b);
        const id = await w.draft(a, 1, 2, 3);
        w.clock.advance(ABANDONED_DRAFT_MS + 1);
        await Promise.all([a.tick(), b.tick(), a.tick(), b.tick()]);
        assert.equal(await w.b.get(id), undefined);
        assert.deepEqual(await w.b.members(id, 'all', 10), []);
        assert.deepEqual(
          w.swept().map((l) => l.campaign),
          [id],
        );
      } finally {
        await w.close();
      }
    });

    it("an append that comes first keeps the draft: the sweep's compare-and-set fails", async () => {
      const w = await world(backend);
      try {
        const a = w.instance('A', w.a);
        const g = gated(w.b, 'update');
        const b = w.instance('B', g.store);
        const id = await w.draft(a, 1, 2);
        w.clock.advance(ABANDONED_DRAFT_MS + 1);
        // B read the draft as abandoned and is about to mark it; A's chunk lands first.
        const held = g.arm();
        const sweep = b.tick();
        await held.atGate;
        const answer = await a.append(id, { chunk: 1, firstLine: 3, lines: lines(3, 4) });
        assert.deepEqual([answer.chunks, answer.total, answer.replayed], [2, 4, false]);
        held.release();
        await sweep;
        const c = await w.a.get(id);
        assert.deepEqual([c?.state, c?.upload?.chunks, c?.upload?.discarded], ['draft', 2, undefined]);
        assert.equal((await w.a.members(id, 'all', 10)).length, 4, 'every member of both chunks stays');
        assert.deepEqual(w.swept(), []);
        // Sealed, it is a campaign like any other.
        assert.equal((await a.seal(id, { chunks: 2 }, ACTOR)).state, 'created');
      } finally {
        await w.close();
      }
    });

    it('a sweep that comes first fails the append naming why, and leaves no member behind', async () => {
      const w = await world(backend);
      try {
        const ga = gated(w.a, 'appendMembers');
        const a = w.instance('A', ga.store);
        const gb = gated(w.b, 'deleteDraft');
        const b = w.instance('B', gb.store);
        const id = await w.draft(a, 1, 2);
        w.clock.advance(ABANDONED_DRAFT_MS + 1);

        // A read the draft and is about to append its chunk; B marks the draft deleted meanwhile.
        const appending = ga.arm();
        const append = a.append(id, { chunk: 1, firstLine: 3, lines: lines(3, 4) });
        await appending.atGate;
        const deleting = gb.arm();
        const sweep = b.tick();
        await deleting.atGate;
        appending.release();
        await assert.rejects(append, (e: Error) => {
          assert.equal(
            e.message,
            `campaign ${id}: the draft was deleted (abandoned: not written for more than ${ABANDONED_DRAFT_MS / HOUR_MS} h): no members can be appended`,
          );
          return true;
        });
        deleting.release();
        await sweep;
        assert.equal(await w.a.get(id), undefined);
        assert.deepEqual(await w.a.members(id, 'all', 10), [], 'the refused chunk appended nothing');

        // The same race when the sweep also deleted the draft before the append's compare-and-set.
        const again = await w.draft(a, 5);
        w.clock.advance(ABANDONED_DRAFT_MS + 1);
        const appendingLate = ga.arm();
        const late = a.append(again, { chunk: 1, firstLine: 2, lines: lines(6) });
        await appendingLate.atGate;
        await w.instance('B', w.b).tick();
        appendingLate.release();
        await assert.rejects(
          late,
          /the draft was deleted as this chunk came \(a draft not written for more than 24 h/,
        );
        assert.deepEqual(await w.a.members(again, 'all', 10), []);
        assert.deepEqual(
          w.swept().map((l) => l.campaign),
          [id, again],
        );
      } finally {
        await w.close();
      }
    });
  });
}
