import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fromHex, toHex } from '../../src/bytes/index.js';
import {
  CertificateError,
  decodeDer,
  derChildren,
  derNamedBits,
  derOid,
  derSequence,
  derTime,
  derUnsignedInteger,
  readBitString,
  readOid,
  readTime,
  readUnsignedInteger,
} from '../../src/pki/index.js';

describe('DER reader and writer (X.690)', () => {
  it('encodes known values', () => {
    assert.equal(toHex(derOid('1.2.840.10045.4.3.2')), '06082a8648ce3d040302');
    assert.equal(toHex(derOid('2.5.29.15')), '0603551d0f');
    assert.equal(toHex(derUnsignedInteger(fromHex('80'))), '02020080');
    assert.equal(toHex(derUnsignedInteger(fromHex('000001'))), '020101');
    assert.equal(toHex(derNamedBits([4])), '03020308'); // keyAgreement
    assert.equal(toHex(derNamedBits([5, 6])), '03020106'); // keyCertSign, cRLSign
    assert.equal(toHex(derTime(new Date('2049-12-31T23:59:00Z'))), '170d3439313233313233353930305a');
    assert.equal(toHex(derTime(new Date('2050-01-01T00:00:00Z'))), '180f32303530303130313030303030305a');
  });

  it('round-trips OIDs, unsigned integers and times', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 39 }),
        fc.array(fc.nat()),
        (a, b, rest) => {
          const oid = [a, b, ...rest].join('.');
          assert.equal(readOid(decodeDer(derOid(oid)), 'oid'), oid);
        },
      ),
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), (v) => {
        let i = 0;
        while (i < v.length - 1 && v[i] === 0) i++;
        assert.equal(
          toHex(readUnsignedInteger(decodeDer(derUnsignedInteger(v)), 'int')),
          toHex(v.subarray(i)),
        );
      }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(1950, 0, 1) / 1000, max: Date.UTC(9999, 11, 31) / 1000 }),
        (s) => {
          const d = new Date(s * 1000);
          assert.equal(readTime(decodeDer(derTime(d)), 'time').getTime(), d.getTime());
        },
      ),
    );
  });

  it('round-trips nested sequences with long lengths', () => {
    const big = new Uint8Array(70000).fill(7);
    const node = decodeDer(
      derSequence(
        derSequence(derUnsignedInteger(big.subarray(0, 300))),
        derUnsignedInteger(Uint8Array.of(5)),
      ),
    );
    const [inner, five] = derChildren(node, 't');
    assert.equal(readUnsignedInteger(five, 't')[0], 5);
    assert.equal(readUnsignedInteger(derChildren(inner, 't')[0], 't').length, 300);
  });

  const bad: [string, string][] = [
    ['indefinite length', '3080020101 0000'],
    ['non-minimal length', '30810102 0101'.replace(/ /g, '')],
    ['truncated value', '300502010102'],
    ['trailing bytes', '30030201 0100'],
    ['high tag number', '1f8101 00'],
    ['non-minimal integer', '02020001'],
    ['bit string with unused bits set', '030207ff'],
    ['invalid UTCTime', '170d3439313333313233353930305a'],
  ];
  for (const [what, hex] of bad) {
    it(`rejects ${what}`, () => {
      assert.throws(
        () => {
          const n = decodeDer(fromHex(hex.replace(/ /g, '')));
          if (n.tag === 0x30) derChildren(n, 'x');
          if (n.tag === 0x02) readUnsignedInteger(n, 'x');
          if (n.tag === 0x03) readBitString(n, 'x');
          if (n.tag === 0x17) readTime(n, 'x');
        },
        (e: unknown) => e instanceof CertificateError && e.reason === 'malformed',
      );
    });
  }
});
