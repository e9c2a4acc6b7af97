// The key transition of DESIGN.md 6 on both backends: stage / commit / abort with idempotency and conflicts,
// the old keys destroyed by the commit (no previous key set: the rotation is final), self-healing towards a
// staged candidate only, vectors recorded by RAND, and the audit trail.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../src/bytes/index.js';
import {
  ConflictError,
  NoCredentialsError,
  VECTOR_LIFETIME_MS,
  VECTOR_SLOTS,
  type KeyMaterial,
} from '../../src/hss/index.js';
import { openStore, type SubscriberStore } from '../../src/hss/store/index.js';
import { backends, queryDatabase } from './backends.js';
import { imsiOf, makeHss, milenageKeys, SNN, tuakKeys, usim5g } from './fixture.js';

const TX1 = fromHex('11'.repeat(16));
const TX2 = fromHex('22'.repeat(16));

for (const backend of backends()) {
  describe(`key transition on ${backend.name}`, { skip: backend.skip }, () => {
    let store: SubscriberStore;
    let db: string;
    let t: ReturnType<typeof makeHss>;
    before(async () => {
      db = backend.newDatabase();
      store = await openStore(db);
      t = makeHss(store);
    });
    after(async () => {
      await store.close();
      await backend.cleanup();
    });

    async function vectorRows(imsi: string): Promise<number> {
      const rows = await queryDatabase(db, 'SELECT count(*) AS n FROM hss_vectors WHERE imsi = $1', [imsi]);
      return Number(rows[0].n);
    }

    /** Which of the key sets the next 5G vector was made with. */
    async function answeringKeys(
      imsi: string,
      candidates: KeyMaterial[],
    ): Promise<{ index: number; rand: Uint8Array }> {
      const v = await t.auc.generateHeAka(imsi, SNN);
      const index = candidates.findIndex((km) => usim5g(km, v.rand, v.autn).macOk);
      return { index, rand: v.rand };
    }

    it('stage, commit (idempotent): the old keys are gone at once, not after a grace period', async () => {
      const imsi = imsiOf(1);
      const [oldKeys, newKeys] = [milenageKeys('t1-old'), milenageKeys('t1-new')];
      await t.hss.create({ imsi, keys: oldKeys }, 'test');
      let v = await t.hss.stageCandidate(
        imsi,
        { keyVersion: 2, transactionId: TX1, keys: newKeys },
        'server',
      );
      assert.deepEqual(v.candidate && { version: v.candidate.version, tx: v.candidate.transactionId }, {
        version: 2,
        tx: TX1,
      });
      assert.equal(
        (await answeringKeys(imsi, [oldKeys, newKeys])).index,
        0,
        'the active keys answer while staged',
      );
      v = await t.hss.stageCandidate(imsi, { keyVersion: 2, transactionId: TX1, keys: newKeys }, 'server');
      assert.equal(v.candidate?.version, 2, 'staging again with the same transaction is a no-op');

      v = await t.hss.commitCandidate(imsi, TX1, 'server');
      assert.equal(v.activeVersion, 2);
      assert.equal(v.candidate, undefined);
      assert.equal('previousVersion' in v, false, 'no previous key set');
      const stored = await store.get(imsi);
      assert.equal(JSON.stringify(Object.keys(stored ?? {})).includes('previous'), false);
      v = await t.hss.commitCandidate(imsi, TX1, 'server');
      assert.equal(v.activeVersion, 2, 'committing again is a no-op');

      const { index, rand } = await answeringKeys(imsi, [oldKeys, newKeys]);
      assert.equal(index, 1, 'after commit the new keys answer');
      await t.hss.reportAuthOutcome(imsi, { success: true, rand }, 'ausf');

      const events = (await t.hss.audit(imsi)).map((e) => [e.event, e.keyVersion, e.transactionId, e.actor]);
      assert.deepEqual(events, [
        ['subscriber-created', 1, null, 'test'],
        ['candidate-staged', 2, TX1, 'server'],
        ['candidate-committed', 2, TX1, 'server'],
      ]);
    });

    it('conflicts: a second candidate, a version not newer, commit/abort of an unknown transaction', async () => {
      const imsi = imsiOf(2);
      await t.hss.create({ imsi, keys: milenageKeys('t2'), keyVersion: 5 }, 'test');
      await assert.rejects(
        t.hss.stageCandidate(imsi, { keyVersion: 5, transactionId: TX1, keys: milenageKeys('x') }, 's'),
        ConflictError,
      );
      await t.hss.stageCandidate(imsi, { keyVersion: 6, transactionId: TX1, keys: milenageKeys('t2b') }, 's');
      await assert.rejects(
        t.hss.stageCandidate(imsi, { keyVersion: 7, transactionId: TX2, keys: milenageKeys('y') }, 's'),
        ConflictError,
      );
      await assert.rejects(
        t.hss.stageCandidate(imsi, { keyVersion: 7, transactionId: TX1, keys: milenageKeys('y') }, 's'),
        ConflictError,
      );
      await assert.rejects(
        t.hss.stageCandidate(imsi, { keyVersion: 6, transactionId: TX1, keys: milenageKeys('other') }, 's'),
        /staged with other keys/,
        'the same transaction with other keys is a conflict',
      );
      const again = await t.hss.stageCandidate(
        imsi,
        { keyVersion: 6, transactionId: TX1, keys: milenageKeys('t2b') },
        's',
      );
      assert.equal(again.candidate?.version, 6, 'the same transaction with the same keys is a no-op');
      await assert.rejects(t.hss.commitCandidate(imsi, TX2, 's'), ConflictError);
      await assert.rejects(t.hss.abortCandidate(imsi, TX2, 's'), ConflictError);
      await t.hss.commitCandidate(imsi, TX1, 's');
      await assert.rejects(
        t.hss.abortCandidate(imsi, TX1, 's'),
        ConflictError,
        'a committed transaction cannot be aborted',
      );
      assert.equal(
        (await t.hss.abortCandidate(imsi, TX2, 's')).activeVersion,
        6,
        'aborting with nothing staged is a no-op',
      );
    });

    it('abort drops the candidate; the active keys go on answering', async () => {
      const imsi = imsiOf(3);
      const keys = tuakKeys('t3');
      await t.hss.create({ imsi, keys }, 'test');
      await t.hss.stageCandidate(imsi, { keyVersion: 2, transactionId: TX2, keys: milenageKeys('t3b') }, 's');
      const v = await t.hss.abortCandidate(imsi, TX2, 's');
      assert.equal(v.candidate, undefined);
      assert.equal(v.activeVersion, 1);
      assert.equal((await answeringKeys(imsi, [keys])).index, 0);
    });

    it('self-healing: card applied but commit lost -> MAC failure -> candidate answers -> promoted', async () => {
      const imsi = imsiOf(4);
      const [oldKeys, newKeys] = [milenageKeys('t4-old'), milenageKeys('t4-new')];
      await t.hss.create({ imsi, keys: oldKeys }, 'test');
      await t.hss.stageCandidate(imsi, { keyVersion: 2, transactionId: TX1, keys: newKeys }, 'server');
      // The card now holds newKeys; the HSS was never told.
      const first = await answeringKeys(imsi, [oldKeys, newKeys]);
      assert.equal(first.index, 0);
      await t.hss.reportAuthOutcome(
        imsi,
        { success: false, rand: first.rand, failure: 'MAC_FAILURE' },
        'ausf',
      );
      const second = await answeringKeys(imsi, [oldKeys, newKeys]);
      assert.equal(second.index, 1, 'after the MAC failure the candidate answers');
      await t.hss.reportAuthOutcome(imsi, { success: true, rand: second.rand }, 'ausf');
      const v = await t.hss.get(imsi);
      assert.equal(v.activeVersion, 2);
      assert.equal(v.candidate, undefined);
      assert.equal((await answeringKeys(imsi, [oldKeys, newKeys])).index, 1);
      assert.equal(
        (await answeringKeys(imsi, [oldKeys])).index,
        -1,
        'the old keys are gone with the promotion',
      );
      // The server's late commit is then idempotent.
      assert.equal((await t.hss.commitCandidate(imsi, TX1, 'server')).activeVersion, 2);
      const events = (await t.hss.audit(imsi)).map((e) => e.event);
      assert.deepEqual(events.slice(-2), ['mac-failure', 'candidate-promoted']);
    });

    it('finding 1: after a commit, a clone with the old keys never authenticates, and never restores them', async () => {
      const imsi = imsiOf(5);
      const [oldKeys, newKeys] = [milenageKeys('t5-old'), milenageKeys('t5-new')];
      await t.hss.create({ imsi, keys: oldKeys }, 'test');
      await t.hss.stageCandidate(imsi, { keyVersion: 2, transactionId: TX1, keys: newKeys }, 'server');
      await t.hss.commitCandidate(imsi, TX1, 'server');
      // The clone answers every challenge it cannot verify with a MAC failure, and tries again and again,
      // interleaved with the real card's attaches.
      for (let round = 0; round < 40; round++) {
        const clone = await answeringKeys(imsi, [oldKeys]);
        assert.equal(clone.index, -1, `round ${round}: a vector the old keys verify was handed out`);
        await t.hss.reportAuthOutcome(
          imsi,
          { success: false, rand: clone.rand, failure: 'MAC_FAILURE' },
          'ausf',
        );
        // A forged success on the clone's vector (already answered) is not confirmed, and changes nothing.
        await assert.rejects(
          t.hss.reportAuthOutcome(imsi, { success: true, rand: clone.rand }, 'ausf'),
          NoCredentialsError,
        );
        const real = await answeringKeys(imsi, [newKeys]);
        assert.equal(real.index, 0, `round ${round}: the real card's keys must answer`);
        if (round % 3 === 0) await t.hss.reportAuthOutcome(imsi, { success: true, rand: real.rand }, 'ausf');
      }
      const v = await t.hss.get(imsi);
      assert.equal(v.activeVersion, 2);
      assert.equal(v.candidate, undefined);
      assert.deepEqual(
        (await t.hss.audit(imsi)).filter((e) => e.keyVersion === 1 && e.event !== 'subscriber-created'),
        [],
        'nothing in the trail names the old version after the commit',
      );
    });

    it('finding 2: no keys at all, only the API: MAC failure then success cannot bring old keys back', async () => {
      const imsi = imsiOf(8);
      const [oldKeys, newKeys] = [milenageKeys('t8-old'), milenageKeys('t8-new')];
      await t.hss.create({ imsi, keys: oldKeys }, 'test');
      await t.hss.stageCandidate(imsi, { keyVersion: 2, transactionId: TX2, keys: newKeys }, 'server');
      await t.hss.commitCandidate(imsi, TX2, 'server');
      const a = await t.auc.generateHeAka(imsi, SNN);
      await t.hss.reportAuthOutcome(imsi, { success: false, rand: a.rand, failure: 'MAC_FAILURE' }, 'ausf');
      const b = await t.auc.generateHeAka(imsi, SNN);
      await t.hss.reportAuthOutcome(imsi, { success: true, rand: b.rand }, 'ausf');
      assert.equal((await t.hss.get(imsi)).activeVersion, 2);
      assert.equal((await answeringKeys(imsi, [oldKeys, newKeys])).index, 1);
      // Outcomes on RANDs the HSS never issued change nothing either; a success on one is not confirmed.
      await t.hss.reportAuthOutcome(
        imsi,
        { success: false, rand: new Uint8Array(16), failure: 'MAC_FAILURE' },
        'x',
      );
      await assert.rejects(
        t.hss.reportAuthOutcome(imsi, { success: true, rand: new Uint8Array(16) }, 'x'),
        NoCredentialsError,
        'a success on a RAND never issued is not confirmed',
      );
      assert.equal((await answeringKeys(imsi, [oldKeys, newKeys])).index, 1);
    });

    it('vectors by RAND: concurrent attaches are not confused, each outcome counts once, entries expire', async () => {
      const imsi = imsiOf(9);
      const [oldKeys, newKeys] = [milenageKeys('t9-old'), milenageKeys('t9-new')];
      await t.hss.create({ imsi, keys: oldKeys }, 'test');
      await t.hss.stageCandidate(imsi, { keyVersion: 2, transactionId: TX1, keys: newKeys }, 'server');
      // Two attaches in flight, both from the active keys; the card (new keys) fails the first.
      const first = await answeringKeys(imsi, [oldKeys, newKeys]);
      const flood = await Promise.all(
        Array.from({ length: 8 }, () => answeringKeys(imsi, [oldKeys, newKeys])),
      );
      assert.deepEqual(
        [first.index, ...flood.map((f) => f.index)],
        Array(9).fill(0),
        'active answers until a MAC failure',
      );
      await t.hss.reportAuthOutcome(
        imsi,
        { success: false, rand: first.rand, failure: 'MAC_FAILURE' },
        'ausf',
      );
      const healed = await answeringKeys(imsi, [oldKeys, newKeys]);
      assert.equal(healed.index, 1, 'the candidate answers next');
      // A success reported for one of the flood's (active) vectors does not promote anything...
      await t.hss.reportAuthOutcome(imsi, { success: true, rand: flood[0].rand }, 'ausf');
      assert.equal((await t.hss.get(imsi)).activeVersion, 1);
      // ...and replaying the MAC failure of the first vector does not flip the fallback back.
      await t.hss.reportAuthOutcome(
        imsi,
        { success: false, rand: first.rand, failure: 'MAC_FAILURE' },
        'ausf',
      );
      assert.equal((await answeringKeys(imsi, [oldKeys, newKeys])).index, 1);
      // An outcome on a vector older than its lifetime is unknown: a success on `healed` changes nothing then.
      t.clock.advance(VECTOR_LIFETIME_MS + 1);
      await assert.rejects(
        t.hss.reportAuthOutcome(imsi, { success: true, rand: healed.rand }, 'ausf'),
        NoCredentialsError,
      );
      assert.equal((await t.hss.get(imsi)).candidate?.version, 2, 'expired vector: nothing promoted');
      // The table stays bounded whatever the flood.
      for (let i = 0; i < VECTOR_SLOTS + 10; i++) await t.auc.generateHeAka(imsi, SNN);
      assert.ok((await vectorRows(imsi)) <= VECTOR_SLOTS);
    });

    it('the audit trail and the views never carry keys', async () => {
      const imsi = imsiOf(7);
      const keys = milenageKeys('t7');
      await t.hss.create({ imsi, keys }, 'test');
      await t.hss.stageCandidate(imsi, { keyVersion: 2, transactionId: TX1, keys: milenageKeys('t7b') }, 's');
      const dump = JSON.stringify(
        [await t.hss.audit(imsi), await t.hss.get(imsi), t.logger.lines],
        (_k, v) => (v instanceof Uint8Array ? toHex(v) : typeof v === 'bigint' ? String(v) : v),
      );
      for (const secret of [keys.k, keys.opc, milenageKeys('t7b').k])
        assert.equal(dump.includes(toHex(secret)), false);
    });
  });
}
