// GPC Amd F 6.4 / DESIGN.md 4.2: certificate chain validation for SCP11. Signatures back to a trusted CA key,
// validity dates against an injected clock, key usage (0082 for CAs, 0080 for the ECKA leaf), revocation
// (deny list of serials), curve of the leaf. Chains are root side first, leaf last.
import { concatBytes, equalBytes, toHex } from '../bytes/index.js';
import { sha256, type Curve } from '../crypto/index.js';
import type { Clock } from '../ports/index.js';
import {
  caKeyId,
  describeCertificate,
  verifyCertificateSignature,
  type Certificate,
  type KeyUsage,
} from './certificate.js';
import { CertificateError } from './errors.js';

export interface TrustAnchor {
  readonly curve: Curve;
  readonly publicKey: Uint8Array;
  /** SHA-1 of the public point (tag 42 / AKI of the certificates it signs). */
  readonly keyId: Uint8Array;
  readonly kvn?: number;
  readonly name?: string;
}

export interface ValidateChainOptions {
  readonly anchors: readonly TrustAnchor[];
  readonly clock: Clock;
  readonly leafUsage: KeyUsage;
  /** Revoked serials (from the issuers' CRLs or the card's deny list). */
  readonly denyList?: readonly Uint8Array[];
  readonly expectedCurve?: Curve;
  /** Where verified signatures are remembered across validations; without one, every signature is checked. */
  readonly cache?: VerifiedCertificateCache;
}

/** Pairs (issuer key, certificate) a default cache keeps. */
export const DEFAULT_VERIFIED_CERTIFICATES = 1024;

/**
 * Remembers (issuer key, certificate bytes) pairs whose signature verified, by SHA-256 of the two. An explicit
 * object: whoever validates chains repeatedly (a server's session configuration, a security domain) creates
 * one and shares it; bounded, oldest out first, with a size and clear().
 */
export class VerifiedCertificateCache {
  readonly #entries = new Set<string>();

  /** `limit`: the most pairs kept; one more drops the oldest. */
  constructor(readonly limit: number = DEFAULT_VERIFIED_CERTIFICATES) {}

  /** The entry of `cert` signed by `issuer`: SHA-256(key length (2 bytes) || issuer key || certificate), hex. */
  static key(issuer: { publicKey: Uint8Array }, cert: Certificate): string {
    const { publicKey } = issuer;
    const length = Uint8Array.of(publicKey.length >> 8, publicKey.length & 0xff);
    return toHex(sha256(concatBytes(length, publicKey, cert.raw)));
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }

