// Elliptic-curve keys, ECDH (SEC 1 3.3.1, x-coordinate) and ECDSA (FIPS 186-4 6) over node:crypto on the six
// curves of curves.ts; key encodings SEC 1 C.4 (ECPrivateKey), RFC 5208 PKCS#8, RFC 5480 SubjectPublicKeyInfo.
import {
  createECDH,
  createPrivateKey,
  createPublicKey,
  sign as nodeSign,
  verify as nodeVerify,
  ECDH,
  type ECDH as EcdhObject,
  type KeyObject,
} from 'node:crypto';
import { bytesToBigInt, equalBytes, tlv, uintToBytes } from '../bytes/index.js';
import { curveByOid, type Curve } from './curves.js';
import { checkHash, type HashName } from './hash.js';
import { EcKeyObjectCache, privateKeyId } from './ec-key-objects.js';
import type { RandomSource } from './random.js';
import { CryptoError } from './errors.js';
import {
  DER_INTEGER,
  DER_OCTET_STRING,
  DER_OID,
  DER_SEQUENCE,
  derBitString,
  derContextConstructed,
  derOid,
  derReader,
  derSequence,
  derSmallInteger,
  derUnsignedInteger,
  type DerNode,
} from './der.js';

export interface EcKeyPair {
  readonly curve: Curve;
  /** Scalar d, big-endian, fieldSize bytes. */
  readonly privateKey: Uint8Array;
  /** Uncompressed point 04 || X || Y. */
  readonly publicKey: Uint8Array;
}

export type SignatureFormat = 'der' | 'raw';

const EC_PUBLIC_KEY_OID = '1.2.840.10045.2.1'; // RFC 5480 2.1.1 id-ecPublicKey
const UNCOMPRESSED = 0x04;
const MAX_KEYGEN_ATTEMPTS = 64;
/** SEC 1 C.4 ECPrivateKey: [0] parameters, [1] publicKey. */
const TAG_EC_PARAMETERS = derContextConstructed(0);
const TAG_EC_PUBLIC_KEY = derContextConstructed(1);
const DER = derReader((message) => new CryptoError(message));

// ---------------------------------------------------------------------------------------------- key objects

/**
 * The process-wide cache of OpenSSL key objects behind the free functions below (bounded; `size`, `clear()`);
 * whoever owns a key's lifetime can empty it, e.g. after a key change.
 */
export const ecKeyObjects = new EcKeyObjectCache();

function ecdhFor(curve: Curve, privateKey: Uint8Array): EcdhObject {
  return ecKeyObjects.ecdh(privateKeyId(curve, privateKey), () => {
    const e = createECDH(curve.opensslName);
    e.setPrivateKey(privateKey);
    return e;
  });
}

/**
 * Drops the OpenSSL objects kept for this private key (an ephemeral key at the end of its handshake), so the
 * cache does not hold a copy of a scalar the caller wipes; OpenSSL clears the scalar when the object is freed.
 */
export function forgetPrivateKey(curve: Curve, privateKey: Uint8Array): void {
  ecKeyObjects.forgetPrivateKey(curve, privateKey);
}

// ---------------------------------------------------------------------------------------------- points

const orderBytesOf = new Map<Curve, Uint8Array>();

/**
 * 1 <= v <= n-1 for a big-endian integer of fieldSize bytes (a scalar d, an ECDSA r or s; SEC 1 3.2.1,
 * FIPS 186-4 6.4), compared byte-wise in constant time: no BigInt and no early exit on a secret d.
 */
export function isScalarInRange(curve: Curve, v: Uint8Array): boolean {
  let n = orderBytesOf.get(curve);
  if (n === undefined) {
    n = uintToBytes(curve.order, curve.fieldSize);
    orderBytesOf.set(curve, n);
  }
  if (v.length !== n.length) return false;
  let any = 0;
  let borrow = 0;
  for (let i = n.length - 1; i >= 0; i--) {
    any |= v[i];
    borrow = ((v[i] - n[i] - borrow) >> 31) & 1;
  }
  return any !== 0 && borrow === 1;
}

/** Throws unless d is fieldSize bytes with 1 <= d <= n-1. */
export function checkPrivateKey(curve: Curve, d: Uint8Array): void {
  if (!(d instanceof Uint8Array) || d.length !== curve.fieldSize) {
    throw new CryptoError(`${curve.name} private key must be ${curve.fieldSize} bytes, got ${d?.length}`);
  }
  if (!isScalarInRange(curve, d)) throw new CryptoError(`${curve.name} private key out of range [1, n-1]`);
}

