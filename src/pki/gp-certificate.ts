// GPC Amd F 6.3, Table 6-12: the GP SCP11 certificate 7F21 {93 42 5F20 95 5F25 5F24 53|73 BF20 7F49 5F37}.
// The signature (5F37) is ECDSA with SHA-256 over the concatenated TLVs inside 7F21 that precede it.
import {
  concatBytes,
  decodeTlv,
  children,
  tlv,
  TlvError,
  tagName,
  bytesToUint,
  uintToBytes,
  type Tlv,
} from '../bytes/index.js';
import {
  curveByGpId,
  decodePoint,
  ecdsaSign,
  ecdsaVerify,
  CryptoError,
  type Curve,
} from '../crypto/index.js';
import {
  KEY_USAGE_KEY_AGREEMENT,
  KEY_USAGE_SIGNATURE_VERIFICATION,
  TAG_AUTHORIZATIONS,
  TAG_CA_KEY_ID,
  TAG_CURVE_ID,
  TAG_DISCRETIONARY,
  TAG_DISCRETIONARY_CONSTRUCTED,
  TAG_EC_POINT,
  TAG_EFFECTIVE_DATE,
  TAG_EXPIRATION_DATE,
  TAG_GP_CERTIFICATE,
  TAG_KEY_USAGE,
  TAG_PUBLIC_KEY,
  TAG_SERIAL,
  TAG_SIGNATURE,
  TAG_SUBJECT_ID,
} from './constants.js';
import { malformed } from './errors.js';
import { decodeGpDate, encodeGpDate } from './gp-date.js';

export interface GpCertificateBody {
  readonly serial: Uint8Array;
  /** 42: the issuing CA's key id (SHA-1 of its uncompressed point). */
  readonly caKeyId: Uint8Array;
  /** 5F20: the EID as 16 bytes BCD for a card, the key id for a CA. */
  readonly subjectId: Uint8Array;
  /** 95: KEY_USAGE_KEY_AGREEMENT (0080) or KEY_USAGE_SIGNATURE_VERIFICATION (0082). */
  readonly keyUsage: number;
  readonly effectiveDate?: Date;
  /** The last day of validity (through 23:59:59.999 UTC when decoded). */
  readonly expirationDate: Date;
  /** 53 (primitive) or 73 (constructed) discretionary data. */
  readonly discretionary?: { readonly constructed: boolean; readonly value: Uint8Array };
  readonly authorizations?: Uint8Array;
  readonly curve: Curve;
  /** 7F49 B0: 04||X||Y. */
  readonly publicKey: Uint8Array;
}

export interface GpCertificate extends GpCertificateBody {
  readonly raw: Uint8Array;
  /** The signed bytes: the TLVs inside 7F21 before 5F37. */
  readonly tbs: Uint8Array;
  /** 5F37 as found: DER or raw r||s. */
  readonly signature: Uint8Array;
}

const KEY_USAGES = [KEY_USAGE_KEY_AGREEMENT, KEY_USAGE_SIGNATURE_VERIFICATION];

// GPC Amd F Table 6-12, in its order
export function encodeGpCertificateBody(body: GpCertificateBody): Uint8Array {
  const disc = body.discretionary;
  return concatBytes(
    tlv(TAG_SERIAL, body.serial),
    tlv(TAG_CA_KEY_ID, body.caKeyId),
    tlv(TAG_SUBJECT_ID, body.subjectId),
    tlv(TAG_KEY_USAGE, uintToBytes(body.keyUsage, 2)),
    body.effectiveDate ? tlv(TAG_EFFECTIVE_DATE, encodeGpDate(body.effectiveDate)) : new Uint8Array(0),
    tlv(TAG_EXPIRATION_DATE, encodeGpDate(body.expirationDate)),
    disc
      ? tlv(disc.constructed ? TAG_DISCRETIONARY_CONSTRUCTED : TAG_DISCRETIONARY, disc.value)
      : new Uint8Array(0),
    body.authorizations ? tlv(TAG_AUTHORIZATIONS, body.authorizations) : new Uint8Array(0),
    tlv(TAG_PUBLIC_KEY, tlv(TAG_EC_POINT, body.publicKey), tlv(TAG_CURVE_ID, Uint8Array.of(body.curve.gpId))),
  );
}

export function encodeGpCertificate(body: GpCertificateBody, signature: Uint8Array): Uint8Array {
  return tlv(TAG_GP_CERTIFICATE, encodeGpCertificateBody(body), tlv(TAG_SIGNATURE, signature));
}

/** Builds and signs a 7F21 certificate with the issuer's private key (ECDSA-SHA256, DER signature). */
export function signGpCertificate(
  body: GpCertificateBody,
  issuer: { curve: Curve; privateKey: Uint8Array },
): Uint8Array {
  if (!KEY_USAGES.includes(body.keyUsage))
    throw malformed(`key usage ${body.keyUsage.toString(16)} is not 0080 or 0082`);
  const tbs = encodeGpCertificateBody(body);
  const signature = ecdsaSign(issuer.curve, issuer.privateKey, tbs, { hash: 'sha256', format: 'der' });
  return tlv(TAG_GP_CERTIFICATE, tbs, tlv(TAG_SIGNATURE, signature));
}

export function verifyGpCertificate(
  cert: GpCertificate,
  issuer: { curve: Curve; publicKey: Uint8Array },
): boolean {
  try {
    return ecdsaVerify(issuer.curve, issuer.publicKey, cert.tbs, cert.signature, 'sha256');
  } catch (e) {
    if (e instanceof CryptoError) return false;
    throw e;
  }
}

