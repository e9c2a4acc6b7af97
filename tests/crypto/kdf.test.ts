import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { concatBytes, fromHex, toHex } from '../../src/bytes/index.js';
import { CryptoError, hmacSha256, kdf3gpp, x963Kdf, type HashName } from '../../src/crypto/index.js';
import { loadVectors } from '../helpers/vectors.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

interface X963Case {
  name: string;
  hash: HashName;
  Z: string;
  SharedInfo: string;
  key_data: string;
}

describe('X9.63 KDF, NIST CAVP ansx963_2001 (tests/vectors/x963.json)', () => {
  const { cases } = loadVectors<{ cases: X963Case[] }>('x963');
  assert.ok(cases.length >= 20);
  for (const v of cases) {
    it(v.name, () => {
      const out = x963Kdf(v.hash, fromHex(v.Z), fromHex(v.SharedInfo), v.key_data.length / 2);
      assert.equal(toHex(out), v.key_data);
    });
  }
});

describe('X9.63 KDF, SUCI ECIES derived keys (tests/vectors/suci.json derived_here)', () => {
  interface SuciCase {
    profile: string;
    shared_secret: string;
    eph_public_key: string;
    derived_here: { enc_key: string; icb: string; mac_key: string };
  }
  const { cases } = loadVectors<{ cases: SuciCase[] }>('suci');
  assert.ok(cases.length > 0);
  for (const v of cases) {
    it(`profile ${v.profile}: EncKey || ICB || MacKey = KDF(Z, ephemeral public key, 64)`, () => {
      const out = x963Kdf('sha256', fromHex(v.shared_secret), fromHex(v.eph_public_key), 64);
      const d = v.derived_here;
      assert.equal(toHex(out), d.enc_key + d.icb + d.mac_key);
    });
  }
});

describe('X9.63 KDF properties', () => {
  it('a shorter output is a prefix of a longer one, across hash-block boundaries', () => {
    for (const hash of ['sha256', 'sha384', 'sha512'] as const) {
      const long = x963Kdf(hash, fromHex('0102'), fromHex('3c8810'), 200);
      for (const n of [0, 1, 31, 32, 33, 64, 65, 160]) {
        assert.deepEqual(x963Kdf(hash, fromHex('0102'), fromHex('3c8810'), n), long.subarray(0, n));
      }
    }
  });

  it('rejects an unknown hash and a bad length', () => {
    for (const bad of ['md5', 'toString', 'constructor']) {
      assert.throws(() => x963Kdf(bad as HashName, new Uint8Array(1), new Uint8Array(0), 16), CryptoError);
    }
    assert.throws(() => x963Kdf('sha256', new Uint8Array(1), new Uint8Array(0), -1), CryptoError);
    assert.throws(() => x963Kdf('sha256', new Uint8Array(1), new Uint8Array(0), 1.5), CryptoError);
  });
});

