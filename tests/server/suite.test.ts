import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BRAINPOOL_P384R1, P256, P384, type Curve } from '../../src/crypto/index.js';
import {
  KID_SCP11A,
  KID_SCP11B,
  scp11KeyInformation,
  caKeyInformation,
  type Capabilities,
} from '../../src/gp/index.js';
import { DEFAULT_POLICY, SessionError, caKlocReference, chooseSuite } from '../../src/server/index.js';

const keySet = (kvn: number, curve: Curve, kid = KID_SCP11A) =>
  scp11KeyInformation(kid, kvn, curve.fieldSize, curve.gpId);
const caps = (c: Partial<Capabilities> = {}): Capabilities => ({
  curveIds: [P256.gpId, P384.gpId, BRAINPOOL_P384R1.gpId],
  aesKeyLengths: [16, 24, 32],
  akaAlgorithms: [1, 2],
  minAesKeyLength: 16,
  scp11Variants: [1],
  ...c,
});
const ALL = DEFAULT_POLICY.curves;
const keys = [
  keySet(1, P256),
  keySet(2, BRAINPOOL_P384R1),
  keySet(3, P384),
  caKeyInformation(0x10, 1, 32, 0),
];

describe('suite negotiation (DESIGN.md 4.4)', () => {
  it('takes the larger field size, NIST before brainpool at equal size, then the longest AES key', () => {
    const s = chooseSuite(keys, caps(), DEFAULT_POLICY, ALL);
    assert.deepEqual([s.kvn, s.curve.name, s.aesKeyLength], [3, 'P-384', 32]);
  });

  it('follows the policy order at equal field size', () => {
    const policy = { ...DEFAULT_POLICY, curves: ['brainpoolP384r1', 'P-384', 'P-256'] as const };
    const s = chooseSuite(keys, caps(), { ...policy, curves: [...policy.curves] }, ALL);
    assert.equal(s.curve.name, 'brainpoolP384r1');
  });

  it('only uses curves the card lists in BF30 80, the server holds OCE keys on, and SCP11a key sets', () => {
    assert.equal(chooseSuite(keys, caps({ curveIds: [P256.gpId] }), DEFAULT_POLICY, ALL).curve.name, 'P-256');
    assert.equal(chooseSuite(keys, caps(), DEFAULT_POLICY, ['P-256']).curve.name, 'P-256');
    assert.throws(
      () => chooseSuite([keySet(1, P384, KID_SCP11B)], caps(), DEFAULT_POLICY, ALL),
      (e: unknown) => e instanceof SessionError && e.failure === 'negotiation',
    );
  });

  it('respects the card minimum AES length and refuses when nothing is left', () => {
    assert.equal(chooseSuite(keys, caps({ aesKeyLengths: [16, 24] }), DEFAULT_POLICY, ALL).aesKeyLength, 24);
    assert.throws(
      () => chooseSuite(keys, caps({ minAesKeyLength: 32 }), { ...DEFAULT_POLICY, aesKeyLengths: [16] }, ALL),
      /no AES key length/,
    );
    assert.throws(() => chooseSuite(keys, caps({ scp11Variants: [0] }), DEFAULT_POLICY, ALL), /SCP11a/);
  });

  it('finds the CA-KLOC reference by the issuer key id of the OCE chain', () => {
    const ids = [
      { keyId: new Uint8Array(20).fill(1), kid: 0x10, kvn: 1 },
      { keyId: new Uint8Array(20).fill(2), kid: 0x10, kvn: 2 },
    ];
    assert.deepEqual(caKlocReference(ids, new Uint8Array(20).fill(2)), { kid: 0x10, kvn: 2 });
    assert.throws(() => caKlocReference(ids, new Uint8Array(20).fill(3)), /CA-KLOC/);
    assert.throws(() => caKlocReference(ids, undefined), /CA-KLOC/);
  });
});
