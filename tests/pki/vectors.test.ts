// Every certificate in tests/vectors/scp11.json and scp11-card.json decodes; where the entry carries the CA keys
// (scp11-card.json) every chain verifies at its check_date. Iterates all entries, so new ones are tested too.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { concatBytes, fromHex, toHex } from '../../src/bytes/index.js';
import { curveByName, importPrivateKey } from '../../src/crypto/index.js';
import {
  CertificateError,
  caKeyId,
  decodeCertificate,
  decodeCertificates,
  trustAnchor,
  validateChain,
  type TrustAnchor,
} from '../../src/pki/index.js';
import { decodeCommand } from '../../src/iso7816/index.js';
import { FixedClock } from '../../src/ports/index.js';
import { loadVectors } from '../helpers/vectors.js';

interface Vector {
  name: string;
  curve: string;
  SK_OCE_pkcs8: string;
  CERT_OCE: string;
  GET_DATA_rapdus: string[];
  PSO_capdus: string[];
  derived_verified_here: { pk_sd: string };
  EID?: string;
  CERT_SD?: string;
  CERT_SD_chain?: string[];
  CA_curve?: string;
  PK_CA_KLCC?: string;
  PK_CA_KLOC?: string;
  CERT_CA_KLCC?: string;
  CERT_CA_KLOC?: string;
  check_date?: string;
}

/** BF21 as the card answered it: the data of every R-APDU (61xx chunks) without its status word. */
const getDataResponse = (v: Vector): Uint8Array =>
  concatBytes(...v.GET_DATA_rapdus.map((r) => fromHex(r).subarray(0, -2)));

for (const file of ['scp11', 'scp11-card']) {
  const vectors = loadVectors<{ vectors: Vector[] }>(file).vectors;
  describe(`certificates of tests/vectors/${file}.json`, () => {
    it('has entries', () => assert.ok(vectors.length > 0));
    for (const v of vectors) {
      it(`${v.name}: every certificate decodes and matches the session keys`, () => {
        const curve = curveByName(v.curve);
        const chain = decodeCertificates(getDataResponse(v));
        const leaf = chain[chain.length - 1];
        assert.equal(leaf.keyUsage, 'keyAgreement');
        assert.equal(leaf.curve.name, curve.name);
        assert.equal(toHex(leaf.publicKey), v.derived_verified_here.pk_sd.toLowerCase());
        if (v.CERT_SD_chain !== undefined) {
          const fromField = decodeCertificates(concatBytes(...v.CERT_SD_chain.map((c) => fromHex(c))));
          assert.deepEqual(
            fromField.map((c) => toHex(c.raw)),
            chain.map((c) => toHex(c.raw)),
          );
        }
        if (v.EID) assert.equal(leaf.eid, v.EID);
        if (v.CERT_OCE) {
          const oce = decodeCertificate(fromHex(v.CERT_OCE));
          assert.equal(oce.keyUsage, 'keyAgreement');
          // PERFORM SECURITY OPERATION carries the same chain, leaf last
          const pso = decodeCertificates(
            concatBytes(...v.PSO_capdus.map((c) => decodeCommand(fromHex(c)).data)),
          );
          assert.equal(toHex(pso[pso.length - 1].raw), toHex(oce.raw));
          assert.equal(toHex(oce.publicKey), toHex(importPrivateKey(fromHex(v.SK_OCE_pkcs8)).publicKey));
        }
        for (const k of ['CERT_CA_KLCC', 'CERT_CA_KLOC'] as const) {
          const hex = v[k];
          if (!hex) continue;
          const ca = decodeCertificate(fromHex(hex));
          assert.equal(ca.keyUsage, 'signature');
          const pk = k === 'CERT_CA_KLCC' ? v.PK_CA_KLCC : v.PK_CA_KLOC;
          assert.equal(toHex(ca.publicKey), pk!.toLowerCase());
          assert.equal(toHex(ca.issuerKeyId!), toHex(caKeyId(ca.publicKey)));
        }
      });

      const anchors: TrustAnchor[] = [];
      if (v.CA_curve && v.PK_CA_KLCC)
        anchors.push(trustAnchor(curveByName(v.CA_curve), fromHex(v.PK_CA_KLCC), { name: 'CA-KLCC' }));
      if (v.CA_curve && v.PK_CA_KLOC)
        anchors.push(trustAnchor(curveByName(v.CA_curve), fromHex(v.PK_CA_KLOC), { name: 'CA-KLOC' }));
      if (anchors.length === 0 || !v.check_date) {
        it(`${v.name}: without the CA keys its chains are untrusted`, () => {
          const clock = new FixedClock(decodeCertificates(getDataResponse(v)).at(-1)!.notAfter);
          assert.throws(
            () =>
              validateChain(decodeCertificates(getDataResponse(v)), {
                anchors: [],
                clock,
                leafUsage: 'keyAgreement',
              }),
            (e: unknown) => e instanceof CertificateError && e.reason === 'untrusted',
          );
        });
        continue;
      }
      it(`${v.name}: CERT.SD.ECKA, CERT.OCE.ECKA and the CA certificates chain-verify at ${v.check_date}`, () => {
        const clock = new FixedClock(new Date(v.check_date!));
        const curve = curveByName(v.curve);
        const sdAnchors = anchors.filter((a) => a.name === 'CA-KLCC');
        const leaf = validateChain(decodeCertificates(getDataResponse(v)), {
          anchors: sdAnchors,
          clock,
          leafUsage: 'keyAgreement',
          expectedCurve: curve,
        });
        assert.equal(toHex(leaf.publicKey), v.derived_verified_here.pk_sd.toLowerCase());
        // the CA certificate in front of the chain (a self-signed root) is accepted too
        const withRoot = [
          decodeCertificate(fromHex(v.CERT_CA_KLCC!)),
          ...decodeCertificates(getDataResponse(v)),
        ];
        assert.equal(
          validateChain(withRoot, { anchors: sdAnchors, clock, leafUsage: 'keyAgreement' }).subject,
          leaf.subject,
        );
        for (const k of ['CERT_CA_KLCC', 'CERT_CA_KLOC'] as const) {
          if (v[k])
            validateChain([decodeCertificate(fromHex(v[k]!))], { anchors, clock, leafUsage: 'signature' });
        }
        if (v.CERT_OCE) {
          const oce = decodeCertificate(fromHex(v.CERT_OCE));
          const ocAnchors = anchors.filter((a) => a.name === 'CA-KLOC');
          assert.equal(
            validateChain([oce], { anchors: ocAnchors, clock, leafUsage: 'keyAgreement' }).subject,
            oce.subject,
          );
          // CA-KLCC does not vouch for the server
          assert.throws(
            () => validateChain([oce], { anchors: sdAnchors, clock, leafUsage: 'keyAgreement' }),
            (e: unknown) => e instanceof CertificateError && e.reason === 'untrusted',
          );
        }
      });
    }
  });
}
