// AUTN/AUTS properties over both algorithms: what the network builds, the USIM accepts, and tampering is caught.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  AkaError,
  buildAuts,
  generateVector,
  milenage,
  resolveAuts,
  SQN_MAX,
  tuak,
  verifyAutn,
  type AkaFunctions,
} from '../../src/aka/index.js';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const sqnArb = fc.bigInt({ min: 0n, max: SQN_MAX });

const algorithms: Record<string, fc.Arbitrary<AkaFunctions>> = {
  milenage: fc.tuple(bytes(16), bytes(16)).map(([k, opc]) => milenage(k, opc)),
  tuak: fc
    .tuple(
      fc.oneof(bytes(16), bytes(32)),
      bytes(32),
      fc.constantFrom(8, 16, 32),
      fc.constantFrom(4, 8, 16, 32),
      fc.integer({ min: 1, max: 3 }),
    )
    .map(([k, topc, macLength, resLength, keccakIterations]) =>
      tuak(k, topc, { macLength: macLength as 8, resLength: resLength as 8, keccakIterations }),
    ),
};

for (const [name, fns] of Object.entries(algorithms)) {
  describe(`AUTN and AUTS (${name})`, () => {
    it('verifyAutn accepts a generated vector and recovers SQN, AMF, RES, CK, IK', () => {
      fc.assert(
        fc.property(fns, bytes(16), sqnArb, bytes(2), (f, rand, sqn, amf) => {
          const v = generateVector(f, rand, sqn, amf);
          const check = verifyAutn(f, rand, v.autn);
          assert.equal(check.macOk, true);
          assert.equal(check.sqn, sqn);
          assert.deepEqual(check.amf, amf);
          assert.deepEqual(check.res, v.xres);
          assert.deepEqual(check.ck, v.ck);
          assert.deepEqual(check.ik, v.ik);
        }),
        { numRuns: 60 },
      );
    });

    it('verifyAutn reports a MAC failure for any flipped bit of AUTN or RAND', () => {
      fc.assert(
        fc.property(fns, bytes(16), sqnArb, bytes(2), fc.nat(), (f, rand, sqn, amf, bit) => {
          const v = generateVector(f, rand, sqn, amf);
          const total = (v.autn.length + 16) * 8;
          const b = bit % total;
          const autn = Uint8Array.from(v.autn);
          const rand2 = Uint8Array.from(rand);
          if (b < autn.length * 8) autn[b >> 3] ^= 1 << (b & 7);
          else rand2[(b >> 3) - autn.length] ^= 1 << (b & 7);
          assert.equal(verifyAutn(f, rand2, autn).macOk, false);
        }),
        { numRuns: 60 },
      );
    });

    it('resolveAuts(buildAuts(SQN_MS)) = SQN_MS with MAC-S ok; another RAND fails', () => {
      fc.assert(
        fc.property(fns, bytes(16), bytes(16), sqnArb, (f, rand, otherRand, sqnMs) => {
          const auts = buildAuts(f, rand, sqnMs);
          assert.equal(auts.length, 6 + f.macLength);
          assert.deepEqual(resolveAuts(f, rand, auts), { sqnMs, macOk: true });
          fc.pre(otherRand.some((x, i) => x !== rand[i]));
          assert.equal(resolveAuts(f, otherRand, auts).macOk, false);
        }),
        { numRuns: 60 },
      );
    });
  });
}

describe('AUTN and AUTS input checks', () => {
  const f = milenage(new Uint8Array(16), new Uint8Array(16));
  const rand = new Uint8Array(16);
  it('names the bad field', () => {
    assert.throws(() => generateVector(f, rand, -1n, new Uint8Array(2)), AkaError);
    assert.throws(() => generateVector(f, rand, SQN_MAX + 1n, new Uint8Array(2)), /SQN: not a 48-bit value/);
    assert.throws(() => generateVector(f, rand, 1n, new Uint8Array(3)), /AMF: expected 2 bytes/);
    assert.throws(() => verifyAutn(f, rand, new Uint8Array(15)), /AUTN: expected 16 bytes/);
    assert.throws(() => resolveAuts(f, rand, new Uint8Array(16)), /AUTS: expected 14 bytes/);
    assert.throws(() => buildAuts(f, rand, 1n << 48n), /SQN_MS/);
  });
});
