// One format-neutral view of an SCP11 certificate, GP 7F21 (GPC Amd F Table 6-12) or X.509 DER (RFC 5280),
// as DESIGN.md 4.2 accepts both; and the chain as GET DATA BF21 returns it (wrapped or bare).
import { decodeBcd, decodeTlv, equalBytes, decodeTlvs, toHex, TlvError } from '../bytes/index.js';
import { CryptoError, ecdsaVerify, sha1, type Curve, type HashName } from '../crypto/index.js';
import {
  EID_DIGITS,
  KEY_USAGE_KEY_AGREEMENT,
  OID_SERIAL_NUMBER,
  TAG_CERTIFICATE_STORE,
  TAG_GP_CERTIFICATE,
  X509_KU_DIGITAL_SIGNATURE,
  X509_KU_KEY_AGREEMENT,
  X509_KU_KEY_CERT_SIGN,
} from './constants.js';
import { DER_SEQUENCE } from './x509-values.js';
import { CertificateError, malformed } from './errors.js';
import { decodeGpCertificate, type GpCertificate } from './gp-certificate.js';
import { decodeX509, formatName, nameAttribute, type X509Certificate } from './x509.js';

export type KeyUsage = 'keyAgreement' | 'signature';

export interface Certificate {
  readonly format: 'gp' | 'x509';
  readonly raw: Uint8Array;
  readonly serial: Uint8Array;
  /** Readable subject: the X.509 subject DN, or "EID <digits>" / "subject id <hex>" for GP. */
  readonly subject: string;
  /** 32 digits, from 5F20 BCD or the X.509 subject serialNumber. */
  readonly eid?: string;
  /** 42 or the AKI key identifier. */
  readonly issuerKeyId?: Uint8Array;
  /** SHA-1 of the uncompressed public point. */
  readonly subjectKeyId: Uint8Array;
  readonly keyUsage: KeyUsage;
  readonly notBefore?: Date;
  readonly notAfter: Date;
  readonly curve: Curve;
  /** 04||X||Y */
  readonly publicKey: Uint8Array;
  /** The signed bytes. */
  readonly tbs: Uint8Array;
  readonly signature: Uint8Array;
  /** Hash of the signature algorithm (GP: always SHA-256). */
  readonly signatureHash: HashName;
  /** The decoded format-specific fields. */
  readonly gp?: GpCertificate;
  readonly x509?: X509Certificate;
}

// DESIGN.md 4.2: the CA key id is SHA-1 of the CA's uncompressed public point (42, FF33, AKI/SKI)
export function caKeyId(publicKey: Uint8Array): Uint8Array {
  return sha1(publicKey);
}

const isEid = (digits: string): boolean => digits.length === EID_DIGITS && /^[0-9]+$/.test(digits);

function fromGp(gp: GpCertificate): Certificate {
  let eid: string | undefined;
  if (gp.subjectId.length === EID_DIGITS / 2 && gp.subjectId.every((b) => b >> 4 <= 9 && (b & 0x0f) <= 9)) {
    eid = decodeBcd(gp.subjectId);
  }
  const subjectKeyId = caKeyId(gp.publicKey);
  const subject =
    eid !== undefined
      ? `EID ${eid}`
      : equalBytes(gp.subjectId, subjectKeyId)
        ? `CA key id ${toHex(subjectKeyId)}`
        : `subject id ${toHex(gp.subjectId)}`;
  return {
    format: 'gp',
    raw: gp.raw,
    serial: gp.serial,
    subject,
    eid,
    issuerKeyId: gp.caKeyId,
    subjectKeyId,
    keyUsage: gp.keyUsage === KEY_USAGE_KEY_AGREEMENT ? 'keyAgreement' : 'signature',
    notBefore: gp.effectiveDate,
    notAfter: gp.expirationDate,
    curve: gp.curve,
    publicKey: gp.publicKey,
    tbs: gp.tbs,
    signature: gp.signature,
    signatureHash: 'sha256',
    gp,
  };
}

