import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { concatBytes, fromHex, toHex } from '../../src/bytes/index.js';
import {
  CryptoError,
  FixedRandom,
  RANDOM_POOL_BYTES,
  SeededRandom,
  cryptoRandom,
} from '../../src/crypto/index.js';

describe('RandomSource implementations', () => {
  it('cryptoRandom returns the requested length and differs between calls', () => {
    const a = cryptoRandom.randomBytes(32);
    const b = cryptoRandom.randomBytes(32);
    assert.equal(a.length, 32);
    assert.notDeepEqual(a, b);
    assert.equal(cryptoRandom.randomBytes(0).length, 0);
  });

  it('cryptoRandom (pooled): reads across many pool refills and above the pool size are all distinct', () => {
    const reads = Array.from({ length: 4 * (RANDOM_POOL_BYTES / 24) }, () => cryptoRandom.randomBytes(24));
    reads.push(
      cryptoRandom.randomBytes(RANDOM_POOL_BYTES / 4 + 1),
      cryptoRandom.randomBytes(4 * RANDOM_POOL_BYTES),
    );
    assert.deepEqual(
      reads.slice(-2).map((r) => r.length),
      [RANDOM_POOL_BYTES / 4 + 1, 4 * RANDOM_POOL_BYTES],
    );
    assert.equal(new Set(reads.map((r) => toHex(r.subarray(0, 24)))).size, reads.length);
    // each read is its own copy: wiping one (as callers do with a scalar) leaves the next untouched
    const a = cryptoRandom.randomBytes(32);
    const b = cryptoRandom.randomBytes(32);
    const bCopy = Uint8Array.from(b);
    a.fill(0);
    assert.deepEqual(b, bCopy);
    assert.notEqual(a.buffer, b.buffer);
    for (const bad of [-1, 1.5, Number.NaN]) assert.throws(() => cryptoRandom.randomBytes(bad), CryptoError);
  });

  it('SeededRandom: same seed, same stream; different seed, different stream', () => {
    assert.deepEqual(new SeededRandom('seed').randomBytes(100), new SeededRandom('seed').randomBytes(100));
    assert.deepEqual(new SeededRandom(7).randomBytes(40), new SeededRandom('7').randomBytes(40));
    assert.deepEqual(
      new SeededRandom(fromHex('0102')).randomBytes(16),
      new SeededRandom(fromHex('0102')).randomBytes(16),
    );
    assert.notDeepEqual(new SeededRandom('seed').randomBytes(32), new SeededRandom('seeds').randomBytes(32));
    const r = new SeededRandom('seed');
    assert.notDeepEqual(r.randomBytes(32), r.randomBytes(32));
  });

  it('SeededRandom: the stream does not depend on how reads are split', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 70 }), { maxLength: 8 }), (sizes) => {
        const total = sizes.reduce((a, b) => a + b, 0);
        const split = new SeededRandom('split');
        const pieces = concatBytes(...sizes.map((n) => split.randomBytes(n)));
        assert.deepEqual(pieces, new SeededRandom('split').randomBytes(total));
      }),
    );
  });

  it('FixedRandom returns its values in order, then throws', () => {
    const r = new FixedRandom(fromHex('0102'), fromHex('030405'));
    assert.equal(r.remaining, 2);
    assert.deepEqual(r.randomBytes(2), fromHex('0102'));
    assert.deepEqual(r.randomBytes(3), fromHex('030405'));
    assert.throws(() => r.randomBytes(1), /exhausted/);
  });

  it('FixedRandom refuses a request whose length differs from the next value', () => {
    assert.throws(() => new FixedRandom(fromHex('0102')).randomBytes(3), CryptoError);
  });

  it('FixedRandom copies its values (later changes to the caller buffer do not leak in)', () => {
    const v = fromHex('0102');
    const r = new FixedRandom(v);
    v[0] = 0xff;
    assert.deepEqual(r.randomBytes(2), fromHex('0102'));
  });
});
