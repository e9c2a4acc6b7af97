import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromHex, tlv, concatBytes } from '../../src/bytes/index.js';
import { sha256 } from '../../src/crypto/index.js';
import {
  ALGORITHM_MILENAGE,
  ALGORITHM_TUAK,
  decodeKeyStatus,
  decodeKeyStatusRequest,
  decodeKeyUpdateRequest,
  decodeKeyUpdateResult,
  describeOutcome,
  encodeKeyStatus,
  encodeKeyStatusRequest,
  encodeKeyUpdateRequest,
  encodeKeyUpdateResult,
  KeyUpdateFormatError,
  negotiationDigest,
  OUTCOME_CHECK_VALUE_MISMATCH,
  OUTCOME_UNKNOWN_PROFILE,
  type KeyUpdateRequest,
} from '../../src/gp/key-update/index.js';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

const milenageRequest: KeyUpdateRequest = {
  transactionId: new Uint8Array(16).fill(0x11),
  iccid: fromHex('98103254761032547698'),
  algorithm: ALGORITHM_MILENAGE,
  keyVersion: 2,
  wrappedK: new Uint8Array(16).fill(0xaa),
  wrappedOpc: new Uint8Array(16).fill(0xbb),
  checkValues: fromHex('010203040506'),
  negotiationDigest: new Uint8Array(32).fill(0x33),
};

/** A BF70 built by hand from (tag, value) pairs, to place malformations precisely. */
function bf70(fields: [number, Uint8Array][]): Uint8Array {
  return tlv(0xbf70, ...fields.map(([t, v]) => tlv(t, v)));
}
const baseFields = (): [number, Uint8Array][] => [
  [0x80, milenageRequest.transactionId],
  [0x5a, milenageRequest.iccid],
  [0x81, Uint8Array.of(1)],
  [0x82, Uint8Array.of(2)],
  [0x83, milenageRequest.wrappedK],
  [0x84, milenageRequest.wrappedOpc],
  [0x85, milenageRequest.checkValues],
  [0x86, milenageRequest.negotiationDigest],
];