function onCurve(curve: Curve, x: bigint, y: bigint): boolean {
  const { p, a, b } = curve;
  return (y * y - (x * x * x + a * x + b)) % p === 0n;
}

// SEC 1 2.3.4 with the public key validation of SEC 1 3.2.2.1 (cofactor 1, so on-curve means in the group).
/** Checks an uncompressed point (04 || X || Y): length, coordinates < p, on the curve. Returns a copy. */
export function decodePoint(curve: Curve, bytes: Uint8Array): Uint8Array {
  const n = curve.fieldSize;
  if (!(bytes instanceof Uint8Array) || bytes.length !== 1 + 2 * n) {
    throw new CryptoError(
      `${curve.name} point must be ${1 + 2 * n} bytes (uncompressed), got ${bytes?.length}`,
    );
  }
  if (bytes[0] !== UNCOMPRESSED) {
    throw new CryptoError(
      `${curve.name} point: first byte ${bytes[0].toString(16).padStart(2, '0')}, expected 04`,
    );
  }
  const x = bytesToBigInt(bytes.subarray(1, 1 + n));
  const y = bytesToBigInt(bytes.subarray(1 + n));
  if (x >= curve.p || y >= curve.p) throw new CryptoError(`${curve.name} point: coordinate not below p`);
  if (!onCurve(curve, x, y)) throw new CryptoError(`${curve.name} point is not on the curve`);
  return Uint8Array.from(bytes);
}

/** SEC 1 2.3.4: a compressed (02/03 || X) or uncompressed point, returned uncompressed after validation. */
export function decompressPoint(curve: Curve, bytes: Uint8Array): Uint8Array {
  if (
    bytes instanceof Uint8Array &&
    bytes.length === 1 + curve.fieldSize &&
    (bytes[0] === 0x02 || bytes[0] === 0x03)
  ) {
    if (bytesToBigInt(bytes.subarray(1)) >= curve.p) {
      throw new CryptoError(`${curve.name} compressed point: x not below p`);
    }
    let converted: Uint8Array;
    try {
      converted = ECDH.convertKey(bytes, curve.opensslName, undefined, undefined, 'uncompressed') as Buffer;
    } catch {
      throw new CryptoError(`${curve.name} compressed point is not on the curve`);
    }
    return decodePoint(curve, new Uint8Array(converted));
  }
  return decodePoint(curve, bytes);
}

// ---------------------------------------------------------------------------------------------- keys

/** The key pair of scalar d (fieldSize bytes, 1 <= d < n). */
export function keyPairFromPrivate(curve: Curve, d: Uint8Array): EcKeyPair {
  checkPrivateKey(curve, d);
  return keyPairOf(curve, Uint8Array.from(d));
}

/** The key pair of a checked scalar the pair may own. */
function keyPairOf(curve: Curve, d: Uint8Array): EcKeyPair {
  const publicKey = new Uint8Array(ecdhFor(curve, d).getPublicKey());
  return { curve, privateKey: d, publicKey };
}

/** Bits of the top byte of a fieldSize-byte scalar that n leaves unused (7 on P-521, 0 elsewhere). */
function excessTopBits(curve: Curve): number {
  const hex = curve.order.toString(16);
  const bits = 4 * (hex.length - 1) + (32 - Math.clz32(parseInt(hex[0], 16)));
  return 8 * curve.fieldSize - bits;
}

// FIPS 186-4 B.4.2 (testing candidates): d = fieldSize random bytes, excess top bits of P-521 masked, retried
// while d = 0 or d >= n. A FixedRandom holding a valid d therefore reproduces exactly that key.
export function generateKeyPair(curve: Curve, rng: RandomSource): EcKeyPair {
  const topMask = 0xff >> excessTopBits(curve);
  for (let attempt = 0; attempt < MAX_KEYGEN_ATTEMPTS; attempt++) {
    const d = Uint8Array.from(rng.randomBytes(curve.fieldSize));
    d[0] &= topMask;
    if (isScalarInRange(curve, d)) return keyPairOf(curve, d);
    d.fill(0);
  }
  throw new CryptoError(
    `${curve.name} key generation: no valid scalar after ${MAX_KEYGEN_ATTEMPTS} attempts`,
  );
}

// ---------------------------------------------------------------------------------------------- ECDH

/** SEC 1 3.3.1 ECDH primitive: the x-coordinate of d * Q, fieldSize bytes. The peer point is validated first. */
export function ecdh(curve: Curve, privateKey: Uint8Array, peerPublicKey: Uint8Array): Uint8Array {
  checkPrivateKey(curve, privateKey);
  return sharedSecret(curve, ecdhFor(curve, privateKey), peerPublicKey);
}

