// Migration 2 (DESIGN.md 6, the rotation is final): a database written by migration 1 with a `previous` key set
// opens with the previous keys wiped and their columns gone, a fallback that pointed at them cleared, and the
// subscriber still served from its active keys, on both backends. On SQLite the wiped bytes are not left in the
// file (secure_delete, WAL checkpoint).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import pg from 'pg';
import { toHex } from '../../src/bytes/index.js';
import { SeededRandom } from '../../src/crypto/index.js';
import { KeyVault } from '../../src/hss/index.js';
import {
  MIGRATIONS,
  MIGRATIONS_TABLE,
  POSTGRES,
  SQLITE,
  type Dialect,
} from '../../src/hss/store/migrations/index.js';
import { openStore, parsePostgresUrl } from '../../src/hss/store/index.js';
import { backends, queryDatabase } from './backends.js';
import { imsiOf, KEK, makeHss, milenageKeys, SNN, usim5g } from './fixture.js';

const IMSI = imsiOf(42);
const vault = new KeyVault(KEK, new SeededRandom('migration'));
const [oldKeys, activeKeys] = [milenageKeys('mig-old'), milenageKeys('mig-active')];
const previous = vault.seal(IMSI, 1, oldKeys);
const active = vault.seal(IMSI, 2, activeKeys);

/** The statements that set up a version-1 database holding a subscriber with a previous key set. */
function version1(
  d: Dialect,
  p: (i: number) => string,
): { sql: string[]; insert: string; values: unknown[] } {
  return {
    sql: [MIGRATIONS_TABLE, MIGRATIONS[0].sql(d)],
    insert: `INSERT INTO hss_subscribers (imsi, amf, sqn, ind_bits, active_version, active_algorithm, active_keys,
      previous_version, previous_algorithm, previous_keys, fallback_version, last_rand, last_key_version,
      created_at, updated_at)
      VALUES (${Array.from({ length: 15 }, (_, i) => p(i + 1)).join(', ')})`,
    values: [
      IMSI,
      Buffer.from([0x80, 0]),
      0,
      5,
      2,
      'milenage',
      Buffer.from(active.sealed),
      1,
      'milenage',
      Buffer.from(previous.sealed),
      1,
      Buffer.alloc(16, 1),
      1,
      '2026-01-01T00:00:00.000Z',
      '2026-01-01T00:00:00.000Z',
    ],
  };
}

const MIGRATED_AT = `INSERT INTO hss_schema_migrations (id, name, applied_at) VALUES (1, 'subscribers and audit trail', 'x')`;

async function writeVersion1(backend: string, db: string): Promise<void> {
  if (backend === 'sqlite') {
    const conn = new Database(db);
    const v1 = version1(SQLITE, () => '?');
    for (const s of v1.sql) conn.exec(s);
    conn.exec(MIGRATED_AT);
    conn.prepare(v1.insert).run(...v1.values);
    conn.close();
    return;
  }
  const { connectionString, schema } = parsePostgresUrl(db);
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.query(`SET search_path = ${schema}`);
    const v1 = version1(POSTGRES, (i) => `$${i}`);
    for (const s of v1.sql) await client.query(s);
    await client.query(MIGRATED_AT);
    await client.query(v1.insert, v1.values);
  } finally {
    await client.end();
  }
}

for (const backend of backends()) {
  describe(`migration 2 on ${backend.name}`, { skip: backend.skip }, () => {
    after(() => backend.cleanup());

    it('wipes the previous keys, drops their columns, clears a fallback to them; active keys still answer', async () => {
      const db = backend.newDatabase();
      await writeVersion1(backend.name, db);
      const store = await openStore(db);
      try {
        const columns = Object.keys((await queryDatabase(db, 'SELECT * FROM hss_subscribers', []))[0]);
        for (const gone of ['previous_keys', 'previous_version', 'last_rand', 'last_key_version'])
          assert.equal(columns.includes(gone), false, `${gone} dropped`);
        const r = await store.get(IMSI);
        assert.equal(r?.active?.version, 2);
        assert.equal(r?.fallbackVersion, null, 'a fallback to the previous keys is void');
        const t = makeHss(store, 'migration');
        const v = await t.auc.generateHeAka(IMSI, SNN);
        assert.equal(usim5g(activeKeys, v.rand, v.autn).macOk, true);
        assert.equal(usim5g(oldKeys, v.rand, v.autn).macOk, false);
        const applied = await queryDatabase(db, 'SELECT id FROM hss_schema_migrations ORDER BY id', []);
        assert.deepEqual(
          applied.map((a) => Number(a.id)),
          MIGRATIONS.map((m) => m.id),
        );
      } finally {
        await store.close();
      }
      if (backend.name === 'sqlite') {
        const bytes = toHex(readFileSync(db));
        assert.equal(bytes.includes(toHex(previous.sealed)), false, 'the wiped key blob is not in the file');
        assert.equal(bytes.includes(toHex(active.sealed)), true, 'the active one is (sanity of the check)');
      }
    });
  });
}
