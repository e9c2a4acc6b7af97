// Uint8Array discipline: assert-and-return checks, concatenation, comparison, big-endian integers.
import { BytesError } from './errors.js';
import { toHex } from './hex.js';

/** Asserts `value` is a Uint8Array (of one of `lengths`, if given) and returns it. */
export function abytes(value: unknown, label: string, ...lengths: number[]): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new BytesError(`${label}: expected Uint8Array`);
  if (lengths.length > 0 && !lengths.includes(value.length)) {
    throw new BytesError(`${label}: expected ${lengths.join(' or ')} bytes, got ${value.length}`);
  }
  return value;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Plain (not constant-time) equality; for secrets use crypto's `constantTimeEqual`. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function xorBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length !== b.length) throw new BytesError(`xor: lengths differ (${a.length} vs ${b.length})`);
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] ^ b[i];
  return out;
}

/** Overwrites a secret buffer with zeros. */
export function wipe(...buffers: Uint8Array[]): void {
  for (const b of buffers) b.fill(0);
}

/** Copies a Node Buffer (or any view) into a plain Uint8Array that owns its memory. */
export function toUint8Array(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
}

/** Big-endian unsigned integer of `length` bytes. */
export function uintToBytes(value: number | bigint, length: number): Uint8Array {
  let v = BigInt(value);
  if (v < 0n || v >= 1n << BigInt(8 * length)) {
    throw new BytesError(`integer ${value} does not fit in ${length} bytes`);
  }
  const out = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export function bytesToBigInt(bytes: Uint8Array): bigint {
  // one BigInt parse of the hex form: a shift per byte costs several times more on 32-66 byte values
  return bytes.length === 0 ? 0n : BigInt(`0x${toHex(bytes)}`);
}

export function bytesToUint(bytes: Uint8Array): number {
  if (bytes.length > 6) throw new BytesError(`integer of ${bytes.length} bytes exceeds 48 bits`);
  let v = 0;
  for (const b of bytes) v = v * 256 + b;
  return v;
}
