// validateChain: one test per failure reason, plus the accepted shapes and the verified-certificate cache.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '../../src/bytes/index.js';
import { curveByName, type EcKeyPair } from '../../src/crypto/index.js';
import {
  CertificateError,
  VerifiedCertificateCache,
  decodeCertificate,
  issueGpCertificate,
  validateChain,
  type Certificate,
  type CertificateErrorReason,
} from '../../src/pki/index.js';
import { FixedClock } from '../../src/ports/index.js';
import { INSIDE, NOT_AFTER, NOT_BEFORE, makeCa, type Format } from './fixtures.js';

const P256 = curveByName('P-256');
const ca = makeCa(P256, 'chain CA', 'CA-KLCC');
const clock = new FixedClock(INSIDE);

function rejects(reason: CertificateErrorReason, run: () => unknown, mentions?: RegExp): void {
  assert.throws(run, (e: unknown) => {
    assert.ok(e instanceof CertificateError, `CertificateError expected, got ${String(e)}`);
    assert.equal(e.reason, reason, e.message);
    if (mentions) assert.match(e.message, mentions);
    return true;
  });
}

/** The certificate with one byte of its signature changed (still well-formed). */
function withBadSignature(cert: Certificate): Certificate {
  const raw = Uint8Array.from(cert.raw);
  const at = cert.raw.length - 5;
  raw[at] ^= 0x01;
  return decodeCertificate(raw);
}

for (const format of ['gp', 'x509'] as Format[]) {
  describe(`validateChain (${format})`, () => {
    const opts = { anchors: [ca.anchor], clock, leafUsage: 'keyAgreement' as const };

    it('returns the verified leaf of a chain to a trusted CA key', () => {
      const { certificate } = ca.issue({ format });
      assert.equal(validateChain([certificate], opts), certificate);
      assert.equal(validateChain([ca.certificate(format), certificate], opts), certificate);
    });

    it('accepts an intermediate CA with key usage signature', () => {
      const sub = ca.issue({ format, usage: 'signature' });
      const leafRaw = issueGpCertificate({
        issuer: sub.key,
        serial: Uint8Array.of(0x77),
        keyUsage: 'keyAgreement',
        notAfter: NOT_AFTER,
        subjectPublicKey: ca.issue({ format }).key.publicKey,
        curve: P256,
      });
      const leaf = decodeCertificate(leafRaw);
      assert.equal(validateChain([sub.certificate, leaf], opts), leaf);
      rejects('signature', () => validateChain([sub.certificate, withBadSignature(leaf)], opts), /serial 77/);
    });

    it('unknown CA: untrusted', () => {
      const stranger = makeCa(P256, 'stranger');
      const { certificate } = stranger.issue({ format });
      rejects('untrusted', () => validateChain([certificate], opts), /not trusted/);
      rejects('untrusted', () => validateChain([stranger.certificate(format), certificate], opts));
      rejects('untrusted', () => validateChain([certificate], { ...opts, anchors: [] }));
    });

    it('bad signature: signature', () => {
      const { certificate } = ca.issue({ format, serial: fromHex('4242') });
      rejects('signature', () => validateChain([withBadSignature(certificate)], opts), /serial 4242/);
    });

    it('expired: expired', () => {
      const { certificate } = ca.issue({ format });
      const after = new FixedClock(new Date(NOT_AFTER.getTime() + 2 * 86_400_000));
      rejects('expired', () => validateChain([certificate], { ...opts, clock: after }), /expired/);
    });

    it('not yet valid: not-yet-valid', () => {
      const { certificate } = ca.issue({ format, notBefore: new Date('2028-01-01T00:00:00Z') });
      rejects('not-yet-valid', () => validateChain([certificate], opts), /not valid before 2028-01-01/);
      const before = new FixedClock(new Date(NOT_BEFORE.getTime() - 1000));
      rejects('not-yet-valid', () =>
        validateChain([ca.issue({ format }).certificate], { ...opts, clock: before }),
      );
    });

    it('wrong key usage: key-usage (leaf with 0082, CA with 0080)', () => {
      const signing = ca.issue({ format, usage: 'signature' });
      rejects('key-usage', () => validateChain([signing.certificate], opts), /needs keyAgreement/);
      const agreeingCa = ca.issue({ format, usage: 'keyAgreement' });
      const leaf = decodeCertificate(
        issueGpCertificate({
          issuer: agreeingCa.key,
          serial: Uint8Array.of(0x78),
          keyUsage: 'keyAgreement',
          notAfter: NOT_AFTER,
          subjectPublicKey: signing.key.publicKey,
          curve: P256,
        }),
      );
      rejects('key-usage', () => validateChain([agreeingCa.certificate, leaf], opts), /a CA needs signature/);
    });

    it('revoked serial: revoked (leading zero bytes do not matter)', () => {
      const { certificate } = ca.issue({ format, serial: fromHex('5a5a') });
      rejects(
        'revoked',
        () => validateChain([certificate], { ...opts, denyList: [fromHex('005a5a')] }),
        /revoked/,
      );
      assert.equal(validateChain([certificate], { ...opts, denyList: [fromHex('5a5b')] }), certificate);
    });

    it('curve mismatch: curve-mismatch', () => {
      const { certificate } = ca.issue({ format, curve: curveByName('brainpoolP256r1') });
      assert.equal(validateChain([certificate], opts).curve.name, 'brainpoolP256r1');
      rejects(
        'curve-mismatch',
        () => validateChain([certificate], { ...opts, expectedCurve: P256 }),
        /brainpoolP256r1/,
      );
    });

    it('empty chain: malformed', () => {
      rejects('malformed', () => validateChain([], opts));
    });
  });
}