  add(key: string): void {
    if (this.#entries.has(key)) return;
    if (this.#entries.size >= this.limit) this.#entries.delete(this.#entries.values().next().value as string);
    this.#entries.add(key);
  }

  get size(): number {
    return this.#entries.size;
  }

  clear(): void {
    this.#entries.clear();
  }
}

function signedBy(
  cert: Certificate,
  issuer: { curve: Curve; publicKey: Uint8Array },
  cache: VerifiedCertificateCache | undefined,
) {
  if (cache === undefined) return verifyCertificateSignature(cert, issuer);
  const key = VerifiedCertificateCache.key(issuer, cert);
  if (cache.has(key)) return true;
  const ok = verifyCertificateSignature(cert, issuer);
  if (ok) cache.add(key);
  return ok;
}

/** Serials compare as unsigned integers: leading zero bytes are not significant (INTEGER vs tag 93). */
function sameSerial(a: Uint8Array, b: Uint8Array): boolean {
  const strip = (s: Uint8Array) => {
    let i = 0;
    while (i < s.length - 1 && s[i] === 0) i++;
    return s.subarray(i);
  };
  return equalBytes(strip(a), strip(b));
}

function isSelfIssued(cert: Certificate): boolean {
  return cert.issuerKeyId !== undefined && equalBytes(cert.issuerKeyId, cert.subjectKeyId);
}

function anchorName(anchor: TrustAnchor): string {
  return anchor.name ?? `CA key id ${toHex(anchor.keyId)}`;
}

function checkValidity(cert: Certificate, now: Date): void {
  if (cert.notBefore !== undefined && now.getTime() < cert.notBefore.getTime()) {
    throw new CertificateError(
      'not-yet-valid',
      `certificate ${describeCertificate(cert)} is not valid before ${cert.notBefore.toISOString()}`,
    );
  }
  if (now.getTime() > cert.notAfter.getTime()) {
    throw new CertificateError(
      'expired',
      `certificate ${describeCertificate(cert)} expired ${cert.notAfter.toISOString()}`,
    );
  }
}

function checkUsage(cert: Certificate, usage: KeyUsage, role: string): void {
  if (cert.keyUsage !== usage) {
    throw new CertificateError(
      'key-usage',
      `certificate ${describeCertificate(cert)} has key usage ${cert.keyUsage}, ${role} needs ${usage}`,
    );
  }
}

function checkRevoked(cert: Certificate, denyList: readonly Uint8Array[]): void {
  if (denyList.some((s) => sameSerial(s, cert.serial))) {
    throw new CertificateError('revoked', `certificate ${describeCertificate(cert)} is revoked`);
  }
}

/** The anchor that signed `first`: by its issuer key id (42 / AKI), or, without one, the anchor whose key verifies. */
function findAnchor(
  first: Certificate,
  anchors: readonly TrustAnchor[],
  cache: VerifiedCertificateCache | undefined,
): TrustAnchor {
  const byId =
    first.issuerKeyId !== undefined ? anchors.filter((a) => equalBytes(a.keyId, first.issuerKeyId!)) : [];
  const candidates = byId.length > 0 ? byId : first.issuerKeyId === undefined ? anchors : [];
  if (candidates.length === 0) {
    throw new CertificateError(
      'untrusted',
      `certificate ${describeCertificate(first)} is issued by CA key id ${toHex(first.issuerKeyId!)}, which is not trusted`,
    );
  }
  const anchor = candidates.find((a) => signedBy(first, a, cache));
  if (anchor === undefined) {
    throw new CertificateError(
      byId.length > 0 ? 'signature' : 'untrusted',
      byId.length > 0
        ? `certificate ${describeCertificate(first)}: signature does not verify with ${anchorName(byId[0])}`
        : `certificate ${describeCertificate(first)} has no issuer key id and no trusted CA key verifies it`,
    );
  }
  return anchor;
}

// GPC Amd F 6.4: verify the chain from a trusted CA key down to the leaf; returns the verified leaf
export function validateChain(chain: readonly Certificate[], opts: ValidateChainOptions): Certificate {
  if (chain.length === 0) throw new CertificateError('malformed', 'certificate chain is empty');
  const { cache } = opts;
  const denyList = opts.denyList ?? [];
  const now = opts.clock.now();
  let rest = chain;
  // A self-signed root in the chain is accepted when its key is one of the anchors: it adds nothing but is checked.
  if (chain.length > 1 && isSelfIssued(chain[0])) {
    const root = chain[0];
    const anchor = opts.anchors.find((a) => equalBytes(a.publicKey, root.publicKey));
    if (anchor === undefined) {
      throw new CertificateError(
        'untrusted',
        `root certificate ${describeCertificate(root)} is not a trusted CA key`,
      );
    }
    if (!signedBy(root, anchor, cache)) {
      throw new CertificateError(
        'signature',
        `root certificate ${describeCertificate(root)}: self-signature does not verify`,
      );
    }
    checkValidity(root, now);
    checkUsage(root, 'signature', 'a CA');
    checkRevoked(root, denyList);
    rest = chain.slice(1);
  }
  let issuer: { curve: Curve; publicKey: Uint8Array } = findAnchor(rest[0], opts.anchors, cache);
  rest.forEach((cert, i) => {
    const isLeaf = i === rest.length - 1;
    if (i > 0 && !signedBy(cert, issuer, cache)) {
      throw new CertificateError(
        'signature',
        `certificate ${describeCertificate(cert)}: signature does not verify with the key of ${describeCertificate(rest[i - 1])}`,
      );
    }
    checkValidity(cert, now);
    checkUsage(cert, isLeaf ? opts.leafUsage : 'signature', isLeaf ? 'the leaf' : 'a CA');
    checkRevoked(cert, denyList);
    issuer = cert;
  });
  const leaf = rest[rest.length - 1];
  if (opts.expectedCurve !== undefined && leaf.curve.name !== opts.expectedCurve.name) {
    throw new CertificateError(
      'curve-mismatch',
      `certificate ${describeCertificate(leaf)} has a ${leaf.curve.name} key, ${opts.expectedCurve.name} expected`,
    );
  }
  return leaf;
}

/** A trust anchor from a CA's public key; its key id is SHA-1 of the point (DESIGN.md 4.2). */
export function trustAnchor(
  curve: Curve,
  publicKey: Uint8Array,
  extra: { kvn?: number; name?: string } = {},
): TrustAnchor {
  return { curve, publicKey, keyId: caKeyId(publicKey), ...extra };
}

/** A trust anchor from a CA certificate the relying party already trusts (e.g. CERT.CA-KLCC from a config file). */
export function anchorFromCertificate(
  cert: Certificate,
  extra: { kvn?: number; name?: string } = {},
): TrustAnchor {
  return trustAnchor(cert.curve, cert.publicKey, { name: cert.subject, ...extra });
}
