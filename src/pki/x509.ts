// X.509 v3 certificates with EC keys (RFC 5280 4.1, RFC 5480, RFC 5758): our own DER reading of the fields
// SCP11 needs (serial, names, validity, EC key incl. brainpool, SKI/AKI, keyUsage, basicConstraints), and the
// encoders the CA and the CRL use to write them.
import { curveByOid, decodePoint, CryptoError, type Curve, type HashName } from '../crypto/index.js';
import * as oid from './constants.js';
import {
  DER_OCTET_STRING,
  der,
  derBitString,
  derBoolean,
  derChildren,
  derContextConstructed,
  derContextPrimitive,
  derOctetString,
  derOid,
  derPrintableString,
  DER_BOOLEAN,
  DER_OID,
  DER_SET,
  derSequence,
  derSequenceOf,
  derSet,
  derUtf8String,
  decodeDer,
  expectTag,
  readBitString,
  readBoolean,
  readOid,
  readSmallInteger,
  readString,
  readTime,
  readUnsignedInteger,
  type DerNode,
} from './x509-values.js';
import { malformed } from './errors.js';

export interface NameAttribute {
  readonly oid: string;
  readonly value: string;
}

export interface X509Name {
  readonly attributes: readonly NameAttribute[];
  /** The Name exactly as encoded (issuer of a child must match it byte for byte for OpenSSL). */
  readonly raw: Uint8Array;
}

export interface X509Certificate {
  readonly raw: Uint8Array;
  readonly tbs: Uint8Array;
  /** DER Ecdsa-Sig-Value from the signatureValue BIT STRING. */
  readonly signature: Uint8Array;
  readonly signatureHash: HashName;
  readonly version: number;
  /** Unsigned magnitude of the serialNumber INTEGER. */
  readonly serial: Uint8Array;
  readonly issuer: X509Name;
  readonly subject: X509Name;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly curve: Curve;
  readonly publicKey: Uint8Array;
  readonly subjectKeyIdentifier?: Uint8Array;
  readonly authorityKeyIdentifier?: Uint8Array;
  /** RFC 5280 4.2.1.3 bit numbers that are set; undefined without the extension. */
  readonly keyUsageBits?: ReadonlySet<number>;
  readonly isCa: boolean;
  readonly policies: readonly string[];
}

const SIGNATURE_HASHES: Record<string, HashName> = {
  [oid.OID_ECDSA_SHA256]: 'sha256',
  [oid.OID_ECDSA_SHA384]: 'sha384',
  [oid.OID_ECDSA_SHA512]: 'sha512',
};

const NAME_LABELS: Record<string, string> = {
  [oid.OID_COUNTRY]: 'C',
  [oid.OID_STATE]: 'ST',
  [oid.OID_LOCALITY]: 'L',
  [oid.OID_ORGANIZATION]: 'O',
  [oid.OID_ORGANIZATIONAL_UNIT]: 'OU',
  [oid.OID_COMMON_NAME]: 'CN',
  [oid.OID_SERIAL_NUMBER]: 'serialNumber',
};

/** "C=KR, O=Samsung, CN=..." (RFC 4514 order as written, not reversed: easier to read next to openssl). */
export function formatName(name: X509Name): string {
  return name.attributes.map((a) => `${NAME_LABELS[a.oid] ?? a.oid}=${a.value}`).join(', ');
}

export function nameAttribute(name: X509Name, attributeOid: string): string | undefined {
  return name.attributes.find((a) => a.oid === attributeOid)?.value;
}

// RFC 5280 4.1.2.4 Name ::= SEQUENCE OF RelativeDistinguishedName (SET OF AttributeTypeAndValue)
export function readName(node: DerNode | undefined, context: string): X509Name {
  const attributes: NameAttribute[] = [];
  for (const rdn of derSequenceOf(node, context)) {
    if (rdn.tag !== DER_SET) throw malformed(`${context}: RelativeDistinguishedName must be a SET`);
    for (const atv of derChildren(rdn, context)) {
      const [type, value] = derSequenceOf(atv, context, 2, 2);
      attributes.push({ oid: readOid(type, context), value: readString(value) });
    }
  }
  return { attributes, raw: node!.raw };
}

