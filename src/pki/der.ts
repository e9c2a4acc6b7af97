// A small DER reader and writer (ITU-T X.690 8 and 10) for X.509 certificates and CRLs: low tag numbers only
// (all that RFC 5280 uses), definite minimal lengths; the reader descends one level per call (no recursion). Errors are CertificateError 'malformed'.
import { concatBytes, toHex } from '../bytes/index.js';
import { malformed } from './errors.js';

export const DER_BOOLEAN = 0x01;
export const DER_INTEGER = 0x02;
export const DER_BIT_STRING = 0x03;
export const DER_OCTET_STRING = 0x04;
export const DER_NULL = 0x05;
export const DER_OID = 0x06;
export const DER_UTF8_STRING = 0x0c;
export const DER_PRINTABLE_STRING = 0x13;
export const DER_T61_STRING = 0x14;
export const DER_IA5_STRING = 0x16;
export const DER_UTC_TIME = 0x17;
export const DER_GENERALIZED_TIME = 0x18;
export const DER_BMP_STRING = 0x1e;
export const DER_SEQUENCE = 0x30;
export const DER_SET = 0x31;
/** [n] context-specific constructed (EXPLICIT) and primitive (IMPLICIT) tags. */
export const derContextConstructed = (n: number): number => 0xa0 | n;
export const derContextPrimitive = (n: number): number => 0x80 | n;

export interface DerNode {
  readonly tag: number;
  readonly value: Uint8Array;
  /** The whole element (tag, length, value) as encoded. */
  readonly raw: Uint8Array;
}

function tagHex(tag: number): string {
  return tag.toString(16).toUpperCase().padStart(2, '0');
}

function readElement(bytes: Uint8Array, at: number, context: string): DerNode {
  if (at >= bytes.length) throw malformed(`${context}: DER element expected, input ends`);
  const tag = bytes[at];
  if ((tag & 0x1f) === 0x1f)
    throw malformed(`${context}: high tag number form (${tagHex(tag)}) not allowed here`);
  if (at + 1 >= bytes.length) throw malformed(`${context}: length of tag ${tagHex(tag)} missing`);
  const first = bytes[at + 1];
  let length = first;
  let header = 2;
  if (first === 0x80) throw malformed(`${context}: indefinite length is not DER (tag ${tagHex(tag)})`);
  if (first > 0x80) {
    const n = first & 0x7f;
    if (n > 3) throw malformed(`${context}: length of tag ${tagHex(tag)} has ${n} octets`);
    if (at + 2 + n > bytes.length) throw malformed(`${context}: truncated length of tag ${tagHex(tag)}`);
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + bytes[at + 2 + i];
    if (length < 0x80 || bytes[at + 2] === 0) {
      throw malformed(`${context}: non-minimal length encoding of tag ${tagHex(tag)}`);
    }
    header += n;
  }
  const end = at + header + length;
  if (end > bytes.length) {
    throw malformed(
      `${context}: tag ${tagHex(tag)} declares ${length} bytes, ${bytes.length - at - header} remain`,
    );
  }
  return { tag, value: bytes.subarray(at + header, end), raw: bytes.subarray(at, end) };
}

/** Exactly one DER element filling `bytes`. */
export function decodeDer(bytes: Uint8Array, context = 'DER'): DerNode {
  const node = readElement(bytes, 0, context);
  if (node.raw.length !== bytes.length) {
    throw malformed(`${context}: ${bytes.length - node.raw.length} bytes after the DER element`);
  }
  return node;
}

/** All elements in the content of a constructed node (SEQUENCE, SET, [n] EXPLICIT). */
export function derChildren(node: DerNode, context: string): DerNode[] {
  if ((node.tag & 0x20) === 0) throw malformed(`${context}: tag ${tagHex(node.tag)} is not constructed`);
  const out: DerNode[] = [];
  let at = 0;
  while (at < node.value.length) {
    const child = readElement(node.value, at, context);
    out.push(child);
    at += child.raw.length;
  }
  return out;
}

