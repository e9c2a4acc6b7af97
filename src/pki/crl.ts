// The revocation list a CA publishes (DESIGN.md 4.2 "serial on a CRL the issuer publishes"): an RFC 5280 5.1
// X.509 v2 CRL in DER, signed ECDSA-SHA256 by the CA key, listing revoked serials with their revocation dates,
// with the CA key id (AKI, SHA-1 of the CA point) and a CRL number. `openssl crl -inform DER -text` reads it.
// The same serial list serves GP 7F21 certificates (tag 93 compared as an unsigned integer).
import { toHex } from '../bytes/index.js';
import { CryptoError, ecdsaSign, ecdsaVerify, type Curve, type EcKeyPair } from '../crypto/index.js';
import { OID_AUTHORITY_KEY_ID, OID_CRL_NUMBER, OID_ECDSA_SHA256 } from './constants.js';
import { caKeyId } from './certificate.js';
import {
  der,
  derBitString,
  derChildren,
  derContextConstructed,
  derSequence,
  DER_GENERALIZED_TIME,
  DER_INTEGER,
  DER_SEQUENCE,
  DER_UTC_TIME,
  derSequenceOf,
  derSmallInteger,
  derTime,
  derUnsignedInteger,
  decodeDer,
  expectTag,
  readBitString,
  readOid,
  readSmallInteger,
  readTime,
  readUnsignedInteger,
  type DerNode,
} from './x509-values.js';
import { CertificateError, malformed } from './errors.js';
import {
  ecdsaWithSha256,
  encodeAuthorityKeyId,
  encodeExtension,
  encodeName,
  formatName,
  readName,
  type NameInput,
} from './x509.js';

export interface CrlEntry {
  readonly serial: Uint8Array;
  readonly revocationDate: Date;
}

export interface Crl {
  readonly issuer: string;
  /** AKI: SHA-1 of the issuing CA's point. */
  readonly issuerKeyId?: Uint8Array;
  readonly number: number;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  readonly entries: readonly CrlEntry[];
  /** The revoked serials (the deny list to pass to validateChain). */
  readonly serials: readonly Uint8Array[];
}

export interface SignedCrl extends Crl {
  readonly raw: Uint8Array;
  readonly tbs: Uint8Array;
  readonly signature: Uint8Array;
}

export interface IssueCrlParams {
  readonly issuer: EcKeyPair;
  readonly issuerName: string | NameInput;
  readonly number: number;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  readonly entries: readonly CrlEntry[];
}

// RFC 5280 5.1: CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm, signatureValue }
export function issueCrl(p: IssueCrlParams): Uint8Array {
  const revoked = p.entries.map((e) => derSequence(derUnsignedInteger(e.serial), derTime(e.revocationDate)));
  const tbs = derSequence(
    derSmallInteger(1), // v2
    ecdsaWithSha256(),
    encodeName(typeof p.issuerName === 'string' ? { commonName: p.issuerName } : p.issuerName),
    derTime(p.thisUpdate),
    derTime(p.nextUpdate),
    revoked.length > 0 ? derSequence(...revoked) : undefined,
    der(
      derContextConstructed(0),
      derSequence(
        encodeAuthorityKeyId(caKeyId(p.issuer.publicKey)),
        encodeExtension(OID_CRL_NUMBER, false, derSmallInteger(p.number)),
      ),
    ),
  );
  const signature = ecdsaSign(p.issuer.curve, p.issuer.privateKey, tbs, { hash: 'sha256', format: 'der' });
  return derSequence(tbs, ecdsaWithSha256(), derBitString(signature));
}

