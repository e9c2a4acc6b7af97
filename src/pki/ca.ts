// Issuing certificates: GP 7F21 (GPC Amd F Table 6-12) and X.509 v3 (RFC 5280) for the two SCP11 CAs
// (CA-KLCC signs CERT.SD.ECKA, CA-KLOC signs CERT.OCE.ECKA) and their leaves. Keys, serials, dates come in.
import { ecdsaSign, type Curve, type EcKeyPair } from '../crypto/index.js';
import {
  KEY_USAGE_KEY_AGREEMENT,
  KEY_USAGE_SIGNATURE_VERIFICATION,
  OID_BASIC_CONSTRAINTS,
  OID_KEY_USAGE,
  OID_SUBJECT_KEY_ID,
  X509_KU_CRL_SIGN,
  X509_KU_KEY_AGREEMENT,
  X509_KU_KEY_CERT_SIGN,
} from './constants.js';
import { caKeyId, type KeyUsage } from './certificate.js';
import {
  der,
  derBitString,
  derBoolean,
  derContextConstructed,
  derNamedBits,
  derOctetString,
  derSequence,
  derSmallInteger,
  derTime,
  derUnsignedInteger,
} from './x509-values.js';
import { eidSubjectId } from './eid.js';
import { malformed } from './errors.js';
import { signGpCertificate } from './gp-certificate.js';
import {
  ecdsaWithSha256,
  encodeAuthorityKeyId,
  encodeExtension,
  encodeName,
  encodeSpki,
  type NameInput,
} from './x509.js';

type KeyUsageInput = KeyUsage | typeof KEY_USAGE_KEY_AGREEMENT | typeof KEY_USAGE_SIGNATURE_VERIFICATION;

export interface IssueGpCertificateParams {
  /** The CA's key pair (for a self-signed CA certificate: the subject's own). */
  readonly issuer: EcKeyPair;
  /** Tag 42: SHA-1 of the issuer's point (defaults to that). */
  readonly issuerKeyId?: Uint8Array;
  readonly serial: Uint8Array;
  /** Tag 5F20; defaults to the EID (16 bytes BCD) when `eid` is given, else the subject key id. */
  readonly subjectId?: Uint8Array;
  readonly eid?: string;
  readonly keyUsage: KeyUsageInput;
  readonly notBefore?: Date;
  readonly notAfter: Date;
  readonly subjectPublicKey: Uint8Array;
  readonly curve: Curve;
}

export interface IssueX509CertificateParams extends IssueGpCertificateParams {
  readonly subjectName: string | NameInput;
  /** The issuer's subject name (must match its certificate); defaults to the subject name when self-signed. */
  readonly issuerName?: string | NameInput;
  readonly notBefore: Date;
}

function usageCode(usage: KeyUsageInput): number {
  if (usage === 'keyAgreement' || usage === KEY_USAGE_KEY_AGREEMENT) return KEY_USAGE_KEY_AGREEMENT;
  if (usage === 'signature' || usage === KEY_USAGE_SIGNATURE_VERIFICATION)
    return KEY_USAGE_SIGNATURE_VERIFICATION;
  throw malformed(`key usage ${String(usage)} is neither keyAgreement (0080) nor signature (0082)`);
}

function checkSerial(serial: Uint8Array): void {
  if (serial.length === 0 || serial.length > 20)
    throw malformed(`serial must be 1..20 bytes, got ${serial.length}`);
}

// GPC Amd F Table 6-12: a signed 7F21 certificate
export function issueGpCertificate(p: IssueGpCertificateParams): Uint8Array {
  checkSerial(p.serial);
  return signGpCertificate(
    {
      serial: p.serial,
      caKeyId: p.issuerKeyId ?? caKeyId(p.issuer.publicKey),
      subjectId: p.subjectId ?? (p.eid !== undefined ? eidSubjectId(p.eid) : caKeyId(p.subjectPublicKey)),
      keyUsage: usageCode(p.keyUsage),
      effectiveDate: p.notBefore,
      expirationDate: p.notAfter,
      curve: p.curve,
      publicKey: p.subjectPublicKey,
    },
    p.issuer,
  );
}

const asName = (n: string | NameInput, eid?: string): NameInput =>
  typeof n === 'string'
    ? { commonName: n, serialNumber: eid }
    : eid !== undefined
      ? { ...n, serialNumber: eid }
      : n;

// RFC 5280 4.1 with the extensions of 4.2.1: SKI, AKI, keyUsage (critical), basicConstraints (critical, CAs)
export function issueX509Certificate(p: IssueX509CertificateParams): Uint8Array {
  checkSerial(p.serial);
  if (p.eid !== undefined) eidSubjectId(p.eid); // validates the 32 digits
  const usage = usageCode(p.keyUsage);
  const isCa = usage === KEY_USAGE_SIGNATURE_VERIFICATION;
  const subject = encodeName(asName(p.subjectName, p.eid));
  const issuer = encodeName(
    asName(p.issuerName ?? p.subjectName, p.issuerName === undefined ? p.eid : undefined),
  );
  const extensions = [
    encodeExtension(OID_SUBJECT_KEY_ID, false, derOctetString(caKeyId(p.subjectPublicKey))),
    encodeAuthorityKeyId(p.issuerKeyId ?? caKeyId(p.issuer.publicKey)),
    encodeExtension(
      OID_KEY_USAGE,
      true,
      derNamedBits(isCa ? [X509_KU_KEY_CERT_SIGN, X509_KU_CRL_SIGN] : [X509_KU_KEY_AGREEMENT]),
    ),
    isCa ? encodeExtension(OID_BASIC_CONSTRAINTS, true, derSequence(derBoolean(true))) : undefined,
  ];
  const tbs = derSequence(
    der(derContextConstructed(0), derSmallInteger(2)), // v3
    derUnsignedInteger(p.serial),
    ecdsaWithSha256(),
    issuer,
    derSequence(derTime(p.notBefore), derTime(p.notAfter)),
    subject,
    encodeSpki(p.curve, p.subjectPublicKey),
    der(derContextConstructed(3), derSequence(...extensions)),
  );
  const signature = ecdsaSign(p.issuer.curve, p.issuer.privateKey, tbs, { hash: 'sha256', format: 'der' });
  return derSequence(tbs, ecdsaWithSha256(), derBitString(signature));
}