function field(fields: Map<number, Tlv>, tag: number, min: number, max: number): Uint8Array {
  const t = fields.get(tag);
  if (t === undefined) throw malformed(`GP certificate: missing tag ${tagName(tag)}`);
  if (t.value.length < min || t.value.length > max) {
    throw malformed(
      `GP certificate: tag ${tagName(tag)} has ${t.value.length} bytes, expected ${min}..${max}`,
    );
  }
  return t.value;
}

const ALLOWED_TAGS = new Set([
  TAG_SERIAL,
  TAG_CA_KEY_ID,
  TAG_SUBJECT_ID,
  TAG_KEY_USAGE,
  TAG_EFFECTIVE_DATE,
  TAG_EXPIRATION_DATE,
  TAG_DISCRETIONARY,
  TAG_DISCRETIONARY_CONSTRUCTED,
  TAG_AUTHORIZATIONS,
  TAG_PUBLIC_KEY,
  TAG_SIGNATURE,
]);

function decodePublicKey(t: Tlv): { curve: Curve; publicKey: Uint8Array } {
  const parts = children(t);
  const point = parts.find((p) => p.tag === TAG_EC_POINT);
  const id = parts.find((p) => p.tag === TAG_CURVE_ID);
  if (point === undefined || id === undefined)
    throw malformed('GP certificate: 7F49 needs B0 (point) and F0 (curve id)');
  if (id.value.length !== 1)
    throw malformed(`GP certificate: curve id F0 has ${id.value.length} bytes, expected 1`);
  let curve: Curve;
  try {
    curve = curveByGpId(id.value[0]);
  } catch {
    throw malformed(`GP certificate: unknown curve id F0 ${tagName(id.value[0])}`);
  }
  try {
    return { curve, publicKey: decodePoint(curve, point.value) };
  } catch (e) {
    if (e instanceof CryptoError)
      throw malformed(`GP certificate: public key is not a point on ${curve.name}`);
    throw e;
  }
}

// GPC Amd F Table 6-12: decode and check structure (not the signature)
export function decodeGpCertificate(bytes: Uint8Array): GpCertificate {
  try {
    const outer = decodeTlv(bytes);
    if (outer.tag !== TAG_GP_CERTIFICATE)
      throw malformed(`GP certificate: tag ${tagName(outer.tag)}, expected 7F21`);
    if (outer.indefinite) throw malformed('GP certificate: indefinite length');
    const list = children(outer);
    const fields = new Map<number, Tlv>();
    for (const t of list) {
      if (!ALLOWED_TAGS.has(t.tag)) throw malformed(`GP certificate: unexpected tag ${tagName(t.tag)}`);
      if (fields.has(t.tag)) throw malformed(`GP certificate: tag ${tagName(t.tag)} appears twice`);
      if (t.indefinite) throw malformed(`GP certificate: tag ${tagName(t.tag)} has an indefinite length`);
      fields.set(t.tag, t);
    }
    const sig = list[list.length - 1];
    if (sig === undefined || sig.tag !== TAG_SIGNATURE)
      throw malformed('GP certificate: signature 5F37 must be last');
    if (fields.has(TAG_DISCRETIONARY) && fields.has(TAG_DISCRETIONARY_CONSTRUCTED)) {
      throw malformed('GP certificate: both 53 and 73 present');
    }
    const keyUsage = bytesToUint(field(fields, TAG_KEY_USAGE, 1, 2));
    if (!KEY_USAGES.includes(keyUsage)) {
      throw malformed(
        `GP certificate: key usage ${keyUsage.toString(16).padStart(4, '0')} is not 0080 or 0082`,
      );
    }
    const effective = fields.get(TAG_EFFECTIVE_DATE);
    const disc = fields.get(TAG_DISCRETIONARY) ?? fields.get(TAG_DISCRETIONARY_CONSTRUCTED);
    const publicKeyTlv = fields.get(TAG_PUBLIC_KEY);
    if (publicKeyTlv === undefined) throw malformed('GP certificate: missing tag 7F49');
    const signature = field(fields, TAG_SIGNATURE, 1, 200);
    const tbsLength = sig.raw.byteOffset - outer.value.byteOffset;
    return {
      serial: field(fields, TAG_SERIAL, 1, 20),
      caKeyId: field(fields, TAG_CA_KEY_ID, 1, 64),
      subjectId: field(fields, TAG_SUBJECT_ID, 1, 64),
      keyUsage,
      effectiveDate: effective
        ? decodeGpDate(effective.value, 'GP certificate effective date 5F25')
        : undefined,
      expirationDate: decodeGpDate(
        field(fields, TAG_EXPIRATION_DATE, 4, 4),
        'GP certificate expiration date 5F24',
        true,
      ),
      discretionary: disc
        ? { constructed: disc.tag === TAG_DISCRETIONARY_CONSTRUCTED, value: disc.value }
        : undefined,
      authorizations: fields.get(TAG_AUTHORIZATIONS)?.value,
      ...decodePublicKey(publicKeyTlv),
      raw: outer.raw,
      tbs: outer.value.subarray(0, tbsLength),
      signature,
    };
  } catch (e) {
    if (e instanceof TlvError) throw malformed(`GP certificate: ${e.message}`);
    throw e;
  }
}
