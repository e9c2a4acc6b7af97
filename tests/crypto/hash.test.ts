import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { toHex } from '../../src/bytes/index.js';
import {
  CryptoError,
  P256,
  SeededRandom,
  checkHash,
  ecdsaSign,
  ecdsaVerify,
  generateKeyPair,
  hashOf,
  hmacSha256,
  sha1,
  sha256,
  sha384,
  sha512,
  type HashName,
} from '../../src/crypto/index.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('hashes', () => {
  // FIPS 180-4 examples (NIST CSRC "SHA_All" example values) for the message "abc".
  it('SHA-1/256/384/512 of "abc"', () => {
    const abc = utf8('abc');
    assert.equal(toHex(sha1(abc)), 'a9993e364706816aba3e25717850c26c9cd0d89d');
    assert.equal(toHex(sha256(abc)), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.equal(
      toHex(sha384(abc)),
      'cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7',
    );
    assert.equal(
      toHex(sha512(abc)),
      'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
    );
    assert.deepEqual(hashOf('sha384', abc), sha384(abc));
  });

  it('HMAC-SHA-256, RFC 4231 test case 2', () => {
    assert.equal(
      toHex(hmacSha256(utf8('Jefe'), utf8('what do ya want for nothing?'))),
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });
});

describe('hash names', () => {
  it('unsupported names are refused with CryptoError, also by ECDSA', () => {
    for (const bad of ['md5', 'sha1', 'SHA256', 'toString', '']) {
      assert.throws(() => checkHash(bad), CryptoError);
      assert.throws(() => hashOf(bad as HashName, new Uint8Array(0)), CryptoError);
      const kp = generateKeyPair(P256, new SeededRandom('hash names'));
      assert.throws(
        () => ecdsaSign(P256, kp.privateKey, new Uint8Array(1), { hash: bad as HashName }),
        CryptoError,
      );
      assert.throws(
        () => ecdsaVerify(P256, kp.publicKey, new Uint8Array(1), new Uint8Array(64), bad as HashName),
        CryptoError,
      );
    }
  });
});
