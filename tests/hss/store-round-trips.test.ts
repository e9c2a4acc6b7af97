// Issue 11 (HSS CPU per key update): the PostgreSQL statements of each key transition, counted around pg's
// Client.query (every statement of the pool goes through it, BEGIN and COMMIT included). Before this change a
// stage and a commit cost 5-6 each (BEGIN, SELECT ... FOR UPDATE, UPDATE, INSERT audit, [purge], COMMIT), an
// authentication outcome 5-7; now a change is one read and one write, a repeat (no-op) the read alone.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { fromHex } from '../../src/bytes/index.js';
import { NoCredentialsError } from '../../src/hss/index.js';
import { openStore, type SubscriberStore } from '../../src/hss/store/index.js';
import { backends } from './backends.js';
import { imsiOf, makeHss, milenageKeys, SNN } from './fixture.js';

const TX = fromHex('5a'.repeat(16));
const postgres = backends().find((b) => b.name === 'postgres');

/** The statements `body` sends, by their first word (or prepared statement name). */
async function statementsOf(body: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const original = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const q = args[0] as string | { name?: string; text: string };
    seen.push(typeof q === 'string' ? q.trim().split(/\s/)[0] : (q.name ?? q.text.trim().split(/\s/)[0]));
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  try {
    await body();
  } finally {
    pg.Client.prototype.query = original;
  }
  return seen;
}

describe(
  'PostgreSQL statements per key transition',
  { skip: postgres?.skip ?? 'no PostgreSQL backend' },
  () => {
    let store: SubscriberStore;
    let t: ReturnType<typeof makeHss>;
    before(async () => {
      store = await openStore(postgres!.newDatabase());
      t = makeHss(store);
    });
    after(async () => {
      await store.close();
      await postgres!.cleanup();
    });

    it('stage and commit: one read and one write each; repeats the read alone', async () => {
      const imsi = imsiOf(1);
      await t.hss.create({ imsi, keys: milenageKeys('rt1') }, 'test');
      const candidate = { keyVersion: 2, transactionId: TX, keys: milenageKeys('rt1-new') };
      const stage = await statementsOf(() => t.hss.stageCandidate(imsi, candidate, 'server'));
      assert.deepEqual(stage, ['hss_read_for_change', 'hss_write_mutation']);
      assert.deepEqual(await statementsOf(() => t.hss.stageCandidate(imsi, candidate, 'server')), [
        'hss_read_for_change',
      ]);
      const commit = await statementsOf(() => t.hss.commitCandidate(imsi, TX, 'server'));
      assert.deepEqual(commit, ['hss_read_for_change', 'hss_write_mutation']);
      assert.deepEqual(await statementsOf(() => t.hss.commitCandidate(imsi, TX, 'server')), [
        'hss_read_for_change',
      ]);
      // The write carried the audit lines and the commit's purge: nothing else was sent, yet all are stored.
      const events = (await store.audit(imsi)).map((e) => e.event);
      assert.deepEqual(events, ['subscriber-created', 'candidate-staged', 'candidate-committed']);
      assert.equal((await store.get(imsi))?.active?.version, 2);
    });

    it('abort: one read and one write', async () => {
      const imsi = imsiOf(2);
      await t.hss.create({ imsi, keys: milenageKeys('rt2') }, 'test');
      await t.hss.stageCandidate(
        imsi,
        { keyVersion: 2, transactionId: TX, keys: milenageKeys('rt2-new') },
        'server',
      );
      const abort = await statementsOf(() => t.hss.abortCandidate(imsi, TX, 'server'));
      assert.deepEqual(abort, ['hss_read_for_change', 'hss_write_mutation']);
      assert.equal((await store.get(imsi))?.candidate, null);
    });

    it('an authentication outcome: read + take when nothing changes; else the row locked', async () => {
      const imsi = imsiOf(3);
      await t.hss.create({ imsi, keys: milenageKeys('rt3') }, 'test');
      await t.hss.stageCandidate(
        imsi,
        { keyVersion: 2, transactionId: TX, keys: milenageKeys('rt3-new') },
        'server',
      );
      const v = await t.auc.generateHeAka(imsi, SNN);
      const noChange = await statementsOf(() =>
        t.hss.reportAuthOutcome(imsi, { success: true, rand: v.rand }, 'ausf'),
      );
      assert.deepEqual(noChange, ['hss_read_for_change', 'hss_take_if_unchanged']);
      await assert.rejects(
        t.hss.reportAuthOutcome(imsi, { success: true, rand: v.rand }, 'ausf'),
        NoCredentialsError,
        'the vector was taken',
      );
      const w = await t.auc.generateHeAka(imsi, SNN);
      const macFailure = await statementsOf(() =>
        t.hss.reportAuthOutcome(imsi, { success: false, failure: 'MAC_FAILURE', rand: w.rand }, 'ausf'),
      );
      assert.deepEqual(macFailure, [
        'hss_read_for_change',
        'BEGIN',
        'hss_lock_and_take',
        'hss_write_mutation',
        'COMMIT',
      ]);
      assert.equal((await store.get(imsi))?.fallbackVersion, 2, 'the MAC failure armed the fallback');
    });
  },
);
