import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  BytesError,
  decodeBcd,
  decodeSwappedBcd,
  encodeBcd,
  encodeSwappedBcd,
  toHex,
  fromHex,
} from '../../src/bytes/index.js';

describe('swapped-nibble BCD (EF.ICCID TS 31.102 4.2.2, IMSI digits TS 24.008 10.5.1.4)', () => {
  const examples: [string, string][] = [
    ['89860318640220133897', '98683081462002318379'], // 20-digit ICCID
    ['8949440000001155314', '989444000000115513f4'], // 19-digit ICCID, F filler
    ['001010000000001', '0001010000000 0f1'.replace(' ', '')], // IMSI of the test PLMN 001-01
    ['208930000000001', '0298030000000 0f1'.replace(' ', '')],
    ['', ''],
  ];
  for (const [digits, hex] of examples) {
    it(`${digits || '(empty)'} <-> ${hex || '(empty)'}`, () => {
      assert.equal(toHex(encodeSwappedBcd(digits)), hex);
      assert.equal(decodeSwappedBcd(fromHex(hex)), digits);
    });
  }

  it('pads to a fixed byte length with F', () => {
    assert.equal(toHex(encodeSwappedBcd('123', 'x', 3)), '21f3ff');
    assert.equal(decodeSwappedBcd(fromHex('21f3ff')), '123');
    assert.equal(toHex(encodeSwappedBcd('8949440000001155314', 'ICCID', 10)), '989444000000115513f4');
  });

  it('errors name the label', () => {
    assert.throws(
      () => encodeSwappedBcd('12a4', 'ICCID'),
      /^BytesError: ICCID: only decimal digits allowed$/,
    );
    assert.throws(() => encodeSwappedBcd('12345', 'ICCID', 2), /ICCID: 5 digits do not fit in 2 bytes/);
    assert.throws(
      () => decodeSwappedBcd(fromHex('1a'), 'ICCID'),
      /ICCID: nibble a is not a digit at nibble 0/,
    );
    assert.throws(() => decodeSwappedBcd(fromHex('1f'), 'IMSI'), /IMSI: digit after filler at nibble 1/);
    assert.throws(() => decodeSwappedBcd(fromHex('21f3f4'), 'IMSI'), BytesError);
  });

  it('property: decode(encode(digits)) = digits', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{0,22}$/), fc.integer({ min: 0, max: 3 }), (digits, extra) => {
        const bytes = encodeSwappedBcd(digits, 'd', Math.ceil(digits.length / 2) + extra);
        assert.equal(decodeSwappedBcd(bytes), digits);
      }),
    );
  });
});

describe('reading-order BCD (SGP.22 EID in 5F20, GP certificate dates)', () => {
  it('examples', () => {
    assert.equal(toHex(encodeBcd('20261128')), '20261128');
    assert.equal(decodeBcd(fromHex('20261128')), '20261128');
    const eid = '89049032123451234512345678901235';
    assert.equal(toHex(encodeBcd(eid, 'EID')), eid);
    assert.equal(encodeBcd(eid).length, 16);
    assert.equal(decodeBcd(new Uint8Array(0)), '');
  });

  it('errors name the label', () => {
    assert.throws(() => encodeBcd('123', 'EID'), /^BytesError: EID: odd number of digits$/);
    assert.throws(() => encodeBcd('12ab', 'date'), /date: only decimal digits/);
    assert.throws(() => decodeBcd(fromHex('201a'), 'date'), /date: byte 1 is not two BCD digits/);
    assert.throws(() => decodeBcd(fromHex('f0'), 'date'), BytesError);
  });

  it('property: decode(encode(digits)) = digits', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^([0-9]{2}){0,16}$/), (digits) => {
        assert.equal(decodeBcd(encodeBcd(digits)), digits);
      }),
    );
  });
});