// RFC 5280 4.2.1.3 mapped onto GP's two usages: keyCertSign (CA) or a plain signing key -> 0082, keyAgreement -> 0080
function x509KeyUsage(x: X509Certificate, subject: string): KeyUsage {
  const bits = x.keyUsageBits;
  if (bits === undefined) throw malformed(`X.509 certificate ${subject}: no keyUsage extension`);
  if (bits.has(X509_KU_KEY_CERT_SIGN)) return 'signature';
  if (bits.has(X509_KU_KEY_AGREEMENT)) return 'keyAgreement';
  if (bits.has(X509_KU_DIGITAL_SIGNATURE)) return 'signature';
  throw malformed(`X.509 certificate ${subject}: keyUsage allows neither key agreement nor signing`);
}

function fromX509(x: X509Certificate): Certificate {
  const subject = formatName(x.subject);
  const serialNumber = nameAttribute(x.subject, OID_SERIAL_NUMBER);
  return {
    format: 'x509',
    raw: x.raw,
    serial: x.serial,
    subject,
    eid: serialNumber !== undefined && isEid(serialNumber) ? serialNumber : undefined,
    issuerKeyId: x.authorityKeyIdentifier,
    subjectKeyId: caKeyId(x.publicKey),
    keyUsage: x509KeyUsage(x, subject),
    notBefore: x.notBefore,
    notAfter: x.notAfter,
    curve: x.curve,
    publicKey: x.publicKey,
    tbs: x.tbs,
    signature: x.signature,
    signatureHash: x.signatureHash,
    x509: x,
  };
}

/** One certificate, GP 7F21 or X.509 DER (sniffed from the first byte); CertificateError 'malformed' otherwise. */
export function decodeCertificate(bytes: Uint8Array): Certificate {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) throw malformed('certificate: no bytes');
  if (bytes[0] === TAG_GP_CERTIFICATE >> 8) return fromGp(decodeGpCertificate(bytes));
  if (bytes[0] === DER_SEQUENCE) return fromX509(decodeX509(bytes));
  throw malformed(
    `certificate: first byte ${toHex(bytes.subarray(0, 1))} is neither 7F (GP 7F21) nor 30 (X.509)`,
  );
}

/** Concatenated certificates (the BF21 content, root side first), or the BF21-wrapped form. */
export function decodeCertificates(bytes: Uint8Array): Certificate[] {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) throw malformed('certificate chain: no bytes');
  try {
    let content = bytes;
    if (bytes[0] === TAG_CERTIFICATE_STORE >> 8 && bytes[1] === (TAG_CERTIFICATE_STORE & 0xff)) {
      content = decodeTlv(bytes).value;
    }
    const items = decodeTlvs(content);
    if (items.length === 0) throw malformed('certificate chain: BF21 is empty');
    return items.map((t, i) => {
      try {
        return decodeCertificate(t.raw);
      } catch (e) {
        if (e instanceof CertificateError) throw malformed(`certificate ${i + 1} of the chain: ${e.message}`);
        throw e;
      }
    });
  } catch (e) {
    if (e instanceof TlvError) throw malformed(`certificate chain: ${e.message}`);
    throw e;
  }
}

/** Verifies `cert`'s signature with the issuer's key; false (never an exception) when it does not verify. */
export function verifyCertificateSignature(
  cert: Certificate,
  issuer: { curve: Curve; publicKey: Uint8Array },
): boolean {
  try {
    return ecdsaVerify(issuer.curve, issuer.publicKey, cert.tbs, cert.signature, cert.signatureHash);
  } catch (e) {
    if (e instanceof CryptoError) return false;
    throw e;
  }
}

/** "serial 6dbc... (CN=...)" for messages. */
export function describeCertificate(cert: Certificate): string {
  return `${cert.subject} (serial ${toHex(cert.serial)})`;
}
