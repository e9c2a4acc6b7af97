import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { equalBytes } from '../../src/bytes/index.js';
import { constantTimeEqual } from '../../src/crypto/index.js';

describe('constantTimeEqual', () => {
  it('examples', () => {
    assert.equal(constantTimeEqual(new Uint8Array(0), new Uint8Array(0)), true);
    assert.equal(constantTimeEqual(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 3)), true);
    assert.equal(constantTimeEqual(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 4)), false);
    assert.equal(constantTimeEqual(Uint8Array.of(0x80), Uint8Array.of(0x00)), false);
  });

  it('false for different lengths, never throws', () => {
    assert.equal(constantTimeEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 3)), false);
    assert.equal(constantTimeEqual(new Uint8Array(8), new Uint8Array(0)), false);
    assert.equal(constantTimeEqual(undefined as unknown as Uint8Array, new Uint8Array(0)), false);
  });

  it('compares the bytes of views, not their buffers', () => {
    const big = Uint8Array.of(9, 1, 2, 3, 9);
    assert.equal(constantTimeEqual(big.subarray(1, 4), Uint8Array.of(1, 2, 3)), true);
  });

  it('property: agrees with plain equality', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20 }), fc.uint8Array({ maxLength: 20 }), (a, b) => {
        assert.equal(constantTimeEqual(a, b), equalBytes(a, b));
        assert.equal(constantTimeEqual(a, Uint8Array.from(a)), true);
      }),
    );
  });
});
