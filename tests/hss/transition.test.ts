// The key transition of DESIGN.md 6 on both backends: stage / commit / abort with idempotency and conflicts,
// the previous keys kept until the first successful AKA with the new ones, self-healing after a MAC failure,
// and the audit trail.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { toHex } from '../../src/bytes/index.js';
import { ConflictError, type KeyMaterial } from '../../src/hss/index.js';
import type { SubscriberStore } from '../../src/hss/store/index.js';
import { backends } from './backends.js';
import { imsiOf, makeHss, milenageKeys, SNN, tuakKeys, usim5g } from './fixture.js';

const TX1 = '11'.repeat(16);
const TX2 = '22'.repeat(16);

for (const backend of backends()) {
  describe(`key transition on ${backend.name}`, { skip: backend.skip }, () => {
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

    /** Which of the key sets the next 5G vector was made with. */
    async function answeringKeys(
      imsi: string,
      candidates: KeyMaterial[],
    ): Promise<{ index: number; rand: Uint8Array }> {
      const v = await t.auc.generateHeAka(imsi, SNN);
      const index = candidates.findIndex((km) => usim5g(km, v.rand, v.autn).macOk);
      return { index, rand: v.rand };
    }

    it('stage, commit (idempotent), previous kept until the first success with the new keys', async () => {
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
      assert.equal(v.previousVersion, 1);
      assert.equal(v.candidate, undefined);
      v = await t.hss.commitCandidate(imsi, TX1, 'server');
      assert.equal(v.activeVersion, 2, 'committing again is a no-op');

      const { index, rand } = await answeringKeys(imsi, [oldKeys, newKeys]);
      assert.equal(index, 1, 'after commit the new keys answer');
      await t.hss.reportAuthOutcome(imsi, { success: true, rand }, 'ausf');
      v = await t.hss.get(imsi);
      assert.equal(
        v.previousVersion,
        undefined,
        'previous dropped after the first success with the new keys',
      );

      const events = (await t.hss.audit(imsi)).map((e) => [e.event, e.keyVersion, e.transactionId, e.actor]);
      assert.deepEqual(events, [
        ['subscriber-created', 1, null, 'test'],
        ['candidate-staged', 2, TX1, 'server'],
        ['candidate-committed', 2, TX1, 'server'],
        ['previous-dropped', 1, null, 'ausf'],
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
      assert.equal(v.previousVersion, undefined);
      assert.equal((await answeringKeys(imsi, [oldKeys, newKeys])).index, 1);
      // The server's late commit is then idempotent.
      assert.equal((await t.hss.commitCandidate(imsi, TX1, 'server')).activeVersion, 2);
      const events = (await t.hss.audit(imsi)).map((e) => e.event);
      assert.deepEqual(events.slice(-2), ['mac-failure', 'candidate-promoted']);
    });

    it('self-healing: committed but the card kept its old keys -> previous answers -> restored', async () => {
      const imsi = imsiOf(5);
      const [oldKeys, newKeys] = [milenageKeys('t5-old'), milenageKeys('t5-new')];
      await t.hss.create({ imsi, keys: oldKeys }, 'test');
      await t.hss.stageCandidate(imsi, { keyVersion: 2, transactionId: TX1, keys: newKeys }, 'server');
      await t.hss.commitCandidate(imsi, TX1, 'server');
      const first = await answeringKeys(imsi, [oldKeys, newKeys]);
      assert.equal(first.index, 1);
      await t.hss.reportAuthOutcome(
        imsi,
        { success: false, rand: first.rand, failure: 'MAC_FAILURE' },
        'ausf',
      );
      const second = await answeringKeys(imsi, [oldKeys, newKeys]);
      assert.equal(second.index, 0, 'the previous keys answer next');
      await t.hss.reportAuthOutcome(imsi, { success: true, rand: second.rand }, 'ausf');
      const v = await t.hss.get(imsi);
      assert.equal(v.activeVersion, 1);
      assert.equal(v.previousVersion, undefined);
      assert.equal((await answeringKeys(imsi, [oldKeys, newKeys])).index, 0);
    });

    it('a MAC failure of the fallback too cycles back to the active keys; no other set: no fallback', async () => {
      const imsi = imsiOf(6);
      const [oldKeys, newKeys] = [milenageKeys('t6-old'), milenageKeys('t6-new')];
      await t.hss.create({ imsi, keys: oldKeys }, 'test');
      const lone = await answeringKeys(imsi, [oldKeys]);
      await t.hss.reportAuthOutcome(
        imsi,
        { success: false, rand: lone.rand, failure: 'MAC_FAILURE' },
        'ausf',
      );
      assert.equal((await answeringKeys(imsi, [oldKeys])).index, 0, 'nothing else to try');
      await t.hss.stageCandidate(imsi, { keyVersion: 2, transactionId: TX2, keys: newKeys }, 'server');
      const a = await answeringKeys(imsi, [oldKeys, newKeys]);
      await t.hss.reportAuthOutcome(imsi, { success: false, rand: a.rand, failure: 'MAC_FAILURE' }, 'ausf');
      const b = await answeringKeys(imsi, [oldKeys, newKeys]);
      assert.equal(b.index, 1);
      await t.hss.reportAuthOutcome(imsi, { success: false, rand: b.rand, failure: 'MAC_FAILURE' }, 'ausf');
      assert.equal((await answeringKeys(imsi, [oldKeys, newKeys])).index, 0);
      assert.equal((await t.hss.get(imsi)).candidate?.version, 2, 'failures alone change no key set');
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
