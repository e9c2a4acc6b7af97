// Milenage against every entry of tests/vectors/milenage.json (TS 35.207/35.208 sets, free5gc and libosmocore
// cases), plus operator constants checked against an independent byte-wise model over node:crypto.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import fc from 'fast-check';
import { fromHex, toHex } from '../../src/bytes/index.js';
import {
  buildAuts,
  c2,
  c3,
  computeOpc,
  generateVector,
  milenage,
  MILENAGE_DEFAULT_CONSTANTS,
  resolveAuts,
  verifyAutn,
  AkaError,
} from '../../src/aka/index.js';
import { loadVectors } from '../helpers/vectors.js';

const h = (s: string) => fromHex(s);
const sqnOf = (s: string) => BigInt('0x' + s);
const vectors = loadVectors('milenage');

describe('Milenage TS 35.207/35.208 test sets (every entry)', () => {
  const knownKeys = new Set([
    ...['test_set', 'source_spec', 'K', 'RAND', 'SQN', 'AMF', 'OP', 'OPc'],
    ...['f1', 'f1star', 'f2', 'f3', 'f4', 'f5', 'f5star', 'derived'],
  ]);
  const knownDerived = new Set(['AUTN', 'osmo_auc_gen_SRES', 'osmo_auc_gen_Kc', 'resync_example']);
  for (const t of vectors.test_sets) {
    it(`test set ${t.test_set}`, () => {
      for (const key of Object.keys(t))
        assert.ok(knownKeys.has(key), `unknown field ${key}: extend this test`);
      const k = h(t.K);
      const rand = h(t.RAND);
      const sqn = h(t.SQN);
      const amf = h(t.AMF);
      assert.equal(toHex(computeOpc(k, h(t.OP))), t.OPc);
      const f = milenage(k, h(t.OPc));
      assert.equal(toHex(f.f1(rand, sqn, amf)), t.f1);
      assert.equal(toHex(f.f1star(rand, sqn, amf)), t.f1star);
      const out = f.f2345(rand);
      assert.equal(toHex(out.res), t.f2);
      assert.equal(toHex(out.ck), t.f3);
      assert.equal(toHex(out.ik), t.f4);
      assert.equal(toHex(out.ak), t.f5);
      assert.equal(toHex(f.f5star(rand)), t.f5star);

      const d = t.derived ?? {};
      for (const key of Object.keys(d)) assert.ok(knownDerived.has(key), `unknown derived field ${key}`);
      if (d.AUTN !== undefined) {
        const v = generateVector(f, rand, sqnOf(t.SQN), amf);
        assert.equal(toHex(v.autn), d.AUTN);
        const check = verifyAutn(f, rand, h(d.AUTN));
        assert.equal(check.macOk, true);
        assert.equal(check.sqn, sqnOf(t.SQN));
        assert.equal(toHex(check.amf), t.AMF);
      }
      if (d.osmo_auc_gen_SRES !== undefined) assert.equal(toHex(c2(out.res)), d.osmo_auc_gen_SRES);
      if (d.osmo_auc_gen_Kc !== undefined) assert.equal(toHex(c3(out.ck, out.ik)), d.osmo_auc_gen_Kc);
      const rs = d.resync_example;
      if (rs !== undefined) {
        assert.equal(rs.AMF_for_MAC_S, '0000');
        assert.equal(toHex(f.f1star(rand, h(rs.SQN_MS), h(rs.AMF_for_MAC_S))), rs.MAC_S);
        assert.equal(toHex(buildAuts(f, rand, sqnOf(rs.SQN_MS))), rs.AUTS);
        assert.deepEqual(resolveAuts(f, rand, h(rs.AUTS)), { sqnMs: sqnOf(rs.SQN_MS), macOk: true });
      }
    });
  }
});

describe('Milenage OP -> OPc (every opc_only entry)', () => {
  for (const t of vectors.opc_only) {
    it(t.name, () => assert.equal(toHex(computeOpc(h(t.K), h(t.OP))), t.OPc));
  }
});

