import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { concatBytes, decodeTlv, children, fromHex, tlv, toHex } from '../../src/bytes/index.js';
import { CURVES, SeededRandom, derToRaw, generateKeyPair, curveByName } from '../../src/crypto/index.js';
import {
  CertificateError,
  KEY_USAGE_KEY_AGREEMENT,
  KEY_USAGE_SIGNATURE_VERIFICATION,
  TAG_SIGNATURE,
  caKeyId,
  decodeCertificate,
  decodeGpCertificate,
  decodeGpDate,
  eidSubjectId,
  encodeGpCertificate,
  encodeGpDate,
  signGpCertificate,
  verifyCertificateSignature,
  verifyGpCertificate,
  type GpCertificateBody,
} from '../../src/pki/index.js';
import { EID } from './fixtures.js';

function body(
  curve = curveByName('P-256'),
  seed = 'gp',
): { body: GpCertificateBody; issuer: ReturnType<typeof generateKeyPair> } {
  const rng = new SeededRandom(seed);
  const issuer = generateKeyPair(curve, rng);
  const subject = generateKeyPair(curve, rng);
  return {
    issuer,
    body: {
      serial: fromHex('0a0b0c0d'),
      caKeyId: caKeyId(issuer.publicKey),
      subjectId: eidSubjectId(EID),
      keyUsage: KEY_USAGE_KEY_AGREEMENT,
      effectiveDate: new Date('2024-01-01T00:00:00Z'),
      expirationDate: new Date('2049-12-31T00:00:00Z'),
      discretionary: { constructed: false, value: fromHex('0102') },
      curve,
      publicKey: subject.publicKey,
    },
  };
}