/**
 * SEC 1 3.3.1 with the private key already in `context`: the peer point validated, then the x-coordinate of
 * d * Q left-padded to fieldSize bytes (OpenSSL drops leading zero bytes). The form (uncompressed, length) is
 * checked here; OpenSSL's decoding of the point (EC_POINT_oct2point) checks the rest of SEC 1 3.2.2.1 (x, y
 * below p, on the curve) before any multiplication, and a point it refuses goes through decodePoint for the
 * reason. So a valid point is checked once, not once in BigInt arithmetic and again in OpenSSL.
 */
export function sharedSecret(curve: Curve, context: EcdhObject, peerPublicKey: Uint8Array): Uint8Array {
  const n = curve.fieldSize;
  if (
    !(peerPublicKey instanceof Uint8Array) ||
    peerPublicKey.length !== 1 + 2 * n ||
    peerPublicKey[0] !== UNCOMPRESSED
  ) {
    decodePoint(curve, peerPublicKey); // throws the reason: length or form
    throw new CryptoError(`${curve.name} point: not an uncompressed point`);
  }
  let z: Uint8Array;
  try {
    z = context.computeSecret(peerPublicKey);
  } catch {
    decodePoint(curve, peerPublicKey); // throws the reason: a coordinate not below p, or not on the curve
    throw new CryptoError(`${curve.name} ECDH failed`);
  }
  if (z.length === curve.fieldSize) return new Uint8Array(z.buffer, z.byteOffset, z.byteLength);
  const out = new Uint8Array(curve.fieldSize);
  out.set(z, curve.fieldSize - z.length);
  return out;
}

// ---------------------------------------------------------------------------------------------- DER encodings

function algorithmIdentifier(curve: Curve): Uint8Array {
  return derSequence(derOid(EC_PUBLIC_KEY_OID), derOid(curve.oid));
}

// SEC 1 C.4 ECPrivateKey { version 1, privateKey, [0] parameters OPTIONAL, [1] publicKey OPTIONAL }
// (inside PKCS#8 the curve is in the AlgorithmIdentifier, so [0] is left out, as OpenSSL does)
function sec1PrivateKey(kp: EcKeyPair): Uint8Array {
  return derSequence(
    derSmallInteger(1),
    tlv(DER_OCTET_STRING, kp.privateKey),
    tlv(TAG_EC_PUBLIC_KEY, derBitString(kp.publicKey)),
  );
}

// RFC 5208 5 PrivateKeyInfo { version 0, AlgorithmIdentifier, OCTET STRING ECPrivateKey }
function pkcs8PrivateKey(kp: EcKeyPair): Uint8Array {
  return derSequence(
    derSmallInteger(0),
    algorithmIdentifier(kp.curve),
    tlv(DER_OCTET_STRING, sec1PrivateKey(kp)),
  );
}

/** RFC 5480 2 SubjectPublicKeyInfo of an uncompressed point. */
export function exportPublicKeySpki(curve: Curve, publicKey: Uint8Array): Uint8Array {
  return derSequence(algorithmIdentifier(curve), derBitString(decodePoint(curve, publicKey)));
}

function curveOfAlgorithm(node: DerNode, context: string): Curve {
  const parts = DER.derSequenceOf(node, context);
  if (parts.length !== 2 || parts[0].tag !== DER_OID || parts[1].tag !== DER_OID) {
    throw new CryptoError(`${context}: AlgorithmIdentifier must name id-ecPublicKey and a named curve`);
  }
  const algorithm = DER.readOid(parts[0], context);
  if (algorithm !== EC_PUBLIC_KEY_OID) {
    throw new CryptoError(`${context}: not an EC key (algorithm ${algorithm})`);
  }
  return curveOfOid(parts[1], context);
}

function curveOfOid(node: DerNode, context: string): Curve {
  const oid = DER.readOid(node, context);
  try {
    return curveByOid(oid);
  } catch (e) {
    throw new CryptoError(`${context}: ${(e as Error).message}`);
  }
}

/** The elements of the one SEQUENCE that `der` must be. */
function sequenceOf(der: Uint8Array, context: string): DerNode[] {
  return DER.derSequenceOf(DER.decodeDer(der, context), context);
}