export function expectTag(node: DerNode | undefined, tag: number, context: string): DerNode {
  if (node === undefined) throw malformed(`${context}: missing (tag ${tagHex(tag)} expected)`);
  if (node.tag !== tag)
    throw malformed(`${context}: tag ${tagHex(node.tag)} where ${tagHex(tag)} was expected`);
  return node;
}

/** The elements of a SEQUENCE (or another constructed tag), checked for count. */
export function derSequenceOf(
  node: DerNode | undefined,
  context: string,
  min = 0,
  max = Infinity,
): DerNode[] {
  const seq = expectTag(node, DER_SEQUENCE, context);
  const items = derChildren(seq, context);
  if (items.length < min || items.length > max) {
    throw malformed(
      `${context}: ${items.length} elements, expected ${min}${max === Infinity ? '+' : `..${max}`}`,
    );
  }
  return items;
}

// X.690 8.19: OBJECT IDENTIFIER as a dotted string
export function readOid(node: DerNode | undefined, context: string): string {
  const v = expectTag(node, DER_OID, context).value;
  if (v.length === 0 || (v[v.length - 1] & 0x80) !== 0) throw malformed(`${context}: truncated OID`);
  const arcs: number[] = [];
  let arc = 0;
  let start = true;
  for (const b of v) {
    if (start && b === 0x80) throw malformed(`${context}: non-minimal OID arc`);
    if (arc > 2 ** 45) throw malformed(`${context}: OID arc too large`);
    arc = arc * 128 + (b & 0x7f);
    start = (b & 0x80) === 0;
    if (start) {
      arcs.push(arc);
      arc = 0;
    }
  }
  const first = arcs[0] < 40 ? 0 : arcs[0] < 80 ? 1 : 2;
  return [first, arcs[0] - first * 40, ...arcs.slice(1)].join('.');
}

/** INTEGER content as an unsigned magnitude: one leading 00 sign byte removed. */
export function readUnsignedInteger(node: DerNode | undefined, context: string): Uint8Array {
  const v = expectTag(node, DER_INTEGER, context).value;
  if (v.length === 0) throw malformed(`${context}: empty INTEGER`);
  if (v.length > 1 && ((v[0] === 0 && (v[1] & 0x80) === 0) || (v[0] === 0xff && (v[1] & 0x80) !== 0))) {
    throw malformed(`${context}: non-minimal INTEGER`);
  }
  return v.length > 1 && v[0] === 0 ? v.subarray(1) : v;
}

export function readSmallInteger(node: DerNode | undefined, context: string): number {
  const v = readUnsignedInteger(node, context);
  if (v.length > 4 || (v[0] & 0x80) !== 0) throw malformed(`${context}: INTEGER out of range`);
  let n = 0;
  for (const b of v) n = n * 256 + b;
  return n;
}

/** BIT STRING content: the bits (unused trailing bits must be zero as DER requires). */
export function readBitString(
  node: DerNode | undefined,
  context: string,
): { bytes: Uint8Array; unusedBits: number } {
  const v = expectTag(node, DER_BIT_STRING, context).value;
  if (v.length === 0 || v[0] > 7 || (v.length === 1 && v[0] !== 0))
    throw malformed(`${context}: bad BIT STRING`);
  const unusedBits = v[0];
  if (unusedBits > 0 && (v[v.length - 1] & ((1 << unusedBits) - 1)) !== 0) {
    throw malformed(`${context}: BIT STRING unused bits are not zero`);
  }
  return { bytes: v.subarray(1), unusedBits };
}

export function readBoolean(node: DerNode | undefined, context: string): boolean {
  const v = expectTag(node, DER_BOOLEAN, context).value;
  if (v.length !== 1 || (v[0] !== 0 && v[0] !== 0xff))
    throw malformed(`${context}: BOOLEAN must be 00 or FF`);
  return v[0] === 0xff;
}

