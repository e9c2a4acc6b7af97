// Issue 13: the card-management job store on both SQL backends: one open job per (EID, slot) enforced by the
// database, compare-and-set on the revision, filters and counts by state, idempotent migration.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  PostgresCardJobStore,
  SqliteCardJobStore,
  openCardJobStore,
  slotOf,
  type CardJobPayload,
  type CardJobRecord,
  type CardJobStore,
} from '../../src/server/index.js';
import { tempDir } from './support/world.js';
import { PG_BASE, pgSkip } from './support/pg.js';

const EID_A = '1'.repeat(32);
const EID_B = '2'.repeat(32);
const DENY: CardJobPayload & { kind: 'deny-list' } = { kind: 'deny-list', mode: 'add', serials: ['66'] };
const ALLOW: CardJobPayload = { kind: 'oce-allowlist', kid: 0x11, kvn: 1, serials: [] };

let n = 0;
function job(eid: string, payload: CardJobPayload, o: Partial<CardJobRecord> = {}): CardJobRecord {
  const at = `2030-01-01T00:00:${String(n).padStart(2, '0')}.000Z`;
  return {
    id: (n++).toString(16).padStart(16, '0'),
    eid,
    kind: payload.kind,
    slot: slotOf(payload),
    state: 'pending',
    payload,
    generation: 0,
    history: [{ state: 'pending', at }],
    securityAlarm: false,
    sessions: 0,
    createdBy: 'test',
    attempts: 0,
    consecutiveFailures: 0,
    revision: 0,
    createdAt: at,
    updatedAt: at,
    ...o,
  };
}

async function contract(store: CardJobStore): Promise<void> {
  const a = job(EID_A, DENY, { batch: 'b1' });
  assert.equal(await store.insert(a), true);
  assert.equal(
    await store.insert(job(EID_A, { ...DENY, serials: ['67'] })),
    false,
    'one open deny-list job per EID',
  );
  assert.equal(await store.insert(job(EID_A, ALLOW, { batch: 'b1' })), true, 'another slot');
  assert.equal(await store.insert(job(EID_B, DENY)), true, 'another card');
  assert.equal((await store.openIn(EID_A, 'deny-list'))?.id, a.id);
  assert.deepEqual(
    (await store.openOf(EID_A)).map((j) => j.kind),
    ['deny-list', 'oce-allowlist'],
  );
  // compare-and-set
  const sent = { ...a, state: 'sent' as const, revision: 1 };
  assert.equal(await store.update(sent, 0), true);
  assert.equal(await store.update({ ...a, state: 'cancelled', revision: 1 }, 0), false, 'stale revision');
  assert.equal((await store.get(a.id))?.state, 'sent');
  assert.equal((await store.get(a.id))?.revision, 1);
  // a finished job frees the slot
  assert.equal(await store.update({ ...sent, state: 'completed', revision: 2 }, 1), true);
  assert.equal(await store.openIn(EID_A, 'deny-list'), undefined);
  assert.equal(await store.insert(job(EID_A, DENY)), true);
  assert.equal((await store.list({ kind: 'deny-list', eid: EID_A })).length, 2);
  assert.equal((await store.list({ state: 'completed' })).length, 1);
  assert.deepEqual(await store.counts('b1'), [
    { kind: 'deny-list', state: 'completed', count: 1 },
    { kind: 'oce-allowlist', state: 'pending', count: 1 },
  ]);
  assert.equal(
    (await store.counts()).reduce((s, c) => s + c.count, 0),
    4,
  );
}

describe('card-management job store', () => {
  it('SQLite: the contract, and a reopened file keeps the jobs (migration idempotent)', async () => {
    const path = join(tempDir('ltku-card-store-'), 'server.sqlite');
    const store = new SqliteCardJobStore(path);
    await contract(store);
    await store.close();
    const again = await openCardJobStore(path);
    assert.equal(
      (await again.counts()).reduce((s, c) => s + c.count, 0),
      4,
    );
    await again.close();
  });

  describe('PostgreSQL', { skip: pgSkip }, () => {
    const url = `${PG_BASE}?schema=card_jobs_${process.pid}`;
    const stores: PostgresCardJobStore[] = [];
    after(async () => {
      await stores[0]?.dropSchema();
      for (const s of stores) await s.close();
    });
    it('the contract, and a second migration changes nothing', async () => {
      const store = (await openCardJobStore(url)) as PostgresCardJobStore;
      stores.push(store);
      await contract(store);
      const again = (await openCardJobStore(url)) as PostgresCardJobStore;
      stores.push(again);
      assert.equal(
        (await again.counts()).reduce((s, c) => s + c.count, 0),
        4,
      );
      assert.equal(await again.insert(job(EID_B, DENY)), false, 'the unique index survived');
    });
  });
});
