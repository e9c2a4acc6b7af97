// The table-driven AES-128 of Milenage's hot path against FIPS 197 and node:crypto (OpenSSL).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import fc from 'fast-check';
import { fromHex, toHex } from '../../src/bytes/index.js';
import { aes128EncryptBlock, expandKey128 } from '../../src/aka/aes128.js';

describe('AES-128 (tables)', () => {
  it('FIPS 197 C.1', () => {
    const rk = expandKey128(fromHex('000102030405060708090a0b0c0d0e0f'));
    assert.equal(
      toHex(aes128EncryptBlock(rk, fromHex('00112233445566778899aabbccddeeff'))),
      '69c4e0d86a7b0430d8cdb78070b4c55a',
    );
  });

  it('equals node:crypto aes-128-ecb on random keys and blocks', () => {
    const bytes16 = fc.uint8Array({ minLength: 16, maxLength: 16 });
    fc.assert(
      fc.property(bytes16, bytes16, (key, block) => {
        const want = createCipheriv('aes-128-ecb', key, null).setAutoPadding(false).update(block);
        assert.equal(toHex(aes128EncryptBlock(expandKey128(key), block)), want.toString('hex'));
      }),
      { numRuns: 1000 },
    );
  });

  it('rejects other key and block lengths', () => {
    assert.throws(() => expandKey128(new Uint8Array(32)), /AES-128 key: expected 16 bytes/);
    assert.throws(() => aes128EncryptBlock(expandKey128(new Uint8Array(16)), new Uint8Array(8)), /AES block/);
  });
});
