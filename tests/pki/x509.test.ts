import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate as NodeX509 } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { toHex } from '../../src/bytes/index.js';
import { CURVES, curveByName } from '../../src/crypto/index.js';
import {
  CertificateError,
  caKeyId,
  decodeCertificate,
  decodeX509,
  verifyCertificateSignature,
} from '../../src/pki/index.js';
import { EID, NOT_AFTER, NOT_BEFORE, makeCa } from './fixtures.js';

const toPem = (der: Uint8Array): string =>
  `-----BEGIN CERTIFICATE-----\n${Buffer.from(der)
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n')}\n-----END CERTIFICATE-----\n`;

describe('X.509 issue and read (RFC 5280)', () => {
  for (const curve of CURVES) {
    it(`issues CA and leaf certificates on ${curve.name} that node:crypto verifies`, () => {
      const ca = makeCa(curve, `x509 ${curve.name}`);
      const caCert = ca.certificate('x509');
      const { key, certificate: leaf } = ca.issue({ format: 'x509', eid: EID });
      assert.equal(leaf.format, 'x509');
      assert.equal(leaf.eid, EID);
      assert.equal(leaf.keyUsage, 'keyAgreement');
      assert.equal(leaf.curve.name, curve.name);
      assert.equal(toHex(leaf.publicKey), toHex(key.publicKey));
      assert.equal(toHex(leaf.issuerKeyId!), toHex(caKeyId(ca.key.publicKey)));
      assert.equal(toHex(leaf.x509!.subjectKeyIdentifier!), toHex(caKeyId(key.publicKey)));
      assert.equal(leaf.notBefore?.toISOString(), NOT_BEFORE.toISOString());
      assert.equal(leaf.notAfter.toISOString(), NOT_AFTER.toISOString());
      assert.equal(caCert.keyUsage, 'signature');
      assert.equal(caCert.x509!.isCa, true);
      assert.ok(verifyCertificateSignature(leaf, ca.key));
      assert.ok(verifyCertificateSignature(caCert, ca.key));
      // node:crypto (OpenSSL) reads both and verifies the signatures
      const nodeCa = new NodeX509(caCert.raw);
      const nodeLeaf = new NodeX509(leaf.raw);
      assert.ok(nodeLeaf.verify(nodeCa.publicKey));
      assert.ok(nodeCa.verify(nodeCa.publicKey));
      assert.ok(nodeLeaf.checkIssued(nodeCa));
      assert.equal(nodeLeaf.serialNumber.toLowerCase(), toHex(leaf.serial));
      assert.match(nodeLeaf.subject, new RegExp(`serialNumber=${EID}`));
      assert.equal(nodeCa.ca, true);
      // and another CA's key does not verify it
      const other = makeCa(curve, `other ${curve.name}`);
      assert.equal(nodeLeaf.verify(new NodeX509(other.certificate('x509').raw).publicKey), false);
      assert.equal(verifyCertificateSignature(leaf, other.key), false);
    });
  }

  it('is read by `openssl x509 -inform DER -text` with the key usages we wrote', () => {
    const ca = makeCa(curveByName('brainpoolP384r1'), 'openssl');
    const { certificate: leaf } = ca.issue({ format: 'x509', eid: EID });
    const dir = mkdtempSync(join(tmpdir(), 'ltku-pki-'));
    try {
      writeFileSync(join(dir, 'leaf.der'), leaf.raw);
      writeFileSync(join(dir, 'ca.der'), ca.certificate('x509').raw);
      const leafText = execFileSync(
        'openssl',
        ['x509', '-inform', 'DER', '-in', join(dir, 'leaf.der'), '-text', '-noout'],
        {
          encoding: 'utf8',
        },
      );
      assert.match(leafText, /X509v3 Key Usage: critical\s+Key Agreement/);
      assert.match(leafText, /brainpoolP384r1/);
      assert.match(leafText, new RegExp(`serialNumber *= *${EID}`));
      assert.match(leafText, /ecdsa-with-SHA256/);
      const caText = execFileSync(
        'openssl',
        ['x509', '-inform', 'DER', '-in', join(dir, 'ca.der'), '-text', '-noout'],
        {
          encoding: 'utf8',
        },
      );
      assert.match(caText, /Certificate Sign, CRL Sign/);
      assert.match(caText, /CA:TRUE/);
      writeFileSync(join(dir, 'ca.pem'), toPem(ca.certificate('x509').raw));
      writeFileSync(join(dir, 'leaf.pem'), toPem(leaf.raw));
      const verify = execFileSync(
        'openssl',
        ['verify', '-CAfile', join(dir, 'ca.pem'), join(dir, 'leaf.pem')],
        {
          encoding: 'utf8',
        },
      );
      assert.match(verify, /leaf.pem: OK/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects an unknown critical extension and an RSA key as malformed', () => {
    const ca = makeCa(curveByName('P-256'), 'crit');
    const raw = toHex(ca.issue({ format: 'x509' }).certificate.raw);
    // the keyUsage OID 2.5.29.15 (55 1d 0f) turned into 2.5.29.99 (55 1d 63), still critical
    const unknown = raw.replace('0603551d0f0101ff', '0603551d630101ff');
    assert.notEqual(unknown, raw);
    assert.throws(() => decodeX509(Buffer.from(unknown, 'hex')), /critical and not understood/);
    const rsa = raw.replace('2a8648ce3d0201', '2a864886f70d01');
    assert.throws(
      () => decodeCertificate(Buffer.from(rsa, 'hex')),
      (e: unknown) => e instanceof CertificateError && e.reason === 'malformed',
    );
  });
});
