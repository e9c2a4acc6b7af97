// Keccak-f[1600] checked through SHA3-256 and SHAKE128 sponges against node:crypto (OpenSSL) on random messages.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { toHex } from '../../src/bytes/index.js';
import { keccakF1600Bytes } from '../../src/aka/keccak.js';

// FIPS 202 4 / 6: sponge over Keccak-f[1600] with pad10*1 and the domain suffix.
function sponge(rate: number, suffix: number, message: Uint8Array, outLength: number): Uint8Array {
  const state = new Uint8Array(200);
  const padded = new Uint8Array(Math.floor(message.length / rate + 1) * rate);
  padded.set(message);
  padded[message.length] ^= suffix;
  padded[padded.length - 1] ^= 0x80;
  for (let at = 0; at < padded.length; at += rate) {
    for (let i = 0; i < rate; i++) state[i] ^= padded[at + i];
    keccakF1600Bytes(state);
  }
  const out = new Uint8Array(outLength);
  for (let at = 0; ;) {
    const take = Math.min(rate, outLength - at);
    out.set(state.subarray(0, take), at);
    at += take;
    if (at === outLength) return out;
    keccakF1600Bytes(state);
  }
}

describe('Keccak-f[1600]', () => {
  it('SHA3-256 of the empty string (FIPS 202 example)', () => {
    assert.equal(
      toHex(sponge(136, 0x06, new Uint8Array(0), 32)),
      'a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a',
    );
  });

  it('SHA3-256 and SHAKE128 equal node:crypto on random messages (multi-block too)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.integer({ min: 1, max: 400 }), (m, n) => {
        assert.equal(toHex(sponge(136, 0x06, m, 32)), createHash('sha3-256').update(m).digest('hex'));
        assert.equal(
          toHex(sponge(168, 0x1f, m, n)),
          createHash('shake128', { outputLength: n }).update(m).digest('hex'),
        );
      }),
      { numRuns: 200 },
    );
  });

  it('iterations = 2 equals applying the permutation twice', () => {
    const a = new Uint8Array(200).map((_, i) => i);
    const b = Uint8Array.from(a);
    keccakF1600Bytes(a, 2);
    keccakF1600Bytes(b);
    keccakF1600Bytes(b);
    assert.equal(toHex(a), toHex(b));
  });
});