describe('verified-certificate cache', () => {
  it('remembers a verified signature per (issuer key, bytes), bounded', () => {
    const cache = new VerifiedCertificateCache(2);
    const opts = { anchors: [ca.anchor], clock, leafUsage: 'keyAgreement' as const, cache };
    const a = ca.issue({ format: 'gp' }).certificate;
    validateChain([a], opts);
    assert.equal(cache.size, 1);
    validateChain([a], opts);
    assert.equal(cache.size, 1);
    validateChain([ca.issue({ format: 'gp' }).certificate], opts);
    validateChain([ca.issue({ format: 'x509' }).certificate], opts);
    assert.equal(cache.size, 2);
    // a failed verification is never cached; dates and revocation are re-checked on a cache hit
    assert.throws(() => validateChain([withBadSignature(a)], opts));
    assert.equal(cache.size, 2);
    const c = ca.issue({ format: 'gp', serial: fromHex('99') }).certificate;
    validateChain([c], opts);
    rejects('revoked', () => validateChain([c], { ...opts, denyList: [fromHex('99')] }));
    assert.equal(toHex(validateChain([c], opts).serial), '99');
  });

  // Issue 11: the CA chain above CERT.SD.ECKA is the same for every card, so its signatures come from the cache
  // after the first session; a cached intermediate must not vouch for one whose bytes differ.
  it('a cached intermediate does not vouch for a changed or forged one', () => {
    const cache = new VerifiedCertificateCache();
    const opts = { anchors: [ca.anchor], clock, leafUsage: 'keyAgreement' as const, cache };
    const sub = ca.issue({ format: 'gp', usage: 'signature' });
    const leafSignedBy = (issuer: EcKeyPair) =>
      decodeCertificate(
        issueGpCertificate({
          issuer,
          serial: Uint8Array.of(0x78),
          keyUsage: 'keyAgreement',
          notAfter: NOT_AFTER,
          subjectPublicKey: ca.issue({ format: 'gp' }).key.publicKey,
          curve: P256,
        }),
      );
    const leaf = leafSignedBy(sub.key);
    assert.equal(validateChain([sub.certificate, leaf], opts), leaf);
    assert.equal(cache.size, 2);
    // the same intermediate with one byte of its signature changed
    rejects('signature', () => validateChain([withBadSignature(sub.certificate), leaf], opts));
    // the intermediate's key swapped for an attacker's, who signs the leaf: same serial, issuer and dates
    const attacker = ca.issue({ format: 'gp', usage: 'signature' }).key;
    const raw = Uint8Array.from(sub.certificate.raw);
    const at = raw.findIndex((_, i) => toHex(raw.subarray(i, i + 65)) === toHex(sub.key.publicKey));
    assert.ok(at > 0);
    raw.set(attacker.publicKey, at);
    const forged = decodeCertificate(raw);
    assert.equal(toHex(forged.publicKey), toHex(attacker.publicKey));
    rejects('signature', () => validateChain([forged, leafSignedBy(attacker)], opts));
    // the genuine chain still validates from the cache
    assert.equal(validateChain([sub.certificate, leaf], opts), leaf);
  });

  it('keys an entry by the issuer key and the certificate apart, not by their concatenation', () => {
    const a = ca.issue({ format: 'gp' }).certificate;
    const key = VerifiedCertificateCache.key(ca.anchor, a);
    assert.match(key, /^[0-9a-f]{64}$/);
    const shifted = { ...a, raw: a.raw.subarray(1) };
    const longer = { publicKey: Uint8Array.of(...ca.anchor.publicKey, a.raw[0]) };
    assert.notEqual(VerifiedCertificateCache.key(longer, shifted), key);
    assert.equal(VerifiedCertificateCache.key(ca.anchor, a), key);
  });
});
