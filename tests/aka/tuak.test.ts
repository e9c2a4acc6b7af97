// TUAK against every entry of tests/vectors/tuak.json (TS 35.233 sets 1-2) and of tests/aka/tuak-35233-sets-3-6.json
// (sets 3-6: 256-bit outputs and 2 Keccak iterations).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromHex, toHex } from '../../src/bytes/index.js';
import {
  AkaError,
  buildAuts,
  computeTopc,
  generateVector,
  resolveAuts,
  tuak,
  TUAK_DEFAULT_PARAMS,
  verifyAutn,
  type TuakParams,
} from '../../src/aka/index.js';
import { loadVectors, ROOT } from '../helpers/vectors.js';

const h = (s: string) => fromHex(s);

function tuakParamsOf(t: { keccak_iterations: number; lengths_bits: Record<string, number> }): TuakParams {
  return {
    keccakIterations: t.keccak_iterations,
    macLength: (t.lengths_bits.MAC / 8) as TuakParams['macLength'],
    resLength: (t.lengths_bits.RES / 8) as TuakParams['resLength'],
    ckLength: (t.lengths_bits.CK / 8) as TuakParams['ckLength'],
    ikLength: (t.lengths_bits.IK / 8) as TuakParams['ikLength'],
  };
}

const files = {
  'tests/vectors/tuak.json': loadVectors('tuak'),
  'tests/aka/tuak-35233-sets-3-6.json': JSON.parse(
    readFileSync(join(ROOT, 'tests', 'aka', 'tuak-35233-sets-3-6.json'), 'utf8'),
  ),
};

for (const [file, data] of Object.entries(files)) {
  describe(`TUAK ${file} (every entry)`, () => {
    for (const t of data.test_sets) {
      it(t.name, () => {
        const k = h(t.K);
        assert.equal(k.length * 8, t.K_bits);
        const rand = h(t.RAND);
        const sqn = h(t.SQN);
        const amf = h(t.AMF);
        const params = tuakParamsOf(t);
        assert.equal(toHex(computeTopc(k, h(t.TOP), t.keccak_iterations)), t.TOPc);
        const f = tuak(k, h(t.TOPc), params);
        assert.equal(f.macLength, params.macLength);
        assert.equal(toHex(f.f1(rand, sqn, amf)), t.f1);
        assert.equal(toHex(f.f1star(rand, sqn, amf)), t.f1star);
        const out = f.f2345(rand);
        assert.equal(toHex(out.res), t.f2);
        assert.equal(toHex(out.ck), t.f3);
        assert.equal(toHex(out.ik), t.f4);
        assert.equal(toHex(out.ak), t.f5);
        assert.equal(toHex(f.f5star(rand)), t.f5star);

        // AUTN = SQN xor AK || AMF || MAC-A with the set's MAC length, verified on the USIM side.
        const v = generateVector(f, rand, BigInt('0x' + t.SQN), amf);
        assert.equal(v.autn.length, 8 + params.macLength);
        assert.equal(toHex(v.autn.subarray(8)), t.f1);
        const check = verifyAutn(f, rand, v.autn);
        assert.equal(check.macOk, true);
        assert.equal(toHex(check.res), t.f2);
        const auts = buildAuts(f, rand, BigInt('0x' + t.SQN));
        assert.deepEqual(resolveAuts(f, rand, auts), { sqnMs: BigInt('0x' + t.SQN), macOk: true });
      });
    }
  });
}

describe('TUAK parameters', () => {
  it('defaults to 1 iteration, MAC 8, RES 8, CK 16, IK 16 bytes', () => {
    assert.deepEqual(
      { ...TUAK_DEFAULT_PARAMS },
      { keccakIterations: 1, macLength: 8, resLength: 8, ckLength: 16, ikLength: 16 },
    );
    const f = tuak(new Uint8Array(16), new Uint8Array(32));
    const out = f.f2345(new Uint8Array(16));
    assert.deepEqual(
      [f.macLength, out.res.length, out.ck.length, out.ik.length, out.ak.length],
      [8, 8, 16, 16, 6],
    );
  });

  it('lengths change the outputs, not only their size (INSTANCE encodes them)', () => {
    const k = h('abababababababababababababababab');
    const topc = new Uint8Array(32).fill(7);
    const rand = new Uint8Array(16).fill(1);
    const a = tuak(k, topc, { ckLength: 16 }).f2345(rand);
    const b = tuak(k, topc, { ckLength: 32 }).f2345(rand);
    assert.notEqual(toHex(b.ck.subarray(16)), toHex(a.ck));
    assert.notEqual(toHex(b.res), toHex(a.res));
  });

  it('rejects values outside TS 35.231', () => {
    const k = new Uint8Array(16);
    const topc = new Uint8Array(32);
    assert.throws(() => tuak(k, topc, { macLength: 4 as never }), /MAC length/);
    assert.throws(() => tuak(k, topc, { resLength: 12 as never }), /RES length/);
    assert.throws(() => tuak(k, topc, { ckLength: 8 as never }), /CK length/);
    assert.throws(() => tuak(k, topc, { ikLength: 24 as never }), /IK length/);
    assert.throws(() => tuak(k, topc, { keccakIterations: 0 }), AkaError);
    assert.throws(() => computeTopc(k, topc, 1.5), AkaError);
    assert.throws(() => tuak(new Uint8Array(24), topc), /K: expected 16 or 32 bytes/);
    assert.throws(() => tuak(k, new Uint8Array(16)), /TOPc: expected 32 bytes/);
    assert.throws(() => computeTopc(k, new Uint8Array(16)), /TOP: expected 32 bytes/);
  });
});
