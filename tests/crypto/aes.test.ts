import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromHex, toHex } from '../../src/bytes/index.js';
import {
  AesCbcDecryptor,
  AesCbcEncryptor,
  AesEcb,
  CryptoError,
  aesCbcDecrypt,
  aesCbcEncrypt,
  aesEcbDecrypt,
  aesEcbEncrypt,
} from '../../src/crypto/index.js';
import { loadVectors } from '../helpers/vectors.js';

interface EcbCase {
  name: string;
  key: string;
  plaintext: string;
  ciphertext: string;
}
interface CbcCase extends EcbCase {
  iv: string;
}
const vectors = loadVectors<{ ecb: EcbCase[]; cbc: CbcCase[] }>('aes');

describe('AES-ECB known answers (tests/vectors/aes.json ecb)', () => {
  assert.ok(vectors.ecb.length > 0);
  for (const v of vectors.ecb) {
    it(v.name, () => {
      const key = fromHex(v.key);
      assert.equal(toHex(aesEcbEncrypt(key, fromHex(v.plaintext))), v.ciphertext);
      assert.equal(toHex(aesEcbDecrypt(key, fromHex(v.ciphertext))), v.plaintext);
      assert.equal(toHex(new AesEcb(key).encryptBlocks(fromHex(v.plaintext))), v.ciphertext);
    });
  }
});

describe('AES-CBC known answers (tests/vectors/aes.json cbc)', () => {
  assert.ok(vectors.cbc.length > 0);
  for (const v of vectors.cbc) {
    it(v.name, () => {
      const key = fromHex(v.key);
      const iv = fromHex(v.iv);
      assert.equal(toHex(aesCbcEncrypt(key, iv, fromHex(v.plaintext))), v.ciphertext);
      assert.equal(toHex(aesCbcDecrypt(key, iv, fromHex(v.ciphertext))), v.plaintext);
      assert.equal(toHex(new AesCbcEncryptor(key).encrypt(iv, fromHex(v.plaintext))), v.ciphertext);
      assert.equal(toHex(new AesCbcDecryptor(key).decrypt(iv, fromHex(v.ciphertext))), v.plaintext);
    });
  }
});

describe('AES parameter checks', () => {
  it('rejects keys that are not 16, 24 or 32 bytes', () => {
    for (const n of [0, 8, 15, 17, 31, 33, 64]) {
      assert.throws(() => aesEcbEncrypt(new Uint8Array(n), new Uint8Array(16)), CryptoError);
      assert.throws(() => new AesEcb(new Uint8Array(n)), CryptoError);
    }
  });

  it('rejects data that is not whole blocks, naming the length', () => {
    const key = new Uint8Array(16);
    assert.throws(() => aesEcbEncrypt(key, new Uint8Array(15)), /15 is not a multiple of 16/);
    assert.throws(() => aesCbcDecrypt(key, new Uint8Array(16), new Uint8Array(17)), CryptoError);
    assert.throws(() => new AesEcb(key).encryptBlocks(new Uint8Array(1)), CryptoError);
  });

  it('rejects an IV that is not 16 bytes', () => {
    assert.throws(() => aesCbcEncrypt(new Uint8Array(16), new Uint8Array(8), new Uint8Array(16)), /IV/);
  });

  it('AesEcb keeps no chaining state between calls', () => {
    const e = new AesEcb(fromHex('000102030405060708090a0b0c0d0e0f'));
    const block = fromHex('00112233445566778899aabbccddeeff');
    assert.deepEqual(e.encryptBlocks(block), e.encryptBlocks(block));
  });

  it('property: decrypt(encrypt(x)) = x for ECB and CBC, every key length', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(16, 24, 32),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.integer({ min: 0, max: 6 }),
        (keyLength, keyBytes, iv, blocks) => {
          const key = keyBytes.subarray(0, keyLength);
          const data = new Uint8Array(blocks * 16).map((_, i) => (i * 7 + keyBytes[0]) & 0xff);
          assert.deepEqual(aesEcbDecrypt(key, aesEcbEncrypt(key, data)), data);
          assert.deepEqual(aesCbcDecrypt(key, iv, aesCbcEncrypt(key, iv, data)), data);
          assert.deepEqual(new AesEcb(key).encryptBlocks(data), aesEcbEncrypt(key, data));
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('AES-CBC with one context for many messages (AesCbcEncryptor, AesCbcDecryptor)', () => {
  it('property: every call is plain CBC with its own IV, whatever came before', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(16, 24, 32),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.array(
          fc.record({
            iv: fc.uint8Array({ minLength: 16, maxLength: 16 }),
            blocks: fc.integer({ min: 0, max: 5 }),
            seed: fc.integer({ min: 0, max: 255 }),
          }),
          { minLength: 1, maxLength: 6 },
        ),
        (keyLength, keyBytes, messages) => {
          const key = keyBytes.subarray(0, keyLength);
          const encryptor = new AesCbcEncryptor(key);
          const decryptor = new AesCbcDecryptor(key);
          for (const { iv, blocks, seed } of messages) {
            const data = new Uint8Array(blocks * 16).map((_, i) => (i * 13 + seed) & 0xff);
            const copy = Uint8Array.from(data);
            const expected = aesCbcEncrypt(key, iv, data);
            assert.deepEqual(encryptor.encrypt(iv, data), expected);
            assert.deepEqual(data, copy, 'the input is left as it was');
            assert.deepEqual(decryptor.decrypt(iv, expected), data);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('checks its arguments like the one-shot functions and refuses use after dispose()', () => {
    const key = new Uint8Array(16);
    assert.throws(() => new AesCbcEncryptor(new Uint8Array(15)), CryptoError);
    assert.throws(() => new AesCbcDecryptor(new Uint8Array(15)), CryptoError);
    const encryptor = new AesCbcEncryptor(key);
    const decryptor = new AesCbcDecryptor(key);
    assert.throws(() => encryptor.encrypt(new Uint8Array(16), new Uint8Array(17)), /17 is not a multiple/);
    assert.throws(() => decryptor.decrypt(new Uint8Array(8), new Uint8Array(16)), /IV/);
    encryptor.dispose();
    decryptor.dispose();
    assert.throws(() => encryptor.encrypt(new Uint8Array(16), new Uint8Array(16)), /disposed/);
    assert.throws(() => decryptor.decrypt(new Uint8Array(16), new Uint8Array(16)), /disposed/);
  });
});
