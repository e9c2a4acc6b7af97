// DESIGN.md 6 under concurrency, on both backends, with two stores (two pools on PostgreSQL, two connections on
// SQLite) sharing one database: mutations of one subscriber never lose each other's writes or an SQN issued in
// between, each applied change has exactly one audit line, a commit racing SQN issues leaves no vector of the
// destroyed keys, and a write that lost a race (PostgreSQL's compare-and-set) is applied once, after a new read.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { fromHex, toHex } from '../../src/bytes/index.js';
import { ConflictError, NoCredentialsError } from '../../src/hss/index.js';
import {
  openStore,
  parsePostgresUrl,
  type Mutation,
  type SubscriberStore,
} from '../../src/hss/store/index.js';
import type { SubscriberRecord } from '../../src/hss/subscriber.js';
import { backends, queryDatabase } from './backends.js';
import { imsiOf, makeHss, milenageKeys, SNN } from './fixture.js';
import { waitForLockWait } from './pg-locks.js';

const ICCID_BASE = 10n ** 18n; // 19 digits
const INCREMENTS = 30; // per store
const SQN_ISSUES = 30; // per store
const ROUNDS = 12;
const IND_BITS = 5n;

const txOf = (round: number, salt: number) =>
  fromHex(`${salt.toString(16).padStart(2, '0')}${round.toString(16).padStart(30, '0')}`);
const randOf = (n: number) => fromHex(n.toString(16).padStart(32, '0'));

/** A change a test can count: the ICCID plus one, with its audit line. */
function incremented(r: SubscriberRecord, actor: string): Mutation {
  return {
    record: { ...r, iccid: String(BigInt(r.iccid as string) + 1n) },
    audit: [
      {
        imsi: r.imsi,
        at: new Date(),
        event: 'subscriber-updated',
        keyVersion: 1,
        transactionId: null,
        actor,
      },
    ],
  };
}