describe('GP 7F21 certificates (GPC Amd F Table 6-12)', () => {
  for (const curve of CURVES) {
    it(`encodes, decodes, signs and verifies on ${curve.name}`, () => {
      const { body: b, issuer } = body(curve, curve.name);
      const raw = signGpCertificate(b, issuer);
      const cert = decodeGpCertificate(raw);
      assert.equal(toHex(cert.raw), toHex(raw));
      assert.equal(toHex(cert.serial), '0a0b0c0d');
      assert.equal(toHex(cert.caKeyId), toHex(caKeyId(issuer.publicKey)));
      assert.equal(cert.keyUsage, KEY_USAGE_KEY_AGREEMENT);
      assert.equal(cert.curve.name, curve.name);
      assert.equal(toHex(cert.publicKey), toHex(b.publicKey));
      assert.equal(cert.effectiveDate?.toISOString(), '2024-01-01T00:00:00.000Z');
      assert.equal(cert.expirationDate.toISOString(), '2049-12-31T23:59:59.999Z');
      assert.deepEqual(cert.discretionary, { constructed: false, value: fromHex('0102') });
      // tbs = the TLVs before 5F37, and re-encoding reproduces the bytes
      assert.equal(toHex(encodeGpCertificate(b, cert.signature)), toHex(raw));
      const inner = children(decodeTlv(raw));
      assert.equal(inner[inner.length - 1].tag, TAG_SIGNATURE);
      assert.equal(toHex(cert.tbs), toHex(concatBytes(...inner.slice(0, -1).map((t) => t.raw))));
      assert.ok(verifyGpCertificate(cert, issuer));
      const neutral = decodeCertificate(raw);
      assert.equal(neutral.format, 'gp');
      assert.equal(neutral.eid, EID);
      assert.equal(neutral.keyUsage, 'keyAgreement');
      assert.equal(toHex(neutral.subjectKeyId), toHex(caKeyId(b.publicKey)));
      assert.ok(verifyCertificateSignature(neutral, issuer));
      // another key does not verify it
      const other = generateKeyPair(curve, new SeededRandom(`other ${curve.name}`));
      assert.equal(verifyGpCertificate(cert, other), false);
    });
  }

  it('accepts a raw r||s signature in 5F37 as well as DER', () => {
    const { body: b, issuer } = body();
    const der = decodeGpCertificate(signGpCertificate(b, issuer));
    const raw = encodeGpCertificate(b, derToRaw(der.signature, b.curve));
    const cert = decodeGpCertificate(raw);
    assert.equal(cert.signature.length, 64);
    assert.ok(verifyGpCertificate(cert, issuer));
  });

  it('signs exactly the TLVs before 5F37: a changed field breaks the signature', () => {
    const { body: b, issuer } = body();
    const good = decodeGpCertificate(signGpCertificate(b, issuer));
    const forged = decodeGpCertificate(
      encodeGpCertificate({ ...b, serial: fromHex('0a0b0c0e') }, good.signature),
    );
    assert.equal(verifyGpCertificate(forged, issuer), false);
  });

  it('writes 5F20 as the EID in reading-order BCD and key usage 0082 for a CA', () => {
    const { body: b, issuer } = body();
    const ca = decodeGpCertificate(
      signGpCertificate({ ...b, keyUsage: KEY_USAGE_SIGNATURE_VERIFICATION }, issuer),
    );
    assert.equal(ca.keyUsage, KEY_USAGE_SIGNATURE_VERIFICATION);
    assert.equal(decodeCertificate(ca.raw).keyUsage, 'signature');
    assert.equal(toHex(eidSubjectId(EID)), EID);
  });

  it('writes dates as BCD YYYYMMDD and reads the binary digit pairs of OpenSCP test certificates', () => {
    assert.equal(toHex(encodeGpDate(new Date('2049-12-31T23:00:00Z'))), '20491231');
    assert.equal(decodeGpDate(fromHex('20491231'), 'd').toISOString(), '2049-12-31T00:00:00.000Z');
    assert.equal(decodeGpDate(fromHex('141c0c1f'), 'd', true).toISOString(), '2028-12-31T23:59:59.999Z');
    assert.throws(() => decodeGpDate(fromHex('20491331'), 'd'), CertificateError);
    assert.throws(() => decodeGpDate(fromHex('204912'), 'd'), CertificateError);
  });

  it('accepts BF20 authorizations and 73 discretionary data', () => {
    const { body: b, issuer } = body();
    const cert = decodeGpCertificate(
      signGpCertificate(
        {
          ...b,
          authorizations: fromHex('0001'),
          discretionary: { constructed: true, value: fromHex('8001ff') },
        },
        issuer,
      ),
    );
    assert.equal(toHex(cert.authorizations!), '0001');
    assert.equal(cert.discretionary?.constructed, true);
  });

  const malformedCases: [string, (inner: Uint8Array[]) => Uint8Array[]][] = [
    ['a missing serial', (t) => t.slice(1)],
    ['an unknown tag', (t) => [tlv(0x5f4c, Uint8Array.of(1)), ...t]],
    ['a duplicated tag', (t) => [t[0], ...t]],
    ['the signature not last', (t) => [t[t.length - 1], ...t.slice(0, -1)]],
    ['no public key', (t) => t.filter((x) => x[0] !== 0x7f)],
  ];
  for (const [what, mutate] of malformedCases) {
    it(`rejects ${what} as malformed`, () => {
      const { body: b, issuer } = body();
      const parts = children(decodeTlv(signGpCertificate(b, issuer))).map((t) => t.raw);
      const bad = tlv(0x7f21, ...mutate(parts));
      assert.throws(
        () => decodeCertificate(bad),
        (e: unknown) =>
          e instanceof CertificateError && e.reason === 'malformed' && /GP certificate/.test(e.message),
      );
    });
  }

  it('rejects an unknown curve id and a point off the curve', () => {
    const { body: b, issuer } = body();
    const raw = signGpCertificate(b, issuer);
    const hex = toHex(raw);
    const offCurve = fromHex(hex.replace(toHex(b.publicKey), toHex(b.publicKey).slice(0, -2) + 'ff'));
    assert.throws(() => decodeGpCertificate(offCurve), /not a point on P-256/);
    const unknownCurve = fromHex(hex.replace('f00100', 'f00104'));
    assert.throws(() => decodeGpCertificate(unknownCurve), /unknown curve id/);
  });
});