// RFC 5480 2: SubjectPublicKeyInfo with id-ecPublicKey and a namedCurve
function readSpki(node: DerNode | undefined): { curve: Curve; publicKey: Uint8Array } {
  const context = 'X.509 subjectPublicKeyInfo';
  const [algorithm, key] = derSequenceOf(node, context, 2, 2);
  const [algOid, params] = derSequenceOf(algorithm, context, 1, 2);
  const keyType = readOid(algOid, context);
  if (keyType !== oid.OID_EC_PUBLIC_KEY)
    throw malformed(`${context}: key type ${keyType} is not id-ecPublicKey`);
  if (params === undefined || params.tag !== DER_OID) throw malformed(`${context}: namedCurve OID expected`);
  const curveOid = readOid(params, context);
  let curve: Curve;
  try {
    curve = curveByOid(curveOid);
  } catch {
    throw malformed(`${context}: unsupported curve ${curveOid}`);
  }
  const { bytes, unusedBits } = readBitString(key, context);
  if (unusedBits !== 0) throw malformed(`${context}: public key BIT STRING has unused bits`);
  try {
    return { curve, publicKey: decodePoint(curve, bytes) };
  } catch (e) {
    if (e instanceof CryptoError) throw malformed(`${context}: not an uncompressed point on ${curve.name}`);
    throw e;
  }
}

interface Extensions {
  subjectKeyIdentifier?: Uint8Array;
  authorityKeyIdentifier?: Uint8Array;
  keyUsageBits?: Set<number>;
  isCa: boolean;
  policies: string[];
}

// RFC 5280 4.2: the extensions we understand; an unknown critical extension makes the certificate unusable
function readExtensions(node: DerNode | undefined): Extensions {
  const out: Extensions = { isCa: false, policies: [] };
  if (node === undefined) return out;
  const context = 'X.509 extensions';
  const seen = new Set<string>();
  for (const ext of derSequenceOf(derChildren(node, context)[0], context, 1)) {
    const parts = derSequenceOf(ext, context, 2, 3);
    const extOid = readOid(parts[0], context);
    if (seen.has(extOid)) throw malformed(`${context}: ${extOid} appears twice`);
    seen.add(extOid);
    const critical = parts.length === 3 ? readBoolean(parts[1], context) : false;
    const inner = expectTag(parts[parts.length - 1], DER_OCTET_STRING, context).value;
    const where = `X.509 extension ${extOid}`;
    switch (extOid) {
      case oid.OID_SUBJECT_KEY_ID:
        out.subjectKeyIdentifier = expectTag(decodeDer(inner, where), DER_OCTET_STRING, where).value;
        break;
      case oid.OID_AUTHORITY_KEY_ID: {
        const keyId = derSequenceOf(decodeDer(inner, where), where).find(
          (n) => n.tag === derContextPrimitive(0),
        );
        out.authorityKeyIdentifier = keyId?.value;
        break;
      }
      case oid.OID_KEY_USAGE: {
        const { bytes, unusedBits } = readBitString(decodeDer(inner, where), where);
        const bits = new Set<number>();
        for (let i = 0; i < bytes.length * 8 - unusedBits; i++)
          if (bytes[i >> 3] & (0x80 >> (i & 7))) bits.add(i);
        out.keyUsageBits = bits;
        break;
      }
      case oid.OID_BASIC_CONSTRAINTS: {
        const items = derSequenceOf(decodeDer(inner, where), where, 0, 2);
        out.isCa = items[0]?.tag === DER_BOOLEAN ? readBoolean(items[0], where) : false;
        break;
      }
      case oid.OID_CERTIFICATE_POLICIES:
        for (const info of derSequenceOf(decodeDer(inner, where), where, 1)) {
          out.policies.push(readOid(derSequenceOf(info, where, 1, 2)[0], where));
        }
        break;
      default:
        if (critical) throw malformed(`${where} is critical and not understood`);
    }
  }
  return out;
}