describe('Milenage AUTS resolution (every auts_cases entry)', () => {
  for (const t of vectors.auts_cases) {
    it(t.name, () => {
      const f = milenage(h(t.K), h(t.OPc));
      const rand = h(t.RAND);
      const result = resolveAuts(f, rand, h(t.AUTS));
      assert.ok(['valid', 'mac_failure'].includes(t.expect), `unknown expectation ${t.expect}`);
      assert.equal(result.macOk, t.expect === 'valid');
      if (t.expected_SQN_MS !== undefined) assert.equal(result.sqnMs, sqnOf(t.expected_SQN_MS));
      if (t.AK_star !== undefined) assert.equal(toHex(f.f5star(rand)), t.AK_star);
      if (t.MAC_S !== undefined) {
        assert.equal(toHex(f.f1star(rand, h(t.expected_SQN_MS), new Uint8Array(2))), t.MAC_S);
      }
      if (t.expect === 'valid') assert.equal(toHex(buildAuts(f, rand, result.sqnMs)), t.AUTS);
    });
  }
});

describe('Milenage AKA cases (every aka_cases entry)', () => {
  for (const t of vectors.aka_cases) {
    it(t.name, () => {
      const f = milenage(h(t.K), h(t.OPc));
      const rand = h(t.RAND);
      const v = generateVector(f, rand, sqnOf(t.SQN), h(t.AMF));
      assert.equal(toHex(v.xres), t.RES);
      assert.equal(toHex(v.ck), t.CK);
      assert.equal(toHex(v.ik), t.IK);
      assert.equal(toHex(v.autn), t.AUTN);
      if (t.AK !== undefined) assert.equal(toHex(v.ak), t.AK);
      if (t.SRES !== undefined) assert.equal(toHex(c2(v.xres)), t.SRES);
      if (t.Kc !== undefined) assert.equal(toHex(c3(v.ck, v.ik)), t.Kc);
      const check = verifyAutn(f, rand, h(t.AUTN));
      assert.equal(check.macOk, true);
      assert.equal(check.sqn, sqnOf(t.SQN));
      assert.equal(toHex(check.res), t.RES);
    });
  }
});

// An independent model of TS 35.206 4.1 over bytes and node:crypto, to check the word-level rotation and
// operator constants of src/aka/milenage.ts for arbitrary r1..r5 and c1..c5.
function aes(k: Uint8Array, block: Uint8Array): Uint8Array {
  const c = createCipheriv('aes-128-ecb', k, null).setAutoPadding(false);
  return new Uint8Array(c.update(block));
}
function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  return a.map((v, i) => v ^ b[i]);
}
function rot(x: Uint8Array, r: number): Uint8Array {
  let v = 0n;
  for (const b of x) v = (v << 8n) | BigInt(b);
  const m = (1n << 128n) - 1n;
  v = ((v << BigInt(r)) | (v >> BigInt((128 - r) % 128))) & m;
  return fromHex(v.toString(16).padStart(32, '0'));
}
function modelMilenage(
  k: Uint8Array,
  opc: Uint8Array,
  r: number[],
  c: Uint8Array[],
  rand: Uint8Array,
  sqn: Uint8Array,
  amf: Uint8Array,
) {
  const temp = aes(k, xor(rand, opc));
  const in1 = Uint8Array.of(...sqn, ...amf, ...sqn, ...amf);
  const out1 = xor(aes(k, xor(xor(temp, rot(xor(in1, opc), r[0])), c[0])), opc);
  const out = [2, 3, 4, 5].map((i) => xor(aes(k, xor(rot(xor(temp, opc), r[i - 1]), c[i - 1])), opc));
  return {
    f1: out1.slice(0, 8),
    f1star: out1.slice(8),
    ak: out[0].slice(0, 6),
    res: out[0].slice(8),
    ck: out[1],
    ik: out[2],
    akStar: out[3].slice(0, 6),
  };
}

