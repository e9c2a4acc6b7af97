import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BoundedCache } from '../../src/ports/index.js';

describe('BoundedCache', () => {
  it('keeps at most `limit` entries, dropping the oldest, and deletes and clears on request', () => {
    const cache = new BoundedCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    assert.equal(cache.size, 2);
    assert.equal(cache.get('a'), undefined);
    assert.equal(
      cache.getOrCreate('b', () => 20),
      2,
    );
    assert.equal(cache.delete('b'), true);
    assert.equal(cache.delete('b'), false);
    assert.equal(cache.size, 1);
    const seen: number[] = [];
    cache.clear((v) => seen.push(v));
    assert.deepEqual(seen, [3]);
    assert.equal(cache.size, 0);
  });

  it('refuses a limit below 1', () => {
    assert.throws(() => new BoundedCache(0), RangeError);
  });
});