for (const backend of backends()) {
  describe(`concurrent changes of one subscriber on ${backend.name}`, { skip: backend.skip }, () => {
    let db: string;
    let a: SubscriberStore;
    let b: SubscriberStore;
    let rands = 0;
    before(async () => {
      db = backend.newDatabase();
      a = await openStore(db);
      b = await openStore(db);
    });
    after(async () => {
      await a.close();
      await b.close();
      await backend.cleanup();
    });

    const issue = (s: SubscriberStore, imsi: string) => s.issueSqn(imsi, randOf(++rands), new Date());

    async function auditEvents(imsi: string): Promise<string[]> {
      return (await a.audit(imsi)).map((e) => `${e.event}:${e.transactionId ? toHex(e.transactionId) : '-'}`);
    }

    it('no lost update: counter increments from two stores and SQN issues in between all land', async () => {
      const imsi = imsiOf(1);
      const t = makeHss(a);
      await t.hss.create({ imsi, iccid: String(ICCID_BASE), keys: milenageKeys('c1') }, 'test');
      const increment = (s: SubscriberStore) => s.mutate(imsi, (r) => incremented(r, 'test'));
      const work: Promise<unknown>[] = [];
      for (let i = 0; i < Math.max(INCREMENTS, SQN_ISSUES); i++) {
        if (i < INCREMENTS) work.push(increment(a), increment(b));
        if (i < SQN_ISSUES) work.push(issue(b, imsi), issue(a, imsi));
      }
      await Promise.all(work);
      const r = await a.get(imsi);
      assert.equal(
        BigInt(r?.iccid as string) - ICCID_BASE,
        BigInt(2 * INCREMENTS),
        'every increment applied',
      );
      assert.equal((r?.sqn ?? 0n) >> IND_BITS, BigInt(2 * SQN_ISSUES), 'every SQN issued is stored');
      const events = await auditEvents(imsi);
      assert.equal(events.length, 1 + 2 * INCREMENTS, 'one audit line per applied change');
    });

    it('stage, abort and SQN issues interleaved from two HSSs: consistent row, one audit line per change', async () => {
      const imsi = imsiOf(2);
      const [ta, tb] = [makeHss(a, 'a'), makeHss(b, 'b')];
      await ta.hss.create({ imsi, keys: milenageKeys('c2') }, 'test');
      const expected = ['subscriber-created:-'];
      let issued = 0;
      for (let round = 1; round <= ROUNDS; round++) {
        const tx = txOf(round, 0xaa);
        const keys = milenageKeys(`c2-${round}`);
        const outcomes = await Promise.allSettled([
          ta.hss.stageCandidate(imsi, { keyVersion: 2, transactionId: tx, keys }, 'server-a'),
          tb.hss.abortCandidate(imsi, tx, 'server-b'),
          issue(a, imsi),
          issue(b, imsi),
          tb.hss.stageCandidate(imsi, { keyVersion: 2, transactionId: tx, keys }, 'server-b'),
        ]);
        issued += 2;
        // Stage then abort, abort (nothing staged: no-op) then stage, or a stage after the abort of the same
        // transaction (a new candidate); never an error other than none.
        for (const o of outcomes)
          assert.equal(o.status, 'fulfilled', String((o as PromiseRejectedResult).reason));
        const staged = (await a.get(imsi))?.candidate;
        if (staged) await tb.hss.abortCandidate(imsi, tx, 'server-b');
        const events = await auditEvents(imsi);
        const thisRound = events.slice(expected.length);
        const hex = toHex(tx);
        assert.ok(thisRound.length >= 2, `round ${round}: ${thisRound.join(', ')}`);
        for (let i = 0; i < thisRound.length; i++) {
          const want = i % 2 === 0 ? `candidate-staged:${hex}` : `candidate-aborted:${hex}`;
          assert.equal(thisRound[i], want, `round ${round}: ${thisRound.join(', ')}`);
        }
        assert.equal(thisRound.length % 2, 0, `round ${round} ends aborted: ${thisRound.join(', ')}`);
        expected.push(...thisRound);
      }
      const r = await a.get(imsi);
      assert.equal(r?.candidate, null);
      assert.equal(r?.active?.version, 1);
      assert.equal((r?.sqn ?? 0n) >> IND_BITS, BigInt(issued), 'no SQN lost to a transition');
    });

    it('commit racing SQN issues: no vector of the destroyed keys survives, one commit line each', async () => {
      const imsi = imsiOf(3);
      const [ta, tb] = [makeHss(a, 'a'), makeHss(b, 'b')];
      await ta.hss.create({ imsi, keys: milenageKeys('c3') }, 'test');
      for (let round = 1; round <= ROUNDS; round++) {
        const version = round + 1;
        const tx = txOf(round, 0xbb);
        await ta.hss.stageCandidate(
          imsi,
          { keyVersion: version, transactionId: tx, keys: milenageKeys(`c3-${round}`) },
          'a',
        );
        await Promise.all([
          issue(a, imsi),
          issue(b, imsi),
          tb.hss.commitCandidate(imsi, tx, 'b'),
          issue(a, imsi),
          ta.hss.commitCandidate(imsi, tx, 'a'),
          issue(b, imsi),
        ]);
        const left = await queryDatabase(db, 'SELECT DISTINCT key_version FROM hss_vectors WHERE imsi = $1', [
          imsi,
        ]);
        assert.deepEqual(
          left.map((row) => Number(row.key_version)).filter((v) => v !== version),
          [],
          `round ${round}: vectors of destroyed keys`,
        );
      }
      const events = (await auditEvents(imsi)).filter((e) => e.startsWith('candidate-committed'));
      assert.equal(events.length, ROUNDS, 'each commit applied once (the second is a no-op)');
      assert.equal((await a.get(imsi))?.active?.version, ROUNDS + 1);
    });

    it('conflicting stages from two HSSs: exactly one wins, the other gets ConflictError', async () => {
      const imsi = imsiOf(4);
      const [ta, tb] = [makeHss(a, 'a'), makeHss(b, 'b')];
      await ta.hss.create({ imsi, keys: milenageKeys('c4') }, 'test');
      for (let round = 1; round <= ROUNDS; round++) {
        const [txA, txB] = [txOf(round, 0xca), txOf(round, 0xcb)];
        const outcomes = await Promise.allSettled([
          ta.hss.stageCandidate(
            imsi,
            { keyVersion: 2, transactionId: txA, keys: milenageKeys(`a${round}`) },
            'a',
          ),
          tb.hss.stageCandidate(
            imsi,
            { keyVersion: 2, transactionId: txB, keys: milenageKeys(`b${round}`) },
            'b',
          ),
        ]);
        const won = outcomes.filter((o) => o.status === 'fulfilled');
        assert.equal(won.length, 1, `round ${round}`);
        const lost = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
        assert.ok(lost.reason instanceof ConflictError, String(lost.reason));
        const staged = (await a.get(imsi))?.candidate?.transactionId as Uint8Array;
        assert.equal(toHex(staged), toHex(outcomes[0].status === 'fulfilled' ? txA : txB));
        await ta.hss.abortCandidate(imsi, staged, 'a');
      }
      const staged = (await auditEvents(imsi)).filter((e) => e.startsWith('candidate-staged'));
      assert.equal(staged.length, ROUNDS);
    });

    it('one outcome per vector: the same RAND reported from two HSSs at once counts once', async () => {
      const imsi = imsiOf(6);
      const [ta, tb] = [makeHss(a, 'a'), makeHss(b, 'b')];
      await ta.hss.create({ imsi, keys: milenageKeys('c6') }, 'test');
      for (let round = 1; round <= ROUNDS; round++) {
        const { rand } = await ta.auc.generateHeAka(imsi, SNN);
        const outcomes = await Promise.allSettled([
          ta.hss.reportAuthOutcome(imsi, { success: true, rand }, 'ausf-a'),
          tb.hss.reportAuthOutcome(imsi, { success: true, rand }, 'ausf-b'),
        ]);
        assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1, `round ${round}`);
        const lost = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
        assert.ok(lost.reason instanceof NoCredentialsError, String(lost.reason));
      }
      await ta.hss.stageCandidate(
        imsi,
        { keyVersion: 2, transactionId: txOf(1, 0xcc), keys: milenageKeys('c6-new') },
        'a',
      );
      for (let round = 1; round <= ROUNDS; round++) {
        const { rand } = await ta.auc.generateHeAka(imsi, SNN);
        const failure = { success: false, failure: 'MAC_FAILURE' as const, rand };
        await Promise.all([
          ta.hss.reportAuthOutcome(imsi, failure, 'ausf-a'),
          tb.hss.reportAuthOutcome(imsi, failure, 'ausf-b'),
        ]);
      }
      const macFailures = (await a.audit(imsi)).filter((e) => e.event === 'mac-failure');
      assert.equal(macFailures.length, 2 * ROUNDS, 'both reports are audited');
      assert.equal(
        macFailures.filter((e) => e.keyVersion !== null).length,
        ROUNDS,
        'only one of each pair was judged against the vector',
      );
    });

    // PostgreSQL only: SQLite locks the database for the whole change, so no write can lose such a race there.
    if (backend.name === 'postgres')
      it('a write that lost the race to another write is applied once, on the row as it then is', async () => {
        const imsi = imsiOf(5);
        const t = makeHss(a);
        await t.hss.create({ imsi, iccid: String(ICCID_BASE), keys: milenageKeys('c5') }, 'test');
        const { connectionString, schema } = parsePostgresUrl(db);
        const other = new pg.Client({ connectionString, options: `-c search_path=${schema}` });
        await other.connect();
        try {
          // Another writer holds the row: the mutation reads it unlocked, computes, and its write waits.
          await other.query('BEGIN');
          await other.query('SELECT 1 FROM hss_subscribers WHERE imsi = $1 FOR UPDATE', [imsi]);
          const seen: string[] = [];
          const done = a.mutate(imsi, (r) => {
            seen.push(r.iccid as string);
            return incremented(r, 'a');
          });
          await waitForLockWait(other, '%UPDATE hss_subscribers SET%xmin%');
          await other.query('UPDATE hss_subscribers SET iccid = $2 WHERE imsi = $1', [
            imsi,
            String(ICCID_BASE + 10n),
          ]);
          await other.query('COMMIT');
          const r = await done;
          assert.deepEqual(
            seen,
            [String(ICCID_BASE), String(ICCID_BASE + 10n)],
            'computed again on the new row',
          );
          assert.equal(r.iccid, String(ICCID_BASE + 11n));
          assert.equal((await a.get(imsi))?.iccid, String(ICCID_BASE + 11n), 'the other write is not lost');
          const updated = (await a.audit(imsi)).filter((e) => e.event === 'subscriber-updated');
          assert.equal(updated.length, 1, 'the lost write left no audit line');
        } finally {
          await other.end();
        }
      });
  });
}