const TIME_PATTERN = /^(\d{2}|\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;

// RFC 5280 4.1.2.5: UTCTime YYMMDDHHMMSSZ (YY < 50 is 20YY) or GeneralizedTime YYYYMMDDHHMMSSZ
export function readTime(node: DerNode | undefined, context: string): Date {
  if (node === undefined || (node.tag !== DER_UTC_TIME && node.tag !== DER_GENERALIZED_TIME)) {
    throw malformed(`${context}: UTCTime or GeneralizedTime expected`);
  }
  const text = String.fromCharCode(...node.value);
  const m = TIME_PATTERN.exec(text);
  const digitsOk = m !== null && m[1].length === (node.tag === DER_UTC_TIME ? 2 : 4);
  if (!digitsOk) throw malformed(`${context}: bad time ${JSON.stringify(text.slice(0, 20))}`);
  let year = Number(m[1]);
  if (node.tag === DER_UTC_TIME) year += year < 50 ? 2000 : 1900;
  const [month, day, hour, minute, second] = [m[2], m[3], m[4], m[5], m[6]].map(Number);
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day ||
    date.getUTCHours() !== hour ||
    date.getUTCMinutes() !== minute ||
    date.getUTCSeconds() !== second
  ) {
    throw malformed(`${context}: invalid date ${text}`);
  }
  return date;
}

/** A directory string (UTF8String, PrintableString, IA5String, T61String, BMPString) as text. */
export function readString(node: DerNode): string {
  switch (node.tag) {
    case DER_UTF8_STRING:
      return new TextDecoder('utf-8', { fatal: false }).decode(node.value);
    case DER_PRINTABLE_STRING:
    case DER_IA5_STRING:
    case DER_T61_STRING:
      return String.fromCharCode(...node.value);
    case DER_BMP_STRING: {
      let s = '';
      for (let i = 0; i + 1 < node.value.length; i += 2)
        s += String.fromCharCode((node.value[i] << 8) | node.value[i + 1]);
      return s;
    }
    default:
      return `#${toHex(node.raw)}`;
  }
}

// ---- writer ----

function encodeLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  if (length <= 0xff) return Uint8Array.of(0x81, length);
  if (length <= 0xffff) return Uint8Array.of(0x82, length >> 8, length & 0xff);
  return Uint8Array.of(0x83, length >> 16, (length >> 8) & 0xff, length & 0xff);
}

/** One DER element; undefined parts are skipped (OPTIONAL fields). */
export function der(tag: number, ...parts: (Uint8Array | undefined)[]): Uint8Array {
  const value = concatBytes(...parts.filter((p): p is Uint8Array => p !== undefined));
  return concatBytes(Uint8Array.of(tag), encodeLength(value.length), value);
}

export const derSequence = (...parts: (Uint8Array | undefined)[]): Uint8Array => der(DER_SEQUENCE, ...parts);
export const derSet = (...parts: (Uint8Array | undefined)[]): Uint8Array => der(DER_SET, ...parts);
export const derNull = (): Uint8Array => Uint8Array.of(DER_NULL, 0);
export const derOctetString = (value: Uint8Array): Uint8Array => der(DER_OCTET_STRING, value);
export const derBoolean = (value: boolean): Uint8Array => Uint8Array.of(DER_BOOLEAN, 1, value ? 0xff : 0);
export const derUtf8String = (text: string): Uint8Array =>
  der(DER_UTF8_STRING, new TextEncoder().encode(text));
export const derPrintableString = (text: string): Uint8Array =>
  der(
    DER_PRINTABLE_STRING,
    Uint8Array.from(text, (c) => c.charCodeAt(0)),
  );

export function derOid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(Number);
  if (arcs.length < 2 || arcs.some((a) => !Number.isSafeInteger(a) || a < 0) || arcs[0] > 2) {
    throw malformed(`bad OID ${dotted}`);
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

export const derSmallInteger = (n: number): Uint8Array => {
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return derUnsignedInteger(Uint8Array.from(bytes));
};

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

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

// RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050
export function derTime(date: Date): Uint8Array {
  const y = date.getUTCFullYear();
  const rest = `${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}${pad(date.getUTCHours())}${pad(
    date.getUTCMinutes(),
  )}${pad(date.getUTCSeconds())}Z`;
  const text = y >= 1950 && y < 2050 ? `${pad(y % 100)}${rest}` : `${pad(y, 4)}${rest}`;
  const tag = y >= 1950 && y < 2050 ? DER_UTC_TIME : DER_GENERALIZED_TIME;
  return der(
    tag,
    Uint8Array.from(text, (c) => c.charCodeAt(0)),
  );
}
