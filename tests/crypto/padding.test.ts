import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromHex, toHex } from '../../src/bytes/index.js';
import { CryptoError, padIso9797M2, unpadIso9797M2 } from '../../src/crypto/index.js';

describe('ISO/IEC 9797-1 padding method 2', () => {
  it('examples', () => {
    assert.equal(toHex(padIso9797M2(new Uint8Array(0))), '80' + '00'.repeat(15));
    assert.equal(toHex(padIso9797M2(fromHex('0102'))), '010280' + '00'.repeat(13));
    assert.equal(toHex(padIso9797M2(new Uint8Array(15))), '00'.repeat(15) + '80');
    assert.equal(toHex(padIso9797M2(new Uint8Array(16))), '00'.repeat(16) + '80' + '00'.repeat(15));
    assert.equal(toHex(padIso9797M2(fromHex('aa'), 8)), 'aa80' + '00'.repeat(6));
  });

  it('property: whole blocks, always adds 1..blockSize bytes, marker then zeros, and unpads back', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.constantFrom(8, 16), (data, blockSize) => {
        const padded = padIso9797M2(data, blockSize);
        assert.equal(padded.length % blockSize, 0);
        const added = padded.length - data.length;
        assert.ok(added >= 1 && added <= blockSize);
        assert.deepEqual(padded.subarray(0, data.length), data);
        assert.equal(padded[data.length], 0x80);
        assert.ok(padded.subarray(data.length + 1).every((b) => b === 0));
        assert.deepEqual(unpadIso9797M2(padded, blockSize), data);
      }),
    );
  });

  it('rejects malformed padding', () => {
    assert.throws(() => unpadIso9797M2(new Uint8Array(16)), CryptoError); // no marker
    assert.throws(() => unpadIso9797M2(new Uint8Array(0)), CryptoError);
    assert.throws(() => unpadIso9797M2(fromHex('0180')), /not a multiple/); // not whole blocks
    assert.throws(() => unpadIso9797M2(fromHex('01' + '00'.repeat(15))), /0x80/); // wrong marker
    // marker more than one block before the end
    assert.throws(() => unpadIso9797M2(fromHex('80' + '00'.repeat(31))), CryptoError);
  });

  it('property: unpad either returns a prefix whose padding reproduces the input, or throws CryptoError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 48 }), (data) => {
        try {
          const inner = unpadIso9797M2(data);
          assert.deepEqual(padIso9797M2(inner), data);
        } catch (e) {
          assert.ok(e instanceof CryptoError);
        }
      }),
    );
  });
});
