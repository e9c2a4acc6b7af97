import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../src/bytes/index.js';
import { CryptoError, keyCheckValue } from '../../src/crypto/index.js';

// Expected values computed with OpenSSL while writing this test:
//   printf '\x01%.0s' $(seq 16) | openssl enc -aes-128-cbc -K <key> -iv 00..00 -nopad | xxd -p | cut -c1-6
describe('key check value (DESIGN.md 4.5)', () => {
  const known: [string, string][] = [
    ['2b7e151628aed2a6abf7158809cf4f3c', '2cf6a4'],
    ['000102030405060708090a0b0c0d0e0f', 'c35280'],
    ['603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4', 'b3738b'], // AES-256
  ];
  for (const [key, kcv] of known) {
    it(`KCV(${key.length * 4}-bit key ${key.slice(0, 8)}...) = ${kcv}`, () => {
      assert.equal(toHex(keyCheckValue(fromHex(key))), kcv);
    });
  }

  it('is 3 bytes and differs between keys', () => {
    const a = keyCheckValue(new Uint8Array(16));
    const b = keyCheckValue(new Uint8Array(16).fill(1));
    assert.equal(a.length, 3);
    assert.notDeepEqual(a, b);
  });

  it('rejects keys that are not 16 or 32 bytes (no AES-192 keys in ltku), without echoing the key', () => {
    for (const n of [0, 15, 24, 33]) {
      assert.throws(
        () => keyCheckValue(new Uint8Array(n).fill(0xab)),
        (e: unknown) => e instanceof CryptoError && !/abab/i.test(e.message),
      );
    }
  });
});
