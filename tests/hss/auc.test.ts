// AuC on both backends: vectors the USIM accepts (Milenage, TUAK; 5G HE AKA and EPS), SQN stored before a vector
// leaves, never reused under concurrency, resynchronisation from AUTS, and the three distinct failures.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildAuts, nextSqn, sqnAfterResync } from '../../src/aka/index.js';
import { equalBytes } from '../../src/bytes/index.js';
import { FixedRandom } from '../../src/crypto/index.js';
import { silentLogger } from '../../src/ports/index.js';
import {
  Auc,
  AMF_SEPARATION_BIT,
  NoCredentialsError,
  StoreFailureError,
  UnknownSubscriberError,
  type SubscriberRecord,
} from '../../src/hss/index.js';
import { openStore, type SubscriberStore } from '../../src/hss/store/index.js';
import { backends } from './backends.js';
import { functionsOf, imsiOf, makeHss, milenageKeys, SNN, tuakKeys, usim5g, usimEps } from './fixture.js';

for (const backend of backends()) {
  describe(`AuC on ${backend.name}`, { skip: backend.skip }, () => {
    let store: SubscriberStore;
    let t: ReturnType<typeof makeHss>;
    before(async () => {
      store = await backend.open();
      t = makeHss(store);
    });
    after(async () => {
      await store.close();
      await backend.cleanup();
    });

    it('5G HE AKA (Milenage): the USIM accepts AUTN, RES* = XRES*, KAUSF agrees, SQN stored first', async () => {
      const km = milenageKeys(1);
      await t.hss.create({ imsi: imsiOf(1), keys: km, amf: Uint8Array.of(0x00, 0x00) }, 'test');
      let last = 0n;
      for (let i = 0; i < 3; i++) {
        const v = await t.auc.generateHeAka(imsiOf(1), SNN);
        const u = usim5g(km, v.rand, v.autn);
        assert.equal(u.macOk, true);
        assert.deepEqual(u.resStar, v.xresStar);
        assert.deepEqual(u.kausf, v.kausf);
        assert.equal(
          u.amf[0] & AMF_SEPARATION_BIT,
          AMF_SEPARATION_BIT,
          'separation bit set (TS 33.501 6.1.3.2)',
        );
        assert.equal(u.sqn, nextSqn(last));
        assert.equal((await store.get(imsiOf(1)))!.sqn, u.sqn, 'stored SQN is the one in the vector');
        last = u.sqn;
      }
    });

    it('EPS AKA and TUAK (K 128 and 256 bits): RES = XRES, KASME agrees', async () => {
      for (const [n, km] of [
        [2, tuakKeys(2, 32)],
        [3, tuakKeys(3, 16)],
        [4, milenageKeys(4)],
      ] as const) {
        await t.hss.create({ imsi: imsiOf(n), keys: km }, 'test');
        const v = await t.auc.generateEpsAka(imsiOf(n), '001', '01');
        const u = usimEps(km, v.rand, v.autn);
        assert.equal(u.macOk, true);
        assert.deepEqual(u.res, v.xres);
        assert.deepEqual(u.kasme, v.kasme);
        const v5 = await t.auc.generateHeAka(imsiOf(n), SNN);
        assert.deepEqual(usim5g(km, v5.rand, v5.autn).resStar, v5.xresStar);
      }
    });

    it('RAND comes from the injected source', async () => {
      const km = milenageKeys(5);
      await t.hss.create({ imsi: imsiOf(5), keys: km }, 'test');
      const rand = Uint8Array.from({ length: 16 }, (_, i) => i * 7);
      const auc = new Auc({
        store,
        vault: t.vault,
        rng: new FixedRandom(rand),
        clock: t.clock,
        logger: silentLogger,
      });
      const v = await auc.generateHeAka(imsiOf(5), SNN);
      assert.deepEqual(v.rand, rand);
      assert.equal(usim5g(km, rand, v.autn).macOk, true);
    });

    it('50 parallel requests for one subscriber get 50 distinct SQNs, all stored', async () => {
      const km = milenageKeys(6);
      await t.hss.create({ imsi: imsiOf(6), keys: km }, 'test');
      const vectors = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          i % 2 ? t.auc.generateHeAka(imsiOf(6), SNN) : t.auc.generateEpsAka(imsiOf(6), '001', '01'),
        ),
      );
      const sqns = vectors.map((v) => usim5g(km, v.rand, v.autn).sqn);
      assert.equal(new Set(sqns.map(String)).size, 50);
      let expected = 0n;
      for (let i = 0; i < 50; i++) expected = nextSqn(expected);
      assert.equal((await store.get(imsiOf(6)))!.sqn, expected);
      assert.ok(sqns.every((s) => s <= expected));
    });

    it('two HSS instances on one database (two connections or pools) never share a SQN', async () => {
      const db = backend.newDatabase();
      const [a, b] = [await openStore(db), await openStore(db)];
      try {
        const [ta, tb] = [makeHss(a, 'instance-a'), makeHss(b, 'instance-b')];
        const km = milenageKeys(13);
        await ta.hss.create({ imsi: imsiOf(13), keys: km }, 'test');
        const vectors = await Promise.all(
          Array.from({ length: 40 }, (_, i) => (i % 2 ? ta : tb).auc.generateHeAka(imsiOf(13), SNN)),
        );
        const sqns = vectors.map((v) => usim5g(km, v.rand, v.autn).sqn);
        assert.equal(new Set(sqns.map(String)).size, 40);
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('the SQL increment equals nextSqn of TS 33.102 Annex C (SEQ + 1, IND round-robin)', async () => {
      await t.hss.create({ imsi: imsiOf(7), keys: milenageKeys(7) }, 'test');
      const maxSeq = (1n << 43n) - 2n;
      await fc.assert(
        fc.asyncProperty(
          fc.bigInt({ min: 0n, max: maxSeq }),
          fc.integer({ min: 0, max: 31 }),
          async (seq, ind) => {
            const base = (seq << 5n) | BigInt(ind);
            const r = await store.issueSqn(imsiOf(7), new Uint8Array(16), new Date(0), base);
            assert.equal(r!.record.sqn, nextSqn(base));
            assert.equal(r!.keyVersion, 1);
          },
        ),
        { numRuns: 40 },
      );
    });

    it('resynchronisation: AUTS with SQN_MS ahead resets SQN_HE; the next vector is fresh for the USIM', async () => {
      const km = milenageKeys(8);
      await t.hss.create({ imsi: imsiOf(8), keys: km }, 'test');
      const v1 = await t.auc.generateHeAka(imsiOf(8), SNN);
      const sqnMs = (1000n << 5n) | 3n;
      const auts = buildAuts(functionsOf(km), v1.rand, sqnMs);
      const v2 = await t.auc.generateHeAka(imsiOf(8), SNN, { rand: v1.rand, auts });
      const u = usim5g(km, v2.rand, v2.autn);
      assert.equal(u.macOk, true);
      assert.equal(u.sqn, sqnAfterResync(sqnMs));
      assert.equal((await store.get(imsiOf(8)))!.sqn, u.sqn);
      const events = await t.hss.audit(imsiOf(8));
      assert.ok(events.some((e) => e.event === 'resynchronised'));
    });

    it('a replayed AUTS, or one for a challenge never issued, resynchronises nothing', async () => {
      const km = milenageKeys(11);
      await t.hss.create({ imsi: imsiOf(112), keys: km }, 'test');
      const v1 = await t.auc.generateHeAka(imsiOf(112), SNN);
      const auts = buildAuts(functionsOf(km), v1.rand, (1000n << 5n) | 3n);
      await t.auc.generateHeAka(imsiOf(112), SNN, { rand: v1.rand, auts });
      const after = (await store.get(imsiOf(112)))!.sqn;
      const v3 = await t.auc.generateHeAka(imsiOf(112), SNN, { rand: v1.rand, auts });
      assert.equal(usim5g(km, v3.rand, v3.autn).sqn, nextSqn(after), 'the replay did not reset SQN_HE');
      const forged = new Uint8Array(16).fill(7);
      const v4 = await t.auc.generateHeAka(imsiOf(112), SNN, {
        rand: forged,
        auts: buildAuts(functionsOf(km), forged, 1n << 5n),
      });
      assert.equal(usim5g(km, v4.rand, v4.autn).sqn, nextSqn(nextSqn(after)));
      assert.equal((await t.hss.audit(imsiOf(112))).filter((e) => e.event === 'resynchronised').length, 1);
    });

    it('resynchronisation with a wrong MAC-S leaves SQN_HE alone (TS 33.102 6.3.5) and still answers', async () => {
      const km = milenageKeys(9);
      await t.hss.create({ imsi: imsiOf(9), keys: km }, 'test');
      const v1 = await t.auc.generateHeAka(imsiOf(9), SNN);
      const before = (await store.get(imsiOf(9)))!.sqn;
      const auts = buildAuts(functionsOf(milenageKeys('other')), v1.rand, 5000n << 5n);
      const v2 = await t.auc.generateHeAka(imsiOf(9), SNN, { rand: v1.rand, auts });
      assert.equal(usim5g(km, v2.rand, v2.autn).sqn, nextSqn(before));
    });

    it('unknown subscriber, no credentials and store failure are distinct errors', async () => {
      await assert.rejects(t.auc.generateHeAka(imsiOf(999), SNN), UnknownSubscriberError);
      const now = new Date();
      const bare: SubscriberRecord = {
        imsi: imsiOf(10),
        iccid: null,
        amf: Uint8Array.of(0x80, 0),
        sqn: 0n,
        indBits: 5,
        active: null,
        activeTransactionId: null,
        candidate: null,
        fallbackVersion: null,
        createdAt: now,
        updatedAt: now,
      };
      await store.insert(bare, []);
      await assert.rejects(t.auc.generateHeAka(imsiOf(10), SNN), NoCredentialsError);
      assert.equal((await store.get(imsiOf(10)))!.sqn, 0n, 'no SQN consumed without credentials');
      const closed = await backend.open();
      const c = makeHss(closed);
      await closed.close();
      await assert.rejects(c.auc.generateHeAka(imsiOf(1), SNN), StoreFailureError);
    });

    it('TUAK with 256-bit CK: a clear "no usable credentials" error instead of a vector', async () => {
      const km = {
        ...tuakKeys(12),
        tuak: { keccakIterations: 1, macLength: 8, resLength: 8, ckLength: 32, ikLength: 16 },
      } as const;
      await t.hss.create({ imsi: imsiOf(12), keys: km }, 'test');
      await assert.rejects(
        t.auc.generateHeAka(imsiOf(12), SNN),
        (e: Error) => e instanceof NoCredentialsError && /128-bit CK/.test(e.message),
      );
    });

    it('vectors differ per request and never repeat a RAND', async () => {
      await t.hss.create({ imsi: imsiOf(11), keys: milenageKeys(11) }, 'test');
      const a = await t.auc.generateHeAka(imsiOf(11), SNN);
      const b = await t.auc.generateHeAka(imsiOf(11), SNN);
      assert.equal(equalBytes(a.rand, b.rand), false);
      assert.equal(equalBytes(a.autn, b.autn), false);
    });
  });
}
