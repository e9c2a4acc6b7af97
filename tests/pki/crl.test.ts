import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '../../src/bytes/index.js';
import { curveByName } from '../../src/crypto/index.js';
import {
  CertificateError,
  caKeyId,
  decodeCrl,
  issueCrl,
  validateChain,
  verifiedCrlSerials,
  verifyCrl,
} from '../../src/pki/index.js';
import { FixedClock } from '../../src/ports/index.js';
import { INSIDE, makeCa } from './fixtures.js';

const ca = makeCa(curveByName('P-384'), 'crl CA', 'CA-KLOC');
const thisUpdate = new Date('2027-01-01T00:00:00Z');
const nextUpdate = new Date('2027-01-31T00:00:00Z');

function crl(serials: string[], number = 7): Uint8Array {
  return issueCrl({
    issuer: ca.key,
    issuerName: 'CA-KLOC',
    number,
    thisUpdate,
    nextUpdate,
    entries: serials.map((s) => ({ serial: fromHex(s), revocationDate: thisUpdate })),
  });
}

describe('CRL (RFC 5280 5.1, signed serial list)', () => {
  it('round-trips serials, number, dates and the CA key id, and verifies', () => {
    const decoded = decodeCrl(crl(['01', '80', '1234567890abcdef']));
    assert.deepEqual(decoded.serials.map(toHex), ['01', '80', '1234567890abcdef']);
    assert.equal(decoded.number, 7);
    assert.equal(decoded.issuer, 'CN=CA-KLOC');
    assert.equal(decoded.thisUpdate.toISOString(), thisUpdate.toISOString());
    assert.equal(decoded.nextUpdate?.toISOString(), nextUpdate.toISOString());
    assert.equal(toHex(decoded.issuerKeyId!), toHex(caKeyId(ca.key.publicKey)));
    assert.ok(verifyCrl(decoded, ca.key));
    assert.equal(decodeCrl(crl([])).serials.length, 0);
  });

  it('feeds validateChain a deny list only when signed by the CA', () => {
    const { certificate } = ca.issue({ format: 'gp', serial: fromHex('80') });
    const denyList = verifiedCrlSerials(crl(['80']), ca.key);
    assert.throws(
      () =>
        validateChain([certificate], {
          anchors: [ca.anchor],
          clock: new FixedClock(INSIDE),
          leafUsage: 'keyAgreement',
          denyList,
        }),
      (e: unknown) => e instanceof CertificateError && e.reason === 'revoked',
    );
    const forged = Uint8Array.from(crl(['80']));
    forged[forged.length - 3] ^= 1;
    assert.throws(
      () => verifiedCrlSerials(forged, ca.key),
      (e: unknown) => e instanceof CertificateError && e.reason === 'signature',
    );
    const other = makeCa(curveByName('P-384'), 'other crl CA');
    assert.throws(() => verifiedCrlSerials(crl(['80']), other.key), /does not verify/);
  });

  it('is read and verified by `openssl crl`', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ltku-crl-'));
    try {
      writeFileSync(join(dir, 'ca.crl'), crl(['05', 'abcd']));
      const der = Buffer.from(ca.certificate('x509').raw).toString('base64');
      writeFileSync(
        join(dir, 'ca.pem'),
        `-----BEGIN CERTIFICATE-----\n${der.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`,
      );
      const text = execFileSync(
        'openssl',
        [
          'crl',
          '-inform',
          'DER',
          '-in',
          join(dir, 'ca.crl'),
          '-text',
          '-noout',
          '-CAfile',
          join(dir, 'ca.pem'),
        ],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
      );
      assert.match(text, /Serial Number: 05/);
      assert.match(text, /Serial Number: ABCD/i);
      assert.match(text, /X509v3 CRL Number:\s+7/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
