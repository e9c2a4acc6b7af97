// DESIGN.md 5: keys at rest are AES-GCM sealed under the KEK, bound to imsi and version; the database holds no K
// or OPc in clear; the KEK file is created with mode 0600; a wrong KEK is a store failure, not garbage keys.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { fromHex, toHex } from '../../src/bytes/index.js';
import { cryptoRandom, SeededRandom } from '../../src/crypto/index.js';
import { Auc, KeyVault, loadKek, openHssRuntime, StoreFailureError } from '../../src/hss/index.js';
import { parsePostgresUrl } from '../../src/hss/store/index.js';
import { backends } from './backends.js';
import { imsiOf, KEK, makeHss, milenageKeys, SNN, tuakKeys } from './fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'ltku-kek-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('key vault', () => {
  it('seals K || OPc so that it opens only for the same imsi, version and KEK', () => {
    const vault = new KeyVault(KEK, new SeededRandom(1));
    const km = tuakKeys('v');
    const set = vault.seal(imsiOf(1), 3, km);
    assert.equal(toHex(set.sealed).includes(toHex(km.k)), false);
    assert.deepEqual(vault.open(imsiOf(1), set).k, km.k);
    assert.deepEqual(vault.open(imsiOf(1), set).opc, km.opc);
    assert.throws(() => vault.open(imsiOf(2), set), StoreFailureError);
    assert.throws(() => vault.open(imsiOf(1), { ...set, version: 4 }), StoreFailureError);
    const other = new KeyVault(new Uint8Array(32).fill(9), cryptoRandom);
    assert.throws(
      () => other.open(imsiOf(1), set),
      (e: Error) => e instanceof StoreFailureError && !e.message.includes(toHex(km.k)),
    );
  });

  it('the KEK file is created with mode 0600, reused, and refused when others can read it', () => {
    const kekFile = join(dir, 'sub', 'kek.hex');
    const first = loadKek({ kekFile }, cryptoRandom);
    assert.equal(first.created, true);
    assert.equal(statSync(kekFile).mode & 0o777, 0o600);
    const second = loadKek({ kekFile }, cryptoRandom);
    assert.equal(second.created, false);
    assert.deepEqual(second.kek, first.kek);
    const loose = join(dir, 'loose.hex');
    writeFileSync(loose, `${'ab'.repeat(32)}\n`, { mode: 0o644 });
    assert.throws(() => loadKek({ kekFile: loose }, cryptoRandom), /readable by others/);
    const bad = join(dir, 'bad.hex');
    writeFileSync(bad, 'not a key\n', { mode: 0o600 });
    assert.throws(
      () => loadKek({ kekFile: bad }, cryptoRandom),
      (e: Error) => e instanceof StoreFailureError && !e.message.includes('not a key'),
    );
    assert.deepEqual(
      loadKek({ kekHex: 'cd'.repeat(32), kekFile: bad }, cryptoRandom).kek,
      new Uint8Array(32).fill(0xcd),
    );
  });
});

for (const backend of backends()) {
  describe(`keys at rest on ${backend.name}`, { skip: backend.skip }, () => {
    after(() => backend.cleanup());

    it('the database holds no K, OPc or TOPc in clear, in any column', async () => {
      const db = backend.newDatabase();
      const rt = await openHssRuntime({
        db,
        dataDir: join(dir, `data-${backend.name}`),
        rng: new SeededRandom(2),
      });
      const secrets = [milenageKeys('r1'), tuakKeys('r2'), milenageKeys('r3')];
      await rt.hss.create({ imsi: imsiOf(1), keys: secrets[0] }, 'test');
      await rt.hss.create({ imsi: imsiOf(2), keys: secrets[1] }, 'test');
      await rt.hss.stageCandidate(
        imsiOf(1),
        { keyVersion: 2, transactionId: fromHex('ab'.repeat(16)), keys: secrets[2] },
        'test',
      );
      await rt.auc.generateHeAka(imsiOf(1), SNN);
      await rt.close();
      let content: string;
      if (backend.name === 'sqlite') {
        assert.equal(statSync(db).mode & 0o777, 0o600, 'the database file is private');
        content = readdirSync(join(db, '..'))
          .filter((f) => f.startsWith(db.split('/').pop()!))
          .map((f) => readFileSync(join(db, '..', f)).toString('hex'))
          .join('|');
      } else {
        const { connectionString, schema } = parsePostgresUrl(db);
        const c = new pg.Client({ connectionString });
        await c.connect();
        const rows = (await c.query(`SELECT * FROM ${schema}.hss_subscribers`)).rows;
        await c.end();
        content = JSON.stringify(rows, (_k, v) =>
          v && v.type === 'Buffer' ? Buffer.from(v.data).toString('hex') : v,
        );
      }
      assert.ok(content.length > 0);
      for (const km of secrets) {
        assert.equal(content.includes(toHex(km.k)), false, 'K in clear');
        assert.equal(content.includes(toHex(km.opc)), false, 'OPc/TOPc in clear');
      }
    });

    it('a different KEK cannot produce vectors: store failure, not wrong vectors', async () => {
      const store = await backend.open();
      const t = makeHss(store);
      await t.hss.create({ imsi: imsiOf(3), keys: milenageKeys('w') }, 'test');
      const stranger = new Auc({
        store,
        vault: new KeyVault(new Uint8Array(32).fill(1), cryptoRandom),
        rng: cryptoRandom,
        clock: t.clock,
        logger: t.logger,
      });
      await assert.rejects(stranger.generateHeAka(imsiOf(3), SNN), StoreFailureError);
      await store.close();
    });
  });
}
