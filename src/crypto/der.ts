// ITU-T X.690 8 and 10: the one DER reader and writer (EC keys and signatures here, X.509 certificates and CRLs
// in pki/). Low tag numbers only, definite minimal lengths; the writer is the BER-TLV builder of bytes/ (its
// lengths are already DER's minimal form); the reader descends one level per call and raises the caller's error
// (CryptoError here, CertificateError 'malformed' in pki/).
import { tagName, tlv } from '../bytes/index.js';
import { CryptoError } from './errors.js';

export const DER_BOOLEAN = 0x01;
export const DER_INTEGER = 0x02;
export const DER_BIT_STRING = 0x03;
export const DER_OCTET_STRING = 0x04;
export const DER_NULL = 0x05;
export const DER_OID = 0x06;
export const DER_SEQUENCE = 0x30;
export const DER_SET = 0x31;
/** [n] context-specific constructed (EXPLICIT) and primitive (IMPLICIT) tags. */
export const derContextConstructed = (n: number): number => 0xa0 | n;
export const derContextPrimitive = (n: number): number => 0x80 | n;

const CONSTRUCTED = 0x20;
const HIGH_TAG_NUMBER = 0x1f;
const LONG_LENGTH = 0x80;
const MAX_LENGTH_OCTETS = 3;

export interface DerNode {
  readonly tag: number;
  readonly value: Uint8Array;
  /** The whole element (tag, length, value) as encoded. */
  readonly raw: Uint8Array;
}

/** The DER reader, raising errors made by the caller's `fail` (messages name the context, never a value). */
export interface DerReader {
  /** Exactly one element filling `bytes`. */
  decodeDer(bytes: Uint8Array, context?: string): DerNode;
  /** The elements exactly covering `bytes` (none for an empty input). */
  decodeDerAll(bytes: Uint8Array, context: string): DerNode[];
  /** All elements in the content of a constructed node (SEQUENCE, SET, [n] EXPLICIT). */
  derChildren(node: DerNode, context: string): DerNode[];
  expectTag(node: DerNode | undefined, tag: number, context: string): DerNode;
  /** The elements of a SEQUENCE, checked for count. */
  derSequenceOf(node: DerNode | undefined, context: string, min?: number, max?: number): DerNode[];
  /** X.690 8.19: OBJECT IDENTIFIER as a dotted string. */
  readOid(node: DerNode | undefined, context: string): string;
  /** A non-negative minimal INTEGER as its unsigned magnitude (one leading 00 sign byte removed). */
  readUnsignedInteger(node: DerNode | undefined, context: string): Uint8Array;
  readSmallInteger(node: DerNode | undefined, context: string): number;
  /** BIT STRING content: the bits (unused trailing bits must be zero as DER requires). */
  readBitString(node: DerNode | undefined, context: string): { bytes: Uint8Array; unusedBits: number };
  /** A BIT STRING of whole bytes (keys, signatures). */
  readBitStringBytes(node: DerNode | undefined, context: string): Uint8Array;
  readBoolean(node: DerNode | undefined, context: string): boolean;
}