describe('Milenage operator constants', () => {
  it('matches a byte-wise model of TS 35.206 for random r1..r5, c1..c5 and inputs', () => {
    const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
    fc.assert(
      fc.property(
        bytes(16),
        bytes(16),
        fc.array(fc.integer({ min: 0, max: 127 }), { minLength: 5, maxLength: 5 }),
        fc.array(bytes(16), { minLength: 5, maxLength: 5 }),
        bytes(16),
        bytes(6),
        bytes(2),
        (k, opc, r, c, rand, sqn, amf) => {
          const f = milenage(k, opc, { r, c });
          const want = modelMilenage(k, opc, r, c, rand, sqn, amf);
          const got = f.f2345(rand);
          assert.equal(toHex(f.f1(rand, sqn, amf)), toHex(want.f1));
          assert.equal(toHex(f.f1star(rand, sqn, amf)), toHex(want.f1star));
          assert.equal(toHex(got.res), toHex(want.res));
          assert.equal(toHex(got.ck), toHex(want.ck));
          assert.equal(toHex(got.ik), toHex(want.ik));
          assert.equal(toHex(got.ak), toHex(want.ak));
          assert.equal(toHex(f.f5star(rand)), toHex(want.akStar));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('the defaults are r = 64, 0, 32, 64, 96 and c = 0, 1, 2, 4, 8', () => {
    assert.deepEqual([...MILENAGE_DEFAULT_CONSTANTS.r], [64, 0, 32, 64, 96]);
    assert.deepEqual(
      MILENAGE_DEFAULT_CONSTANTS.c.map((c) => toHex(c)),
      [
        '00000000000000000000000000000000',
        '00000000000000000000000000000001',
        '00000000000000000000000000000002',
        '00000000000000000000000000000004',
        '00000000000000000000000000000008',
      ],
    );
  });

  it('the TEMP cache follows RAND: alternating RANDs give each its own outputs', () => {
    const t = vectors.test_sets;
    const f = milenage(h(t[0].K), h(t[0].OPc));
    const fresh = () => milenage(h(t[0].K), h(t[0].OPc));
    const a = h(t[0].RAND);
    const b = h(t[1].RAND);
    const sqn = h(t[0].SQN);
    const amf = h(t[0].AMF);
    assert.equal(toHex(f.f2345(a).res), t[0].f2);
    assert.equal(toHex(f.f1(b, sqn, amf)), toHex(fresh().f1(b, sqn, amf)));
    assert.equal(toHex(f.f1(a, sqn, amf)), t[0].f1);
    a[0] ^= 1; // the caller reuses its buffer with new content
    assert.equal(toHex(f.f1(a, sqn, amf)), toHex(fresh().f1(a, sqn, amf)));
  });

  it('rejects bad constants and lengths with a named error', () => {
    const k = new Uint8Array(16);
    assert.throws(() => milenage(k, k, { r: [64, 0, 32, 64], c: MILENAGE_DEFAULT_CONSTANTS.c }), AkaError);
    assert.throws(
      () => milenage(k, k, { r: [64, 0, 32, 64, 128], c: MILENAGE_DEFAULT_CONSTANTS.c }),
      /r5 must be 0\.\.127/,
    );
    assert.throws(
      () => milenage(k, k, { r: MILENAGE_DEFAULT_CONSTANTS.r, c: [k, k, k, k, new Uint8Array(15)] }),
      /c5/,
    );
    assert.throws(() => milenage(new Uint8Array(32), k), /K: expected 16 bytes/);
    assert.throws(() => milenage(k, new Uint8Array(8)), /OPc: expected 16 bytes/);
    assert.throws(() => milenage(k, k).f2345(new Uint8Array(15)), /RAND: expected 16 bytes/);
    assert.throws(() => milenage(k, k).f1(new Uint8Array(16), new Uint8Array(5), new Uint8Array(2)), /SQN/);
  });
});
