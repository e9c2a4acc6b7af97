// DESIGN.md 5, 7: the job stores of both backends: one open job per ICCID (unique partial index, also added to an
// older table whose duplicate open jobs are failed first, the most advanced kept), compare-and-set writes, and a
// SQLite file nobody else can read (issue 9 finding 10).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { toHex } from '../../src/bytes/index.js';
import {
  DUPLICATE_OPEN_JOB,
  PostgresJobStore,
  SqliteJobStore,
  openJobStore,
  type JobState,
  type JobStore,
} from '../../src/server/index.js';
import { tempDir } from './support/world.js';
import { jobRecord } from './jobs-support.js';
import { PG_BASE, pgSkip } from './support/pg.js';

const ICCID_A = '8949000000000000001';
const ICCID_B = '8949000000000000002';

async function contract(store: JobStore): Promise<void> {
  const first = jobRecord('a000000000000001', ICCID_A, '2025-01-01T00:00:00.000Z');
  assert.equal(await store.insert(first), true);
  assert.equal(await store.insert(jobRecord('a000000000000002', ICCID_A, '2025-01-01T00:00:01.000Z')), false);
  assert.equal(await store.insert(jobRecord('b000000000000001', ICCID_B, '2025-01-01T00:00:02.000Z')), true);
  // Compare-and-set on the revision: a stale writer loses.
  const sent = { ...first, state: 'sent' as const, revision: 1 };
  assert.equal(await store.update(sent, 0), true);
  assert.equal(await store.update({ ...first, state: 'cancelled', revision: 1 }, 0), false);
  assert.equal((await store.get(first.id))?.state, 'sent');
  assert.equal((await store.get(first.id))?.revision, 1);
  // An ended job no longer holds the ICCID.
  assert.equal(await store.update({ ...sent, state: 'completed', revision: 2 }, 1), true);
  assert.equal(await store.insert(jobRecord('a000000000000003', ICCID_A, '2025-01-01T00:00:03.000Z')), true);
  assert.deepEqual(
    (await store.byImsis(['001010000000001'], ['pending'])).map((j) => j.id),
    ['b000000000000001', 'a000000000000003'],
  );
  // Issue 11: a batch in one statement; a row whose ICCID an open job holds (stored, or earlier in the batch)
  // is skipped, the others stored as given.
  const c = '8949000000000000003';
  const d = '8949000000000000004';
  const batch = [
    jobRecord('d000000000000001', c, '2025-01-01T00:00:04.000Z', {
      sealedKeys: Uint8Array.from({ length: 48 }, (_, i) => i),
      history: [{ state: 'pending', at: '2025-01-01T00:00:04.000Z', detail: 'created by "operator" \\ {x}' }],
    }),
    jobRecord('d000000000000002', ICCID_B, '2025-01-01T00:00:04.000Z'),
    jobRecord('d000000000000003', c, '2025-01-01T00:00:04.000Z'),
    jobRecord('d000000000000004', d, '2025-01-01T00:00:04.000Z'),
  ];
  assert.deepEqual(await store.insertMany(batch), [true, false, false, true]);
  assert.deepEqual(await store.get('d000000000000001'), batch[0], 'read back as written');
  assert.equal(await store.get('d000000000000002'), undefined);
  assert.equal(await store.get('d000000000000003'), undefined);
  assert.equal((await store.get('d000000000000004'))?.iccid, d);
  assert.deepEqual(await store.insertMany([]), []);

  // The reconciler's read: applied jobs only, oldest first, at most `limit`.
  const iccid = (n: number) => `89490000000000009${n}`;
  await store.insertMany([
    jobRecord('e000000000000003', iccid(3), '2025-01-02T00:00:03.000Z', { state: 'applied' }),
    jobRecord('e000000000000001', iccid(1), '2025-01-02T00:00:01.000Z', { state: 'applied' }),
    jobRecord('e000000000000002', iccid(2), '2025-01-02T00:00:02.000Z', { state: 'sent' }),
    jobRecord('e000000000000004', iccid(4), '2025-01-02T00:00:04.000Z', { state: 'applied' }),
  ]);
  const ids = async (state: 'applied' | 'sent', page: Parameters<JobStore['inState']>[1]) =>
    (await store.inState(state, page)).map((j) => j.id);
  assert.deepEqual(await ids('applied', { limit: 2 }), ['e000000000000001', 'e000000000000003']);
  assert.equal((await store.inState('applied', { limit: 10 })).length, 3);
  // Paged on (created_at, id): the next page starts after the last job of the one before.
  const after = { createdAt: '2025-01-02T00:00:03.000Z', id: 'e000000000000003' };
  assert.deepEqual(await ids('applied', { limit: 2, after }), ['e000000000000004']);
  // The sent jobs, only those written before a bound (the reconciler leaves recent ones to their session).
  assert.deepEqual(await ids('sent', { limit: 10 }), ['e000000000000002']);
  assert.deepEqual(await ids('sent', { limit: 10, updatedBefore: '2025-01-02T00:00:02.000Z' }), []);
  assert.deepEqual(await ids('sent', { limit: 10, updatedBefore: '2025-01-02T00:00:02.001Z' }), [
    'e000000000000002',
  ]);
}

