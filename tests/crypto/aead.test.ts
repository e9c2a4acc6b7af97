import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { concatBytes, fromHex, toHex } from '../../src/bytes/index.js';
import { CryptoError, FixedRandom, SeededRandom, aesGcmOpen, aesGcmSeal } from '../../src/crypto/index.js';
import { loadVectors } from '../helpers/vectors.js';

interface GcmCase {
  name: string;
  key: string;
  iv: string;
  aad: string;
  plaintext: string;
  ciphertext: string;
  tag: string;
}
const { gcm } = loadVectors<{ gcm: GcmCase[] }>('aes');

describe('AES-256-GCM seal/open', () => {
  for (const v of gcm) {
    it(`known answer: ${v.name}`, () => {
      const key = fromHex(v.key);
      const sealed = aesGcmSeal(key, fromHex(v.plaintext), fromHex(v.aad), new FixedRandom(fromHex(v.iv)));
      assert.equal(toHex(sealed), v.iv + v.ciphertext + v.tag);
      assert.equal(toHex(aesGcmOpen(key, fromHex(v.iv + v.ciphertext + v.tag), fromHex(v.aad))), v.plaintext);
    });
  }

  const key = new SeededRandom('kek').randomBytes(32);
  const aad = new TextEncoder().encode('subscriber 001010000000001 K');

  it('round trip with fresh nonces: two seals of the same plaintext differ', () => {
    const rng = new SeededRandom('nonces');
    const p = fromHex('000102030405060708090a0b0c0d0e0f');
    const a = aesGcmSeal(key, p, aad, rng);
    const b = aesGcmSeal(key, p, aad, rng);
    assert.equal(a.length, 12 + 16 + 16);
    assert.notDeepEqual(a, b);
    assert.deepEqual(aesGcmOpen(key, a, aad), p);
    assert.deepEqual(aesGcmOpen(key, b, aad), p);
  });

  it('rejects a wrong key, wrong AAD, any flipped bit, and short input with CryptoError', () => {
    const sealed = aesGcmSeal(key, fromHex('00112233'), aad, new SeededRandom(1));
    assert.throws(() => aesGcmOpen(new Uint8Array(32), sealed, aad), CryptoError);
    assert.throws(() => aesGcmOpen(key, sealed, new Uint8Array(0)), /authentication failed/);
    for (let i = 0; i < sealed.length; i++) {
      const bad = Uint8Array.from(sealed);
      bad[i] ^= 0x01;
      assert.throws(() => aesGcmOpen(key, bad, aad), CryptoError, `bit flip at byte ${i}`);
    }
    assert.throws(() => aesGcmOpen(key, sealed.subarray(0, 27), aad), /too short/);
    assert.throws(() => aesGcmOpen(key, concatBytes(sealed, Uint8Array.of(0)), aad), CryptoError);
  });

  it('rejects keys that are not 32 bytes', () => {
    assert.throws(
      () => aesGcmSeal(new Uint8Array(16), new Uint8Array(1), aad, new SeededRandom(1)),
      CryptoError,
    );
    assert.throws(() => aesGcmOpen(new Uint8Array(16), new Uint8Array(40), aad), CryptoError);
  });

  it('property: open(seal(x)) = x', () => {
    const rng = new SeededRandom('prop');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.uint8Array({ maxLength: 20 }), (p, a) => {
        assert.deepEqual(aesGcmOpen(key, aesGcmSeal(key, p, a, rng), a), p);
      }),
      { numRuns: 100 },
    );
  });
});