// RFC 5280 4.1: Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }
export function decodeX509(bytes: Uint8Array): X509Certificate {
  const context = 'X.509 certificate';
  const outer = decodeDer(bytes, context);
  const [tbsNode, sigAlg, sigValue] = derSequenceOf(outer, context, 3, 3);
  const tbsItems = derSequenceOf(tbsNode, 'X.509 tbsCertificate', 6, 10);
  let i = 0;
  let version = 1;
  if (tbsItems[0].tag === derContextConstructed(0)) {
    version = readSmallInteger(derChildren(tbsItems[i++], 'X.509 version')[0], 'X.509 version') + 1;
    if (version < 1 || version > 3) throw malformed(`${context}: version ${version}`);
  }
  const serial = readUnsignedInteger(tbsItems[i++], 'X.509 serialNumber');
  if (serial.length > 20) throw malformed(`${context}: serialNumber longer than 20 bytes`);
  const innerAlg = readOid(derSequenceOf(tbsItems[i++], 'X.509 signature', 1, 2)[0], 'X.509 signature');
  const issuer = readName(tbsItems[i++], 'X.509 issuer');
  const [notBeforeNode, notAfterNode] = derSequenceOf(tbsItems[i++], 'X.509 validity', 2, 2);
  const subject = readName(tbsItems[i++], 'X.509 subject');
  const { curve, publicKey } = readSpki(tbsItems[i++]);
  let extensionsNode: DerNode | undefined;
  for (; i < tbsItems.length; i++) {
    const t = tbsItems[i].tag;
    if (t === derContextPrimitive(1) || t === derContextPrimitive(2)) continue; // unique ids (RFC 5280 4.1.2.8)
    if (t !== derContextConstructed(3) || extensionsNode !== undefined || i !== tbsItems.length - 1) {
      throw malformed(`X.509 tbsCertificate: unexpected element with tag ${t.toString(16)}`);
    }
    extensionsNode = tbsItems[i];
  }
  const outerAlg = readOid(
    derSequenceOf(sigAlg, 'X.509 signatureAlgorithm', 1, 2)[0],
    'X.509 signatureAlgorithm',
  );
  if (outerAlg !== innerAlg)
    throw malformed(`${context}: signature algorithms differ (${innerAlg} vs ${outerAlg})`);
  const signatureHash = SIGNATURE_HASHES[outerAlg];
  if (signatureHash === undefined)
    throw malformed(`${context}: signature algorithm ${outerAlg} is not ECDSA-SHA2`);
  const signature = readBitString(sigValue, 'X.509 signatureValue');
  if (signature.unusedBits !== 0) throw malformed(`${context}: signatureValue has unused bits`);
  const ext = readExtensions(extensionsNode);
  return {
    raw: outer.raw,
    tbs: tbsNode.raw,
    signature: signature.bytes,
    signatureHash,
    version,
    serial,
    issuer,
    subject,
    notBefore: readTime(notBeforeNode, 'X.509 notBefore'),
    notAfter: readTime(notAfterNode, 'X.509 notAfter'),
    curve,
    publicKey,
    ...ext,
  };
}

// ---- encoders (RFC 5280 4.1) ----

export interface NameInput {
  readonly commonName: string;
  readonly organization?: string;
  readonly country?: string;
  /** Subject serialNumber (OID 2.5.4.5): the EID for a card's CERT.SD.ECKA. */
  readonly serialNumber?: string;
}

const rdn = (attributeOid: string, value: Uint8Array): Uint8Array =>
  derSet(derSequence(derOid(attributeOid), value));

export function encodeName(name: NameInput): Uint8Array {
  return derSequence(
    name.country !== undefined ? rdn(oid.OID_COUNTRY, derPrintableString(name.country)) : undefined,
    name.organization !== undefined ? rdn(oid.OID_ORGANIZATION, derUtf8String(name.organization)) : undefined,
    rdn(oid.OID_COMMON_NAME, derUtf8String(name.commonName)),
    name.serialNumber !== undefined
      ? rdn(oid.OID_SERIAL_NUMBER, derPrintableString(name.serialNumber))
      : undefined,
  );
}

/** AlgorithmIdentifier ecdsa-with-SHA256 (RFC 5758 3.2: parameters absent). */
export const ecdsaWithSha256 = (): Uint8Array => derSequence(derOid(oid.OID_ECDSA_SHA256));

export function encodeSpki(curve: Curve, publicKey: Uint8Array): Uint8Array {
  return derSequence(derSequence(derOid(oid.OID_EC_PUBLIC_KEY), derOid(curve.oid)), derBitString(publicKey));
}

export function encodeExtension(extensionOid: string, critical: boolean, value: Uint8Array): Uint8Array {
  return derSequence(derOid(extensionOid), critical ? derBoolean(true) : undefined, derOctetString(value));
}

export const encodeAuthorityKeyId = (keyId: Uint8Array): Uint8Array =>
  encodeExtension(oid.OID_AUTHORITY_KEY_ID, false, derSequence(der(derContextPrimitive(0), keyId)));
