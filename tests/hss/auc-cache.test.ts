// The AuC's function-set cache is an explicit, injected object with a size and a way to clear (no module state).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../src/ports/index.js';
import { Auc, newAkaFunctionsCache } from '../../src/hss/index.js';
import { openStore, type SubscriberStore } from '../../src/hss/store/index.js';
import { imsiOf, makeHss, milenageKeys, SNN, usim5g } from './fixture.js';

describe('AuC function-set cache', () => {
  let store: SubscriberStore;
  before(async () => {
    store = await openStore(':memory:');
  });
  after(async () => {
    await store.close();
  });

  it('holds at most its limit, is shared only where injected, and a cleared cache still serves vectors', async () => {
    const t = makeHss(store);
    const cache = newAkaFunctionsCache(2);
    const auc = new Auc({
      store,
      vault: t.vault,
      rng: t.rng,
      clock: t.clock,
      logger: silentLogger,
      functionsCache: cache,
    });
    const keys = [1, 2, 3].map((i) => milenageKeys(300 + i));
    for (const [i, km] of keys.entries()) await t.hss.create({ imsi: imsiOf(300 + i), keys: km }, 'test');
    for (const i of [0, 1, 2]) await auc.generateHeAka(imsiOf(300 + i), SNN);
    assert.equal(cache.size, 2);
    await t.auc.generateHeAka(imsiOf(300), SNN);
    assert.equal(cache.size, 2, 'another AuC keeps its own cache');
    cache.clear();
    assert.equal(cache.size, 0);
    const v = await auc.generateHeAka(imsiOf(300), SNN);
    assert.equal(usim5g(keys[0], v.rand, v.autn).macOk, true);
    assert.equal(cache.size, 1);
  });

  it('refuses a limit below 1', () => {
    assert.throws(() => newAkaFunctionsCache(0), RangeError);
  });
});
