// DESIGN.md 7: compare-and-set from the copy in hand (revision.ts `known`) writes only over the revision it was
// read at; a stale copy costs one failed write and a read, never a lost update or a decision on stale data.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareAndSet, type RevisionedRecord, type RevisionedStore } from '../../src/server/revision.js';

type S = 'open' | 'done';
interface Rec extends RevisionedRecord<S> {
  readonly count: number;
}

/** An in-memory store counting reads and writes, with the same compare-and-set rule as the SQL drivers. */
class CountingStore implements RevisionedStore<Rec> {
  reads = 0;
  writes = 0;
  constructor(public rec: Rec) {}
  async get(): Promise<Rec> {
    this.reads++;
    return this.rec;
  }
  async update(next: Rec, expected: number): Promise<boolean> {
    this.writes++;
    if (this.rec.revision !== expected) return false;
    this.rec = next;
    return true;
  }
}

const AT = '2026-01-01T00:00:00.000Z';
const rec = (revision: number, count: number, state: S = 'open'): Rec => ({
  id: 'j1',
  state,
  history: [],
  revision,
  updatedAt: AT,
  count,
});
const bump = (store: CountingStore, known?: Rec) =>
  compareAndSet<Rec, S>(
    store,
    'j1',
    () => AT,
    (r) => r.state === 'open',
    (r) => ({ fields: { count: r.count + 1 } }),
    () => new Error('kept changing'),
    known,
  );

describe('compareAndSet from a known copy', () => {
  it('writes from a current copy without reading', async () => {
    const store = new CountingStore(rec(3, 10));
    const done = await bump(store, rec(3, 10));
    assert.equal(store.reads, 0);
    assert.equal(store.rec.revision, 4);
    assert.equal(store.rec.count, 11);
    assert.equal(done?.before.revision, 3);
  });

  it('a stale copy fails its write, then the change is recomputed from the stored record', async () => {
    const store = new CountingStore(rec(5, 20));
    await bump(store, rec(3, 10));
    assert.equal(store.reads, 1);
    assert.equal(store.writes, 2);
    assert.equal(store.rec.revision, 6);
    assert.equal(store.rec.count, 21, 'the update of revision 4..5 is not lost');
  });

  it('a stale copy that is no longer accepted does not decide: the stored record does', async () => {
    const store = new CountingStore(rec(5, 20));
    const done = await bump(store, rec(4, 10, 'done'));
    assert.equal(store.reads, 1);
    assert.equal(done?.after.count, 21);
  });

  it('a stale copy of a record that ended meanwhile writes nothing', async () => {
    const store = new CountingStore(rec(5, 20, 'done'));
    assert.equal(await bump(store, rec(3, 10)), undefined);
    assert.equal(store.rec.revision, 5);
    assert.equal(store.rec.count, 20);
  });

  it("another record's copy is ignored", async () => {
    const store = new CountingStore(rec(3, 10));
    await bump(store, { ...rec(3, 99), id: 'j2' });
    assert.equal(store.reads, 1);
    assert.equal(store.rec.count, 11);
  });
});