/** The DER reader whose errors are `fail(message)`. */
export function derReader(fail: (message: string) => Error): DerReader {
  function readElement(bytes: Uint8Array, at: number, context: string): DerNode {
    if (at >= bytes.length) throw fail(`${context}: DER element expected, input ends`);
    const tag = bytes[at];
    if ((tag & HIGH_TAG_NUMBER) === HIGH_TAG_NUMBER)
      throw fail(`${context}: high tag number form (${tagName(tag)}) not allowed here`);
    if (at + 1 >= bytes.length) throw fail(`${context}: length of tag ${tagName(tag)} missing`);
    const first = bytes[at + 1];
    let length = first;
    let header = 2;
    if (first === LONG_LENGTH) throw fail(`${context}: indefinite length is not DER (tag ${tagName(tag)})`);
    if (first > LONG_LENGTH) {
      const n = first & 0x7f;
      if (n > MAX_LENGTH_OCTETS) throw fail(`${context}: length of tag ${tagName(tag)} has ${n} octets`);
      if (at + 2 + n > bytes.length) throw fail(`${context}: truncated length of tag ${tagName(tag)}`);
      length = 0;
      for (let i = 0; i < n; i++) length = length * 256 + bytes[at + 2 + i];
      if (length < LONG_LENGTH || bytes[at + 2] === 0) {
        throw fail(`${context}: non-minimal length encoding of tag ${tagName(tag)}`);
      }
      header += n;
    }
    const end = at + header + length;
    if (end > bytes.length) {
      throw fail(
        `${context}: tag ${tagName(tag)} declares ${length} bytes, ${bytes.length - at - header} remain`,
      );
    }
    return { tag, value: bytes.subarray(at + header, end), raw: bytes.subarray(at, end) };
  }

  function decodeDerAll(bytes: Uint8Array, context: string): DerNode[] {
    const out: DerNode[] = [];
    let at = 0;
    while (at < bytes.length) {
      const node = readElement(bytes, at, context);
      out.push(node);
      at += node.raw.length;
    }
    return out;
  }

  function expectTag(node: DerNode | undefined, tag: number, context: string): DerNode {
    if (node === undefined) throw fail(`${context}: missing (tag ${tagName(tag)} expected)`);
    if (node.tag !== tag)
      throw fail(`${context}: tag ${tagName(node.tag)} where ${tagName(tag)} was expected`);
    return node;
  }

  function derChildren(node: DerNode, context: string): DerNode[] {
    if ((node.tag & CONSTRUCTED) === 0) throw fail(`${context}: tag ${tagName(node.tag)} is not constructed`);
    return decodeDerAll(node.value, context);
  }

  function readUnsignedInteger(node: DerNode | undefined, context: string): Uint8Array {
    const v = expectTag(node, DER_INTEGER, context).value;
    if (v.length === 0) throw fail(`${context}: empty INTEGER`);
    if (v.length > 1 && ((v[0] === 0 && (v[1] & 0x80) === 0) || (v[0] === 0xff && (v[1] & 0x80) !== 0))) {
      throw fail(`${context}: non-minimal INTEGER`);
    }
    if ((v[0] & 0x80) !== 0) throw fail(`${context}: negative INTEGER`);
    return v.length > 1 && v[0] === 0 ? v.subarray(1) : v;
  }

  function readBitString(
    node: DerNode | undefined,
    context: string,
  ): { bytes: Uint8Array; unusedBits: number } {
    const v = expectTag(node, DER_BIT_STRING, context).value;
    if (v.length === 0 || v[0] > 7 || (v.length === 1 && v[0] !== 0))
      throw fail(`${context}: bad BIT STRING`);
    const unusedBits = v[0];
    if (unusedBits > 0 && (v[v.length - 1] & ((1 << unusedBits) - 1)) !== 0) {
      throw fail(`${context}: BIT STRING unused bits are not zero`);
    }
    return { bytes: v.subarray(1), unusedBits };
  }

  return {
    decodeDer(bytes, context = 'DER') {
      const node = readElement(bytes, 0, context);
      if (node.raw.length !== bytes.length) {
        throw fail(`${context}: ${bytes.length - node.raw.length} bytes after the DER element`);
      }
      return node;
    },
    decodeDerAll,
    derChildren,
    expectTag,
    derSequenceOf(node, context, min = 0, max = Infinity) {
      const items = derChildren(expectTag(node, DER_SEQUENCE, context), context);
      if (items.length < min || items.length > max) {
        throw fail(
          `${context}: ${items.length} elements, expected ${min}${max === Infinity ? '+' : `..${max}`}`,
        );
      }
      return items;
    },
    readOid(node, context) {
      const v = expectTag(node, DER_OID, context).value;
      if (v.length === 0 || (v[v.length - 1] & 0x80) !== 0) throw fail(`${context}: truncated OID`);
      const arcs: number[] = [];
      let arc = 0;
      let start = true;
      for (const b of v) {
        if (start && b === 0x80) throw fail(`${context}: non-minimal OID arc`);
        if (arc > 2 ** 45) throw fail(`${context}: OID arc too large`);
        arc = arc * 128 + (b & 0x7f);
        start = (b & 0x80) === 0;
        if (start) {
          arcs.push(arc);
          arc = 0;
        }
      }
      const first = arcs[0] < 40 ? 0 : arcs[0] < 80 ? 1 : 2;
      return [first, arcs[0] - first * 40, ...arcs.slice(1)].join('.');
    },
    readUnsignedInteger,
    readSmallInteger(node, context) {
      const v = readUnsignedInteger(node, context);
      if (v.length > 4 || (v[0] & 0x80) !== 0) throw fail(`${context}: INTEGER out of range`);
      let n = 0;
      for (const b of v) n = n * 256 + b;
      return n;
    },
    readBitString,
    readBitStringBytes(node, context) {
      const { bytes, unusedBits } = readBitString(node, context);
      if (unusedBits !== 0) throw fail(`${context}: BIT STRING with unused bits`);
      return bytes;
    },
    readBoolean(node, context) {
      const v = expectTag(node, DER_BOOLEAN, context).value;
      if (v.length !== 1 || (v[0] !== 0 && v[0] !== 0xff)) throw fail(`${context}: BOOLEAN must be 00 or FF`);
      return v[0] === 0xff;
    },
  };
}