export function importPublicKeySpki(spki: Uint8Array | string): { curve: Curve; publicKey: Uint8Array } {
  const der = typeof spki === 'string' ? pemBody(spki, ['PUBLIC KEY']).der : spki;
  const context = 'SubjectPublicKeyInfo';
  const parts = sequenceOf(der, context);
  if (parts.length !== 2 || parts[0].tag !== DER_SEQUENCE) {
    throw new CryptoError(`${context}: expected AlgorithmIdentifier and BIT STRING`);
  }
  const curve = curveOfAlgorithm(parts[0], context);
  return { curve, publicKey: decompressPoint(curve, DER.readBitStringBytes(parts[1], context)) };
}

/** The version of a key: an INTEGER of one byte, or -1. */
function keyVersion(node: DerNode | undefined): number {
  return node?.tag === DER_INTEGER && node.value.length === 1 ? node.value[0] : -1;
}

function parseSec1(der: Uint8Array, outerCurve: Curve | undefined, context: string): EcKeyPair {
  const parts = sequenceOf(der, context);
  if (parts.length < 2 || parts[0].tag !== DER_INTEGER || parts[1].tag !== DER_OCTET_STRING) {
    throw new CryptoError(`${context}: expected version and privateKey`);
  }
  if (keyVersion(parts[0]) !== 1) {
    throw new CryptoError(`${context}: version must be 1`);
  }
  let curve = outerCurve;
  let embeddedPublic: Uint8Array | undefined;
  for (const p of parts.slice(2)) {
    if (p.tag === TAG_EC_PARAMETERS) {
      const named = curveOfOid(DER.decodeDer(p.value, context), context);
      if (curve !== undefined && curve !== named) {
        throw new CryptoError(`${context}: curve parameters disagree`);
      }
      curve = named;
    } else if (p.tag === TAG_EC_PUBLIC_KEY) {
      embeddedPublic = DER.readBitStringBytes(DER.decodeDer(p.value, context), context);
    } else {
      throw new CryptoError(`${context}: unexpected element with tag ${p.tag.toString(16)}`);
    }
  }
  if (curve === undefined) throw new CryptoError(`${context}: no named curve in the key`);
  const d = parts[1].value;
  if (d.length > curve.fieldSize) {
    throw new CryptoError(`${context}: private key longer than ${curve.fieldSize} bytes`);
  }
  const padded = new Uint8Array(curve.fieldSize);
  padded.set(d, curve.fieldSize - d.length);
  const kp = keyPairFromPrivate(curve, padded);
  if (embeddedPublic !== undefined && !equalBytes(decompressPoint(curve, embeddedPublic), kp.publicKey)) {
    throw new CryptoError(`${context}: embedded public key does not match the private key`);
  }
  return kp;
}

function parsePkcs8(der: Uint8Array): EcKeyPair {
  const context = 'PKCS#8 PrivateKeyInfo';
  const parts = sequenceOf(der, context);
  if (
    parts.length < 3 ||
    parts[0].tag !== DER_INTEGER ||
    parts[1].tag !== DER_SEQUENCE ||
    parts[2].tag !== DER_OCTET_STRING
  ) {
    throw new CryptoError(`${context}: expected version, AlgorithmIdentifier and privateKey`);
  }
  const curve = curveOfAlgorithm(parts[1], context);
  return parseSec1(parts[2].value, curve, 'PKCS#8 ECPrivateKey');
}

function pemBody(text: string, labels: string[]): { label: string; der: Uint8Array } {
  for (const m of text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g)) {
    if (labels.includes(m[1])) {
      const body = m[2].replace(/\s+/g, '');
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) throw new CryptoError(`PEM ${m[1]}: invalid base64`);
      return { label: m[1], der: new Uint8Array(Buffer.from(body, 'base64')) };
    }
  }
  throw new CryptoError(`no PEM block ${labels.map((l) => `"${l}"`).join(' or ')} found`);
}

/** PKCS#8 or SEC 1 EC private key, PEM or DER, on one of the six curves. */
export function importPrivateKey(pemOrDer: string | Uint8Array): EcKeyPair {
  if (typeof pemOrDer === 'string') {
    const { label, der } = pemBody(pemOrDer, ['PRIVATE KEY', 'EC PRIVATE KEY']);
    return label === 'PRIVATE KEY' ? parsePkcs8(der) : parseSec1(der, undefined, 'SEC 1 ECPrivateKey');
  }
  // DER: PKCS#8 starts SEQUENCE { INTEGER 0, SEQUENCE ...}, SEC 1 starts SEQUENCE { INTEGER 1, OCTET STRING ...}.
  const version = keyVersion(sequenceOf(pemOrDer, 'EC private key')[0]);
  if (version === 0) return parsePkcs8(pemOrDer);
  if (version === 1) return parseSec1(pemOrDer, undefined, 'SEC 1 ECPrivateKey');
  throw new CryptoError('EC private key: neither PKCS#8 (version 0) nor SEC 1 (version 1)');
}