function readCrlExtensions(node: DerNode | undefined): { issuerKeyId?: Uint8Array; number: number } {
  const out: { issuerKeyId?: Uint8Array; number: number } = { number: 0 };
  if (node === undefined) return out;
  for (const ext of derSequenceOf(derChildren(node, 'CRL extensions')[0], 'CRL extensions')) {
    const parts = derSequenceOf(ext, 'CRL extension', 2, 3);
    const id = readOid(parts[0], 'CRL extension');
    const inner = expectTag(parts[parts.length - 1], 0x04, 'CRL extension').value;
    if (id === OID_AUTHORITY_KEY_ID) {
      out.issuerKeyId = derSequenceOf(decodeDer(inner, 'CRL AKI'), 'CRL AKI').find(
        (n) => n.tag === 0x80,
      )?.value;
    } else if (id === OID_CRL_NUMBER) {
      out.number = readSmallInteger(decodeDer(inner, 'CRL number'), 'CRL number');
    } else if (parts.length === 3 && parts[1].value[0] === 0xff) {
      throw malformed(`CRL extension ${id} is critical and not understood`);
    }
  }
  return out;
}

export function decodeCrl(bytes: Uint8Array): SignedCrl {
  const context = 'CRL';
  const outer = decodeDer(bytes, context);
  const [tbsNode, sigAlg, sigValue] = derSequenceOf(outer, context, 3, 3);
  const items = derSequenceOf(tbsNode, 'CRL tbsCertList', 4, 7);
  let i = 0;
  if (items[0].tag === DER_INTEGER && readSmallInteger(items[i++], 'CRL version') !== 1)
    throw malformed('CRL: version not v2');
  const alg = readOid(derSequenceOf(items[i++], 'CRL signature', 1, 2)[0], 'CRL signature');
  const outerAlg = readOid(
    derSequenceOf(sigAlg, 'CRL signatureAlgorithm', 1, 2)[0],
    'CRL signatureAlgorithm',
  );
  if (alg !== OID_ECDSA_SHA256 || outerAlg !== alg)
    throw malformed(`CRL: signature algorithm ${alg} is not ecdsa-with-SHA256`);
  const issuer = formatName(readName(items[i++], 'CRL issuer'));
  const thisUpdate = readTime(items[i++], 'CRL thisUpdate');
  const nextUpdate =
    items[i] && (items[i].tag === DER_UTC_TIME || items[i].tag === DER_GENERALIZED_TIME)
      ? readTime(items[i++], 'CRL nextUpdate')
      : undefined;
  const entries: CrlEntry[] = [];
  if (items[i]?.tag === DER_SEQUENCE) {
    for (const entry of derSequenceOf(items[i++], 'CRL revokedCertificates')) {
      const [serial, date] = derSequenceOf(entry, 'CRL entry', 2, 3);
      entries.push({
        serial: readUnsignedInteger(serial, 'CRL entry serial'),
        revocationDate: readTime(date, 'CRL entry date'),
      });
    }
  }
  const extensions = items[i]?.tag === derContextConstructed(0) ? items[i++] : undefined;
  if (i !== items.length) throw malformed('CRL: unexpected element in tbsCertList');
  const signature = readBitString(sigValue, 'CRL signatureValue');
  return {
    issuer,
    ...readCrlExtensions(extensions),
    thisUpdate,
    nextUpdate,
    entries,
    serials: entries.map((e) => e.serial),
    raw: outer.raw,
    tbs: tbsNode.raw,
    signature: signature.bytes,
  };
}

export function verifyCrl(crl: SignedCrl, issuer: { curve: Curve; publicKey: Uint8Array }): boolean {
  try {
    return ecdsaVerify(issuer.curve, issuer.publicKey, crl.tbs, crl.signature, 'sha256');
  } catch (e) {
    if (e instanceof CryptoError) return false;
    throw e;
  }
}

/** Decodes a CRL, checks it is signed by `issuer`, and returns its revoked serials (a deny list). */
export function verifiedCrlSerials(
  bytes: Uint8Array,
  issuer: { curve: Curve; publicKey: Uint8Array },
): Uint8Array[] {
  const crl = decodeCrl(bytes);
  if (!verifyCrl(crl, issuer)) {
    throw new CertificateError(
      'signature',
      `CRL of ${crl.issuer} (number ${crl.number}): signature does not verify`,
    );
  }
  return [...crl.serials];
}

export function describeCrlEntry(entry: CrlEntry): string {
  return `${toHex(entry.serial)} revoked ${entry.revocationDate.toISOString()}`;
}
