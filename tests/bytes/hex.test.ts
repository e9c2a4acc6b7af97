import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BytesError, fromHex, toHex } from '../../src/bytes/index.js';

describe('hex', () => {
  it('toHex writes lowercase, two digits per byte', () => {
    assert.equal(toHex(Uint8Array.of(0x00, 0x0a, 0xab, 0xff)), '000aabff');
    assert.equal(toHex(new Uint8Array(0)), '');
  });

  it('fromHex reads either case, and spaces or colons between bytes', () => {
    assert.deepEqual(fromHex('00aAbBfF'), Uint8Array.of(0x00, 0xaa, 0xbb, 0xff));
    assert.deepEqual(fromHex('DE AD:be\nef'), Uint8Array.of(0xde, 0xad, 0xbe, 0xef));
    assert.deepEqual(fromHex(''), new Uint8Array(0));
  });

  it('errors name the label, say what is wrong, and never echo the input', () => {
    const secret = '000102030405060708090a0b0c0d0eZZ';
    assert.throws(
      () => fromHex(secret, 'K'),
      (e: unknown) =>
        e instanceof BytesError &&
        /^K: not a hex digit at position 30$/.test(e.message) &&
        !e.message.includes('0a0b'),
    );
    assert.throws(() => fromHex('abc', 'OPc'), /^BytesError: OPc: odd number of hex digits \(3\)$/);
    assert.throws(() => fromHex('0g', 'RAND'), /RAND: not a hex digit at position 1/);
    assert.throws(() => fromHex('0x00', 'AMF'), /AMF/);
  });

  it('length checks name the label and the allowed lengths', () => {
    assert.deepEqual(fromHex('0011', 'AMF', 2), Uint8Array.of(0, 0x11));
    assert.throws(() => fromHex('00', 'AMF', 2), /^BytesError: AMF: expected 2 bytes, got 1$/);
    assert.throws(() => fromHex('00'.repeat(20), 'K', 16, 32), /K: expected 16 or 32 bytes, got 20/);
  });

  it('property: fromHex(toHex(x)) = x, in either case', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const hex = toHex(bytes);
        assert.match(hex, /^[0-9a-f]*$/);
        assert.deepEqual(fromHex(hex), bytes);
        assert.deepEqual(fromHex(hex.toUpperCase()), bytes);
      }),
    );
  });

  it('property: any string either parses or throws BytesError', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (s) => {
        try {
          fromHex(s);
        } catch (e) {
          assert.ok(e instanceof BytesError);
        }
      }),
    );
  });
});