// The 3GPP KDF cases of kdf.json, each a pure KDF call (TS 33.220 B.2). A rule applies to every case that
// has its input fields; every case must be covered by at least one rule.
type KdfCase = Record<string, string>;
interface Rule {
  output: string;
  fc: number;
  inputs: string[];
  derive(c: KdfCase): Uint8Array;
}
const ckIk = (c: KdfCase): Uint8Array => fromHex(c.CK + c.IK);
const sqnXorAk = (c: KdfCase): Uint8Array => fromHex(c.SQN_xor_AK ?? c.AUTN.slice(0, 12));
const rules: Rule[] = [
  {
    output: 'KASME', // TS 33.401 A.2
    fc: 0x10,
    inputs: ['CK', 'IK', 'SN_id', 'SQN_xor_AK'],
    derive: (c) => kdf3gpp(ckIk(c), 0x10, fromHex(c.SN_id), sqnXorAk(c)),
  },
  {
    output: 'KeNB', // TS 33.401 A.3
    fc: 0x11,
    inputs: ['KASME', 'NAS_UL_COUNT'],
    derive: (c) => kdf3gpp(fromHex(c.KASME), 0x11, fromHex(c.NAS_UL_COUNT)),
  },
  {
    output: 'KDF_output_256', // TS 33.401 A.7
    fc: 0x15,
    inputs: ['KASME', 'P0', 'P1'],
    derive: (c) => kdf3gpp(fromHex(c.KASME), 0x15, fromHex(c.P0), fromHex(c.P1)),
  },
  {
    output: 'K_NASint_128', // TS 33.401 A.7: the 128-bit key is the last 16 bytes
    fc: 0x15,
    inputs: ['KASME', 'P0', 'P1'],
    derive: (c) => kdf3gpp(fromHex(c.KASME), 0x15, fromHex(c.P0), fromHex(c.P1)).subarray(16),
  },
  {
    output: 'CKprime_IKprime', // TS 33.402 A.2
    fc: 0x20,
    inputs: ['CK', 'IK', 'access_network_name', 'SQN_xor_AK'],
    derive: (c) => kdf3gpp(ckIk(c), 0x20, utf8(c.access_network_name), sqnXorAk(c)),
  },
  {
    output: 'KAUSF_FC6A', // TS 33.501 A.2
    fc: 0x6a,
    inputs: ['CK', 'IK', 'serving_network_name', 'AUTN'],
    derive: (c) => kdf3gpp(ckIk(c), 0x6a, utf8(c.serving_network_name), sqnXorAk(c)),
  },
  {
    output: 'XRES_star_FC6B', // TS 33.501 A.4: the last 128 bits
    fc: 0x6b,
    inputs: ['CK', 'IK', 'serving_network_name', 'RAND', 'RES'],
    derive: (c) =>
      kdf3gpp(ckIk(c), 0x6b, utf8(c.serving_network_name), fromHex(c.RAND), fromHex(c.RES)).subarray(16),
  },
  {
    output: 'KSEAF_FC6C', // TS 33.501 A.6
    fc: 0x6c,
    inputs: ['KAUSF_FC6A', 'serving_network_name'],
    derive: (c) => kdf3gpp(fromHex(c.KAUSF_FC6A), 0x6c, utf8(c.serving_network_name)),
  },
  {
    output: 'KAMF_FC6D', // TS 33.501 A.7
    fc: 0x6d,
    inputs: ['KSEAF_FC6C', 'SUPI_for_KAMF', 'ABBA'],
    derive: (c) => kdf3gpp(fromHex(c.KSEAF_FC6C), 0x6d, utf8(c.SUPI_for_KAMF), fromHex(c.ABBA)),
  },
  {
    output: 'KASME_FC10_208_93', // TS 33.401 A.2 for the same subscriber
    fc: 0x10,
    inputs: ['CK', 'IK', 'EPS_SN_id_208_93', 'AUTN'],
    derive: (c) => kdf3gpp(ckIk(c), 0x10, fromHex(c.EPS_SN_id_208_93), sqnXorAk(c)),
  },
];

describe('3GPP KDF (TS 33.220 B.2), tests/vectors/kdf.json', () => {
  const { cases } = loadVectors<{ cases: KdfCase[] }>('kdf');
  assert.ok(cases.length > 0);
  for (const c of cases) {
    it(c.name, () => {
      const applicable = rules.filter((r) => r.output in c && r.inputs.every((f) => f in c));
      assert.ok(applicable.length > 0, `no KDF rule covers case "${c.name}"`);
      if (c.FC !== undefined)
        assert.ok(
          applicable.some((r) => r.fc === Number.parseInt(c.FC, 16)),
          'FC',
        );
      for (const r of applicable) {
        assert.equal(toHex(r.derive(c)), c[r.output], r.output);
      }
    });
  }

  it('S = FC || P0 || L0 || P1 || L1 with 2-byte big-endian lengths (TS 33.220 B.2.0)', () => {
    const key = fromHex('00112233445566778899aabbccddeeff');
    const p0 = new Uint8Array(300).fill(7);
    const p1 = new Uint8Array(0);
    const s = concatBytes(Uint8Array.of(0x6a), p0, Uint8Array.of(0x01, 0x2c), p1, Uint8Array.of(0, 0));
    assert.deepEqual(kdf3gpp(key, 0x6a, p0, p1), hmacSha256(key, s));
  });

  it('rejects an FC that is not one byte', () => {
    assert.throws(() => kdf3gpp(new Uint8Array(32), 0x100), CryptoError);
    assert.throws(() => kdf3gpp(new Uint8Array(32), -1), CryptoError);
  });
});
