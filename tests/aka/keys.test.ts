// EPS/5G key derivation over the chain cases of tests/vectors/kdf.json: every case that carries a KASME from
// CK/IK or a serving network name goes through aka/keys.ts (the raw KDF cases are crypto's).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../src/bytes/index.js';
import {
  AkaError,
  generateVector,
  hxresStar,
  kamf,
  kasme,
  kausf,
  kseaf,
  milenage,
  resStar,
  snId,
} from '../../src/aka/index.js';
import { loadVectors } from '../helpers/vectors.js';

const h = (s: string) => fromHex(s);
const cases: any[] = loadVectors('kdf').cases;
const chainCases = cases.filter(
  (c) => (c.KASME !== undefined && c.CK !== undefined) || c.serving_network_name,
);

describe('EPS/5G key chain (kdf.json cases that go through aka/keys.ts)', () => {
  it('finds the chain cases', () => assert.ok(chainCases.length >= 2));

  for (const c of chainCases) {
    it(c.name, () => {
      let ck = h(c.CK);
      let ik = h(c.IK);
      let res = c.RES === undefined ? undefined : h(c.RES);
      let sqnXorAk = c.SQN_xor_AK === undefined ? undefined : h(c.SQN_xor_AK);
      if (c.OPc !== undefined) {
        // run the AKA first: the keys below then come from our own Milenage outputs
        const v = generateVector(milenage(h(c.K), h(c.OPc)), h(c.RAND), BigInt('0x' + c.SQN), h(c.AMF));
        assert.equal(toHex(v.autn), c.AUTN);
        assert.equal(toHex(v.ak), c.AK);
        [ck, ik, res, sqnXorAk] = [v.ck, v.ik, v.xres, v.autn.subarray(0, 6)];
        assert.equal(toHex(ck), c.CK);
        assert.equal(toHex(ik), c.IK);
        assert.equal(toHex(res), c.RES);
      }
      if (sqnXorAk === undefined) {
        sqnXorAk = h(c.SQN).map((b, i) => b ^ h(c.AK)[i]);
      } else if (c.SQN !== undefined && c.AK !== undefined) {
        assert.equal(toHex(sqnXorAk), toHex(h(c.SQN).map((b, i) => b ^ h(c.AK)[i])));
      }
      if (c.KASME !== undefined) {
        const id = snId(c.MCC, c.MNC);
        assert.equal(toHex(id), c.SN_id);
        assert.equal(toHex(kasme(ck, ik, id, sqnXorAk)), c.KASME);
      }
      if (c.EPS_SN_id_208_93 !== undefined) {
        assert.equal(toHex(snId('208', '93')), c.EPS_SN_id_208_93);
        assert.equal(toHex(kasme(ck, ik, h(c.EPS_SN_id_208_93), sqnXorAk)), c.KASME_FC10_208_93);
      }
      if (c.serving_network_name !== undefined) {
        const snn: string = c.serving_network_name;
        const kausfKey = kausf(ck, ik, snn, sqnXorAk);
        assert.equal(toHex(kausfKey), c.KAUSF_FC6A);
        const xresStar = resStar(ck, ik, snn, h(c.RAND), res!);
        assert.equal(toHex(xresStar), c.XRES_star_FC6B);
        assert.equal(toHex(hxresStar(h(c.RAND), xresStar)), c.HXRES_star);
        const kseafKey = kseaf(kausfKey, snn);
        assert.equal(toHex(kseafKey), c.KSEAF_FC6C);
        assert.equal(toHex(kamf(kseafKey, c.SUPI_for_KAMF, h(c.ABBA))), c.KAMF_FC6D);
      }
    });
  }
});

describe('snId (PLMN identity, TS 24.301 9.9.3.12)', () => {
  it('encodes 2- and 3-digit MNCs', () => {
    assert.equal(toHex(snId('001', '01')), '00f110');
    assert.equal(toHex(snId('208', '93')), '02f839');
    assert.equal(toHex(snId('310', '410')), '130014');
  });
  it('names the bad part', () => {
    assert.throws(() => snId('01', '01'), /MCC/);
    assert.throws(() => snId('001', '1'), /MNC/);
    assert.throws(() => snId('001', '01a'), AkaError);
  });
});