// ---- writer ----

/** One DER element; undefined parts are skipped (OPTIONAL fields). */
export function der(tag: number, ...parts: (Uint8Array | undefined)[]): Uint8Array {
  return tlv(tag, ...parts);
}

export const derSequence = (...parts: (Uint8Array | undefined)[]): Uint8Array => der(DER_SEQUENCE, ...parts);
export const derSet = (...parts: (Uint8Array | undefined)[]): Uint8Array => der(DER_SET, ...parts);
export const derNull = (): Uint8Array => Uint8Array.of(DER_NULL, 0);
export const derOctetString = (value: Uint8Array): Uint8Array => der(DER_OCTET_STRING, value);
export const derBoolean = (value: boolean): Uint8Array => Uint8Array.of(DER_BOOLEAN, 1, value ? 0xff : 0);

// X.690 8.19: the first two arcs in one subidentifier, each in base 128 with the high bit on all but the last
export function derOid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(Number);
  if (arcs.length < 2 || arcs.some((a) => !Number.isSafeInteger(a) || a < 0) || arcs[0] > 2) {
    throw new CryptoError(`bad OID ${dotted}`);
  }
  const out: number[] = [];
  for (const arc of [arcs[0] * 40 + arcs[1], ...arcs.slice(2)]) {
    const groups = [arc % 128];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) groups.unshift((v % 128) | 0x80);
    out.push(...groups);
  }
  return der(DER_OID, Uint8Array.from(out));
}

/** A non-negative INTEGER from its unsigned big-endian magnitude (leading zeros trimmed, sign byte added). */
export function derUnsignedInteger(magnitude: Uint8Array): Uint8Array {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const v = magnitude.length === 0 ? Uint8Array.of(0) : magnitude.subarray(start);
  return der(DER_INTEGER, (v[0] & 0x80) !== 0 ? Uint8Array.of(0) : undefined, v);
}

export function derSmallInteger(n: number): Uint8Array {
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return derUnsignedInteger(Uint8Array.from(bytes));
}

/** A BIT STRING holding whole bytes (keys, signatures). */
export const derBitString = (bytes: Uint8Array): Uint8Array => der(DER_BIT_STRING, Uint8Array.of(0), bytes);

/** A named-bit BIT STRING (X.690 11.2.2: trailing zero bits removed), bits numbered from the MSB of byte 0. */
export function derNamedBits(bits: readonly number[]): Uint8Array {
  const highest = Math.max(...bits);
  const bytes = new Uint8Array((highest >> 3) + 1);
  for (const b of bits) bytes[b >> 3] |= 0x80 >> (b & 7);
  const unused = 7 - (highest & 7);
  return der(DER_BIT_STRING, Uint8Array.of(unused), bytes);
}