/** Rows as the previous version stored them: no revision column, no unique index, no createdBy. */
const OLD_SCHEMA = `CREATE TABLE key_update_jobs (id TEXT PRIMARY KEY, iccid TEXT NOT NULL, imsi TEXT NOT NULL,
  eid TEXT NOT NULL, state TEXT NOT NULL, sealed_keys BLOB NOT NULL, doc TEXT NOT NULL, created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL)`;

function oldRows(): unknown[][] {
  const rows: [string, string, JobState, string][] = [
    ['c000000000000002', ICCID_A, 'sent', '2025-01-01T00:00:02.000Z'],
    ['c000000000000001', ICCID_A, 'pending', '2025-01-01T00:00:01.000Z'],
    ['c000000000000003', ICCID_A, 'pending', '2025-01-01T00:00:03.000Z'],
    ['c000000000000004', ICCID_B, 'pending', '2025-01-01T00:00:04.000Z'],
  ];
  return rows.map(([id, iccid, state, at]) => {
    const { sealedKeys: _s, revision: _r, createdBy: _c, ...doc } = jobRecord(id, iccid, at, { state });
    const json = JSON.stringify({ ...doc, transactionId: toHex(doc.transactionId) });
    return [id, iccid, doc.imsi, doc.eid, state, Buffer.alloc(48), json, at, at];
  });
}

async function checkMigrated(store: JobStore): Promise<void> {
  const states = new Map((await store.list()).map((j) => [j.id, j]));
  // The job that may be on the card (sent) stays, not merely the oldest: failing it could lock the card out.
  assert.equal(states.get('c000000000000002')?.state, 'sent', 'the most advanced open job stays');
  for (const id of ['c000000000000001', 'c000000000000003']) {
    const j = states.get(id);
    assert.equal(j?.state, 'failed');
    assert.match(j?.error ?? '', new RegExp(DUPLICATE_OPEN_JOB));
  }
  assert.equal(states.get('c000000000000004')?.state, 'pending');
  assert.equal(states.get('c000000000000004')?.createdBy, 'unknown');
  assert.equal(await store.insert(jobRecord('c000000000000005', ICCID_A, '2025-01-02T00:00:00.000Z')), false);
}

describe('job store (SQLite)', () => {
  it('keeps one open job per ICCID and writes compare-and-set', async () => {
    const store = new SqliteJobStore(':memory:');
    try {
      await contract(store);
    } finally {
      await store.close();
    }
  });

  it('migrates an older table: duplicates of an open job fail with a named reason, the most advanced stays', async () => {
    const path = join(tempDir('ltku-jobs-'), 'server.sqlite');
    const old = new Database(path);
    old.exec(OLD_SCHEMA);
    const insert = old.prepare('INSERT INTO key_update_jobs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    for (const row of oldRows()) insert.run(...row);
    old.close();
    const store = new SqliteJobStore(path);
    try {
      await checkMigrated(store);
    } finally {
      await store.close();
    }
  });

  it('creates the database file and its -wal/-shm 0600, and tightens an older 0644 file', async () => {
    const dir = tempDir('ltku-jobs-');
    const path = join(dir, 'server.sqlite');
    const store = new SqliteJobStore(path);
    try {
      await store.insert(jobRecord('d000000000000001', ICCID_A, '2025-01-01T00:00:00.000Z'));
      for (const p of [path, `${path}-wal`, `${path}-shm`]) {
        assert.equal(statSync(p).mode & 0o777, 0o600, p);
      }
    } finally {
      await store.close();
    }
    const older = join(dir, 'older.sqlite');
    writeFileSync(older, '');
    chmodSync(older, 0o644);
    await new SqliteJobStore(older).close();
    assert.equal(statSync(older).mode & 0o777, 0o600);
  });
});

describe('job store (PostgreSQL)', { skip: pgSkip }, () => {
  it('keeps one open job per ICCID and writes compare-and-set', async () => {
    const url = `${PG_BASE}?schema=server_store_${process.pid}`;
    const store = await openJobStore(url);
    try {
      await contract(store);
    } finally {
      await (store as PostgresJobStore).dropSchema();
      await store.close();
    }
  });

  it('migrates an older table: duplicates of an open job fail with a named reason, the most advanced stays', async () => {
    const schema = `server_migrate_${process.pid}`;
    const client = new pg.Client({ connectionString: PG_BASE });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.query(`CREATE SCHEMA ${schema}`);
      await client.query(
        OLD_SCHEMA.replace('key_update_jobs', `${schema}.key_update_jobs`).replace('BLOB', 'BYTEA'),
      );
      for (const row of oldRows()) {
        await client.query(
          `INSERT INTO ${schema}.key_update_jobs VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          row,
        );
      }
    } finally {
      await client.end();
    }
    // Two instances starting together: the advisory lock makes one migrate, the other find it done.
    const [store, twin] = await Promise.all([
      openJobStore(`${PG_BASE}?schema=${schema}`),
      openJobStore(`${PG_BASE}?schema=${schema}`),
    ]);
    try {
      await checkMigrated(store);
    } finally {
      await twin.close();
      await (store as PostgresJobStore).dropSchema();
      await store.close();
    }
  });
});
