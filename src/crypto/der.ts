// Minimal strict DER (ITU-T X.690 10) for EC keys and signatures: single-byte tags, minimal definite lengths.
// Writing reuses the BER-TLV builder (its lengths are already the minimal DER form).
import { concatBytes, tlv } from '../bytes/index.js';
import { CryptoError } from './errors.js';

export const DER_INTEGER = 0x02;
export const DER_BIT_STRING = 0x03;
export const DER_OCTET_STRING = 0x04;
export const DER_OID = 0x06;
export const DER_SEQUENCE = 0x30;
export const DER_CONTEXT_0 = 0xa0;
export const DER_CONTEXT_1 = 0xa1;

export interface DerElement {
  readonly tag: number;
  readonly value: Uint8Array;
}

/** Reads the elements of `bytes` (which must be exactly covered by them). */
export function readDer(bytes: Uint8Array, context: string): DerElement[] {
  const out: DerElement[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 2 > bytes.length) throw new CryptoError(`${context}: truncated DER at offset ${at}`);
    const tag = bytes[at];
    if ((tag & 0x1f) === 0x1f)
      throw new CryptoError(`${context}: unexpected multi-byte DER tag at offset ${at}`);
    let length = bytes[at + 1];
    let start = at + 2;
    if (length === 0x80) throw new CryptoError(`${context}: indefinite length not allowed in DER`);
    if (length > 0x80) {
      const n = length & 0x7f;
      if (n > 3 || start + n > bytes.length)
        throw new CryptoError(`${context}: bad DER length at offset ${at + 1}`);
      length = 0;
      for (let i = 0; i < n; i++) length = length * 256 + bytes[start + i];
      if (length < 0x80 || (n > 1 && bytes[start] === 0)) {
        throw new CryptoError(`${context}: non-minimal DER length at offset ${at + 1}`);
      }
      start += n;
    }
    if (start + length > bytes.length)
      throw new CryptoError(`${context}: truncated DER value at offset ${at}`);
    out.push({ tag, value: bytes.subarray(start, start + length) });
    at = start + length;
  }
  return out;
}

/** Reads exactly one element with the expected tag. */
export function readOneDer(bytes: Uint8Array, tag: number, context: string): Uint8Array {
  const list = readDer(bytes, context);
  if (list.length !== 1 || list[0].tag !== tag) {
    throw new CryptoError(
      `${context}: expected one DER element with tag ${tag.toString(16).padStart(2, '0')}`,
    );
  }
  return list[0].value;
}

/** Value of a DER INTEGER that must be non-negative and minimal; returned without the sign byte. */
export function unsignedIntegerValue(value: Uint8Array, context: string): Uint8Array {
  if (value.length === 0) throw new CryptoError(`${context}: empty INTEGER`);
  if (value[0] & 0x80) throw new CryptoError(`${context}: negative INTEGER`);
  if (value.length > 1 && value[0] === 0 && (value[1] & 0x80) === 0) {
    throw new CryptoError(`${context}: non-minimal INTEGER`);
  }
  return value[0] === 0 && value.length > 1 ? value.subarray(1) : value;
}

/** DER INTEGER of an unsigned big-endian magnitude (leading zeros stripped, sign byte added). */
export function derUnsignedInteger(magnitude: Uint8Array): Uint8Array {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  const m = magnitude.length === 0 ? Uint8Array.of(0) : magnitude.subarray(i);
  return tlv(DER_INTEGER, m[0] & 0x80 ? Uint8Array.of(0) : undefined, m);
}

export function derSmallInteger(n: number): Uint8Array {
  return tlv(DER_INTEGER, Uint8Array.of(n));
}

export function derOid(oid: string): Uint8Array {
  const arcs = oid.split('.').map((s) => Number(s));
  const body: number[] = [arcs[0] * 40 + arcs[1]];
  const out: number[] = [];
  for (const arc of [...body, ...arcs.slice(2)]) {
    const chunk = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(DER_OID, Uint8Array.from(out));
}

export function oidToString(value: Uint8Array): string {
  const arcs: number[] = [];
  let v = 0;
  for (const b of value) {
    v = v * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      arcs.push(v);
      v = 0;
    }
  }
  if (arcs.length === 0) return '';
  const first = arcs[0] < 80 ? Math.floor(arcs[0] / 40) : 2;
  return [first, arcs[0] - first * 40, ...arcs.slice(1)].join('.');
}

export function derBitString(bytes: Uint8Array): Uint8Array {
  return tlv(DER_BIT_STRING, Uint8Array.of(0), bytes);
}

export function bitStringBytes(value: Uint8Array, context: string): Uint8Array {
  if (value.length === 0 || value[0] !== 0) throw new CryptoError(`${context}: BIT STRING with unused bits`);
  return value.subarray(1);
}

export function derSequence(...parts: Uint8Array[]): Uint8Array {
  return tlv(DER_SEQUENCE, concatBytes(...parts));
}
