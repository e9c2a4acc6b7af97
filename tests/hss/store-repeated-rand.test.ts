// DESIGN.md 6 step 3 when one RAND names several vector entries (an HSS restarted with the same random sequence
// issues the RANDs of its previous run again, and unanswered entries stay in the ring: the model test's seed
// -513304949), on both backends. An outcome takes every entry of its RAND at once; entries that agree on the key
// version are judged on it, entries of different key versions name no one vector (judged as an unknown vector).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex } from '../../src/bytes/index.js';
import { NoCredentialsError } from '../../src/hss/index.js';
import { openStore, type SubscriberStore } from '../../src/hss/store/index.js';
import { backends, queryDatabase } from './backends.js';
import { imsiOf, makeHss, milenageKeys } from './fixture.js';

const REPEATED_RAND = fromHex('5a'.repeat(16));
const OTHER_RAND = fromHex('a5'.repeat(16));
const TX = fromHex('33'.repeat(16));

for (const backend of backends()) {
  describe(`a RAND issued twice on ${backend.name}`, { skip: backend.skip }, () => {
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

    async function entriesOf(imsi: string, rand: Uint8Array): Promise<number> {
      const rows = await queryDatabase(
        db,
        'SELECT count(*) AS n FROM hss_vectors WHERE imsi = $1 AND rand = $2',
        [imsi, Buffer.from(rand)],
      );
      return Number(rows[0].n);
    }

    it('a success on it with the active keys is confirmed once, taking both entries', async () => {
      const imsi = imsiOf(1);
      await t.hss.create({ imsi, keys: milenageKeys('rr1') }, 'test');
      await store.issueSqn(imsi, REPEATED_RAND, t.clock.now());
      await store.issueSqn(imsi, REPEATED_RAND, t.clock.now());
      assert.equal(await entriesOf(imsi, REPEATED_RAND), 2);

      // Not a lost race: the outcome's own take removed both entries (the attach is confirmed, no lockout).
      const v = await t.hss.reportAuthOutcome(imsi, { success: true, rand: REPEATED_RAND }, 'ausf');
      assert.equal(v.activeVersion, 1);
      assert.equal(await entriesOf(imsi, REPEATED_RAND), 0, 'every entry of the RAND taken');
      await assert.rejects(
        t.hss.reportAuthOutcome(imsi, { success: true, rand: REPEATED_RAND }, 'ausf'),
        NoCredentialsError,
        'one outcome per vector',
      );
    });

    it('entries of two key versions name no vector: a success promotes nothing and is not confirmed', async () => {
      const imsi = imsiOf(2);
      await t.hss.create({ imsi, keys: milenageKeys('rr2') }, 'test');
      await store.issueSqn(imsi, REPEATED_RAND, t.clock.now());
      await t.hss.stageCandidate(
        imsi,
        { keyVersion: 2, transactionId: TX, keys: milenageKeys('rr2-new') },
        'server',
      );
      // A MAC failure on an active vector: the next vector comes from the candidate (version 2).
      await store.issueSqn(imsi, OTHER_RAND, t.clock.now());
      await t.hss.reportAuthOutcome(
        imsi,
        { success: false, failure: 'MAC_FAILURE', rand: OTHER_RAND },
        'ausf',
      );
      assert.equal((await store.issueSqn(imsi, REPEATED_RAND, t.clock.now()))?.keyVersion, 2);

      await assert.rejects(
        t.hss.reportAuthOutcome(imsi, { success: true, rand: REPEATED_RAND }, 'ausf'),
        NoCredentialsError,
      );
      const v = await t.hss.get(imsi);
      assert.equal(v.activeVersion, 1, 'not promoted on an ambiguous RAND');
      assert.equal(v.candidate?.version, 2, 'the candidate stays staged');
    });
  });
}