describe('BF70 ProfileKeyUpdateRequest', () => {
  it('encodes the exact DESIGN.md 4.5 layout', () => {
    const encoded = encodeKeyUpdateRequest(milenageRequest);
    assert.deepEqual(encoded, bf70(baseFields()));
    assert.deepEqual(decodeKeyUpdateRequest(encoded), milenageRequest);
  });

  it('round-trips Milenage and TUAK requests with any parameters', () => {
    const milenage = fc.record({
      transactionId: bytes(16),
      iccid: bytes(10),
      algorithm: fc.constant(ALGORITHM_MILENAGE),
      keyVersion: fc.integer({ min: 0, max: 255 }),
      wrappedK: bytes(16),
      wrappedOpc: bytes(16),
      checkValues: bytes(6),
      negotiationDigest: bytes(32),
      parameters: fc.option(
        fc.record(
          {
            kind: fc.constant('milenage' as const),
            r: fc.array(fc.integer({ min: 0, max: 127 }), { minLength: 5, maxLength: 5 }),
            c: fc.array(bytes(16), { minLength: 5, maxLength: 5 }),
          },
          { requiredKeys: ['kind'] },
        ),
        { nil: undefined },
      ),
    });
    const tuak = fc.record({
      transactionId: bytes(16),
      iccid: bytes(10),
      algorithm: fc.constant(ALGORITHM_TUAK),
      keyVersion: fc.integer({ min: 0, max: 255 }),
      wrappedK: fc.oneof(bytes(16), bytes(32)),
      wrappedOpc: bytes(32),
      checkValues: bytes(6),
      negotiationDigest: bytes(32),
      parameters: fc.option(
        fc.record(
          {
            kind: fc.constant('tuak' as const),
            keccakIterations: fc.integer({ min: 1, max: 255 }),
            macLength: fc.constantFrom(8, 16, 32),
            resLength: fc.constantFrom(4, 8, 16, 32),
            ckLength: fc.constantFrom(16, 32),
            ikLength: fc.constantFrom(16, 32),
          },
          { requiredKeys: ['kind'] },
        ),
        { nil: undefined },
      ),
    });
    fc.assert(
      fc.property(fc.oneof(milenage, tuak), (req) => {
        const clean = JSON.parse(
          JSON.stringify(req, (_k, v) => (v instanceof Uint8Array ? Array.from(v) : v)),
        );
        const back = decodeKeyUpdateRequest(encodeKeyUpdateRequest(req as KeyUpdateRequest));
        const backClean = JSON.parse(
          JSON.stringify(back, (_k, v) => (v instanceof Uint8Array ? Array.from(v) : v)),
        );
        assert.deepEqual(backClean, clean);
      }),
      { numRuns: 200 },
    );
  });

  it('ignores tag order', () => {
    const fields = baseFields().reverse();
    assert.deepEqual(decodeKeyUpdateRequest(bf70(fields)), milenageRequest);
  });

  it('keeps A6 of an unknown algorithm as received', () => {
    const fields = baseFields();
    fields[2] = [0x81, Uint8Array.of(0x07)];
    fields.push([0xa6, tlv(0x99, Uint8Array.of(1))]);
    const r = decodeKeyUpdateRequest(bf70(fields));
    assert.equal(r.algorithm, 7);
    assert.deepEqual(r.parameters, { kind: 'other', value: tlv(0x99, Uint8Array.of(1)) });
  });

  const malformed: [string, (f: [number, Uint8Array][]) => Uint8Array][] = [
    ['a mandatory tag missing (86)', (f) => bf70(f.filter(([t]) => t !== 0x86))],
    ['a mandatory tag missing (80)', (f) => bf70(f.filter(([t]) => t !== 0x80))],
    ['an unknown tag', (f) => bf70([...f, [0x87, Uint8Array.of(0)]])],
    ['a repeated tag', (f) => bf70([...f, [0x82, Uint8Array.of(3)]])],
    ['Milenage K of 32 bytes', (f) => bf70(f.map(([t, v]) => [t, t === 0x83 ? new Uint8Array(32) : v]))],
    ['TUAK TOPc of 16 bytes', (f) => bf70(f.map(([t, v]) => [t, t === 0x81 ? Uint8Array.of(2) : v]))],
    [
      'a transaction id of 15 bytes',
      (f) => bf70(f.map(([t, v]) => [t, t === 0x80 ? new Uint8Array(15) : v])),
    ],
    ['check values of 3 bytes', (f) => bf70(f.map(([t, v]) => [t, t === 0x85 ? new Uint8Array(3) : v]))],
    ['TUAK tags in Milenage parameters', (f) => bf70([...f, [0xa6, tlv(0x82, Uint8Array.of(1))]])],
    ['a Milenage rotation of 128', (f) => bf70([...f, [0xa6, tlv(0x80, Uint8Array.of(64, 0, 32, 64, 128))]])],
    ['Milenage c of 79 bytes', (f) => bf70([...f, [0xa6, tlv(0x81, new Uint8Array(79))]])],
    [
      'TUAK MAC length 4',
      (f) =>
        bf70([
          ...f.map(([t, v]): [number, Uint8Array] => [
            t,
            t === 0x81 ? Uint8Array.of(2) : t === 0x84 ? new Uint8Array(32) : v,
          ]),
          [0xa6, tlv(0x83, Uint8Array.of(4))],
        ]),
    ],
    [
      'TUAK 0 Keccak iterations',
      (f) =>
        bf70([
          ...f.map(([t, v]): [number, Uint8Array] => [
            t,
            t === 0x81 ? Uint8Array.of(2) : t === 0x84 ? new Uint8Array(32) : v,
          ]),
          [0xa6, tlv(0x82, Uint8Array.of(0))],
        ]),
    ],
    ['a truncated TLV', (f) => bf70(f).subarray(0, 20)],
    ['trailing bytes', (f) => concatBytes(bf70(f), Uint8Array.of(0))],
    ['another outer tag', (f) => tlv(0xbf72, ...f.map(([t, v]) => tlv(t, v)))],
    ['an empty buffer', () => new Uint8Array(0)],
  ];
  for (const [name, build] of malformed) {
    it(`refuses ${name}`, () => {
      assert.throws(() => decodeKeyUpdateRequest(build(baseFields())), KeyUpdateFormatError);
    });
  }

  it('never throws anything but KeyUpdateFormatError on random input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (data) => {
        try {
          decodeKeyUpdateRequest(concatBytes(fromHex('BF70'), Uint8Array.of(data.length & 0x7f), data));
        } catch (e) {
          assert.ok(e instanceof KeyUpdateFormatError, String(e));
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('BF71 / BF72 / BF73', () => {
  it('round-trips a result and requires version and check values unless outcome 01', () => {
    const r = {
      transactionId: new Uint8Array(16).fill(1),
      iccid: new Uint8Array(10).fill(2),
      outcome: OUTCOME_CHECK_VALUE_MISMATCH,
      keyVersion: 1,
      checkValues: fromHex('aabbccddeeff'),
    };
    assert.deepEqual(decodeKeyUpdateResult(encodeKeyUpdateResult(r)), r);
    const unknown = { transactionId: r.transactionId, iccid: r.iccid, outcome: OUTCOME_UNKNOWN_PROFILE };
    assert.deepEqual(decodeKeyUpdateResult(encodeKeyUpdateResult(unknown)), unknown);
    assert.throws(
      () => decodeKeyUpdateResult(encodeKeyUpdateResult({ ...unknown, outcome: 0 })),
      KeyUpdateFormatError,
    );
    assert.equal(describeOutcome(6), '06 (negotiation mismatch)');
  });

  it('round-trips status request and status', () => {
    const iccid = fromHex('98103254761032547698');
    assert.deepEqual(encodeKeyStatusRequest(iccid), fromHex('BF720C5A0A98103254761032547698'));
    assert.deepEqual(decodeKeyStatusRequest(encodeKeyStatusRequest(iccid)), iccid);
    const s = { iccid, keyVersion: 3, checkValues: fromHex('010203040506') };
    assert.deepEqual(decodeKeyStatus(encodeKeyStatus(s)), s);
    const s2 = { ...s, lastTransactionId: new Uint8Array(16).fill(9) };
    assert.deepEqual(decodeKeyStatus(encodeKeyStatus(s2)), s2);
    assert.throws(() => decodeKeyStatusRequest(fromHex('BF72035A0101')), KeyUpdateFormatError);
  });
});

describe('negotiation digest', () => {
  it('is SHA-256 over the two values', () => {
    const e0 = fromHex('C0061101B120F000');
    const bf30 = fromHex('800100');
    assert.deepEqual(negotiationDigest(e0, bf30), sha256(concatBytes(e0, bf30)));
    assert.notDeepEqual(negotiationDigest(e0, bf30), negotiationDigest(bf30, e0));
  });
});