export function exportPrivateKeyPkcs8(kp: EcKeyPair): Uint8Array {
  checkPrivateKey(kp.curve, kp.privateKey);
  return pkcs8PrivateKey(kp);
}

export function exportPrivateKeyPem(kp: EcKeyPair): string {
  return toPem('PRIVATE KEY', exportPrivateKeyPkcs8(kp));
}

export function toPem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

// ---------------------------------------------------------------------------------------------- ECDSA

function signingKey(curve: Curve, privateKey: Uint8Array): KeyObject {
  return ecKeyObjects.signingKey(privateKeyId(curve, privateKey), () => {
    const kp = keyPairFromPrivate(curve, privateKey);
    return createPrivateKey({ key: Buffer.from(pkcs8PrivateKey(kp)), format: 'der', type: 'pkcs8' });
  });
}

function verifyingKey(curve: Curve, publicKey: Uint8Array): KeyObject {
  return ecKeyObjects.verifyingKey(curve, publicKey, () =>
    createPublicKey({ key: Buffer.from(exportPublicKeySpki(curve, publicKey)), format: 'der', type: 'spki' }),
  );
}

/** FIPS 186-4 6.4 ECDSA signature over `message` (hashed with `hash`), DER (RFC 3279 Ecdsa-Sig-Value) or raw r||s. */
export function ecdsaSign(
  curve: Curve,
  privateKey: Uint8Array,
  message: Uint8Array,
  options: { hash?: HashName; format?: SignatureFormat } = {},
): Uint8Array {
  checkPrivateKey(curve, privateKey);
  const dsaEncoding = options.format === 'raw' ? 'ieee-p1363' : 'der';
  const sig = nodeSign(checkHash(options.hash ?? 'sha256'), message, {
    key: signingKey(curve, privateKey),
    dsaEncoding,
  });
  return new Uint8Array(sig.buffer, sig.byteOffset, sig.byteLength);
}

/**
 * FIPS 186-4 6.4 ECDSA verification. The signature may be DER or raw r||s (detected: a well-formed DER
 * SEQUENCE of two INTEGERs is DER, otherwise 2 x fieldSize bytes is raw). A malformed signature verifies false;
 * an invalid public key throws CryptoError.
 */
export function ecdsaVerify(
  curve: Curve,
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
  hash: HashName = 'sha256',
): boolean {
  checkHash(hash);
  const key = verifyingKey(curve, publicKey);
  let raw: Uint8Array;
  try {
    raw = derToRaw(signature, curve);
  } catch {
    if (signature.length !== 2 * curve.fieldSize) return false;
    raw = signature;
  }
  if (
    !isScalarInRange(curve, raw.subarray(0, curve.fieldSize)) ||
    !isScalarInRange(curve, raw.subarray(curve.fieldSize))
  ) {
    return false;
  }
  try {
    return nodeVerify(hash, message, { key, dsaEncoding: 'ieee-p1363' }, raw);
  } catch {
    return false;
  }
}

/** DER Ecdsa-Sig-Value (RFC 3279 2.2.3) to raw r||s, each fieldSize bytes. Throws CryptoError when malformed. */
export function derToRaw(signature: Uint8Array, curve: Curve): Uint8Array {
  const context = 'ECDSA signature';
  const parts = sequenceOf(signature, context);
  if (parts.length !== 2) throw new CryptoError(`${context}: expected SEQUENCE of two INTEGERs`);
  const out = new Uint8Array(2 * curve.fieldSize);
  parts.forEach((p, i) => {
    const v = DER.readUnsignedInteger(p, context);
    if (v.length > curve.fieldSize) {
      throw new CryptoError(`${context}: integer longer than ${curve.fieldSize} bytes`);
    }
    out.set(v, (i + 1) * curve.fieldSize - v.length);
  });
  return out;
}

/** Raw r||s (two equal halves) to DER Ecdsa-Sig-Value. */
export function rawToDer(signature: Uint8Array): Uint8Array {
  if (signature.length === 0 || signature.length % 2 !== 0) {
    throw new CryptoError(`raw ECDSA signature must have two equal halves, got ${signature.length} bytes`);
  }
  const half = signature.length / 2;
  return derSequence(
    derUnsignedInteger(signature.subarray(0, half)),
    derUnsignedInteger(signature.subarray(half)),
  );
}
