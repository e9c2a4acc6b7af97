// F7: the PostgreSQL store sets READ COMMITTED itself. On a database whose default is REPEATABLE READ (ALTER
// DATABASE ... SET default_transaction_isolation), a change that loses a race to another writer still re-reads
// and applies once (the compare-and-set write), and a locked authentication outcome waits for the winner and sees
// its row, instead of failing with a serialization error (a store error).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { fromHex } from '../../src/bytes/index.js';
import { openStore, parsePostgresUrl, type SubscriberStore } from '../../src/hss/store/index.js';
import { backends, scratchPostgresDatabase } from './backends.js';
import { imsiOf, makeHss, milenageKeys } from './fixture.js';
import { waitForLockWait } from './pg-locks.js';

const ICCID = 8900100000000000000n;
const RAND = fromHex('c3'.repeat(16));
const TX = fromHex('44'.repeat(16));
const postgres = backends().find((b) => b.name === 'postgres');

describe('PostgreSQL store on a database whose default is REPEATABLE READ', { skip: postgres?.skip }, () => {
  let db: { url: string; drop(): Promise<void> };
  let store: SubscriberStore;
  let other: pg.Client;
  before(async () => {
    db = await scratchPostgresDatabase({ default_transaction_isolation: 'repeatable read' });
    store = await openStore(db.url);
    const { connectionString, schema } = parsePostgresUrl(db.url);
    other = new pg.Client({ connectionString, options: `-c search_path=${schema}` });
    await other.connect();
  });
  after(async () => {
    await other?.end();
    await store?.close();
    await db?.drop();
  });

  it('the database default is what the test says (a client that sets nothing gets it)', async () => {
    const r = await other.query('SHOW transaction_isolation');
    assert.equal(r.rows[0].transaction_isolation, 'repeatable read');
  });

  /** `other` locks the row, `during` starts a store call that waits for it, `other` changes the row and commits. */
  async function raceWith<T>(imsi: string, pattern: string, during: () => Promise<T>): Promise<T> {
    await other.query('BEGIN');
    await other.query('SELECT 1 FROM hss_subscribers WHERE imsi = $1 FOR UPDATE', [imsi]);
    const done = during();
    done.catch(() => {}); // awaited below, after the other writer commits
    await waitForLockWait(other, pattern);
    await other.query('UPDATE hss_subscribers SET iccid = $2 WHERE imsi = $1', [imsi, String(ICCID + 10n)]);
    await other.query('COMMIT');
    return done;
  }

  it('READ COMMITTED and the schema also when the URL carries options of its own (kept, before the store settings)', async () => {
    const url = new URL(db.url);
    url.searchParams.set(
      'options',
      '-c default_transaction_isolation=serializable -c application_name=ltku_hss',
    );
    const s = await openStore(url.toString());
    try {
      const imsi = imsiOf(9);
      const t = makeHss(s);
      await t.hss.create({ imsi, iccid: String(ICCID), keys: milenageKeys('iso9') }, 'test');
      const seen = await other.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = 'ltku_hss'`);
      assert.ok(seen.rowCount! >= 1, "the URL's own option is kept");
      const r = await raceWith(imsi, '%UPDATE hss_subscribers SET%xmin%', () =>
        t.hss.update(imsi, { iccid: String(ICCID + 11n) }, 'operator'),
      );
      assert.equal(r.iccid, String(ICCID + 11n), 'no serialization failure: READ COMMITTED won');
    } finally {
      await s.close();
    }
  });

  it('a change that lost the race to another write reads again and is applied once', async () => {
    const imsi = imsiOf(1);
    const t = makeHss(store);
    await t.hss.create({ imsi, iccid: String(ICCID), keys: milenageKeys('iso1') }, 'test');
    const r = await raceWith(imsi, '%UPDATE hss_subscribers SET%xmin%', () =>
      t.hss.update(imsi, { iccid: String(ICCID + 11n) }, 'operator'),
    );
    assert.equal(r.iccid, String(ICCID + 11n));
    const updated = (await t.hss.audit(imsi)).filter((e) => e.event === 'subscriber-updated');
    assert.equal(updated.length, 1, 'one audit line');
  });

  it('a locked authentication outcome waits for the other writer and judges the row it left', async () => {
    const imsi = imsiOf(2);
    const t = makeHss(store);
    await t.hss.create({ imsi, iccid: String(ICCID), keys: milenageKeys('iso2') }, 'test');
    await t.hss.stageCandidate(
      imsi,
      { keyVersion: 2, transactionId: TX, keys: milenageKeys('iso2-new') },
      'server',
    );
    await store.issueSqn(imsi, RAND, t.clock.now());
    const failure = { success: false, failure: 'MAC_FAILURE' as const, rand: RAND };
    const v = await raceWith(imsi, '%FOR UPDATE%', () => t.hss.reportAuthOutcome(imsi, failure, 'ausf'));
    assert.equal(v.iccid, String(ICCID + 10n), 'judged on the row the other writer left');
    assert.equal((await store.issueSqn(imsi, fromHex('c4'.repeat(16)), t.clock.now()))?.keyVersion, 2);
  });
});
