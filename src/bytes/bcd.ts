// BCD digit strings: swapped-nibble (TS 31.102 4.2.2 EF.ICCID, TS 24.008 10.5.1.4 IMSI digits)
// and reading-order (GSMA SGP.22 EID in 5F20, GP certificate dates YYYYMMDD).
import { BytesError } from './errors.js';

const DIGIT_0 = 0x30;

/** The value of each decimal digit of `digits` (an ICCID per key update: no regex, no array of strings). */
function digitsOf(digits: string, label: string): Uint8Array {
  const out = new Uint8Array(digits.length);
  for (let i = 0; i < digits.length; i++) {
    const d = digits.charCodeAt(i) - DIGIT_0;
    if (!(d >= 0 && d <= 9)) throw new BytesError(`${label}: only decimal digits allowed`);
    out[i] = d;
  }
  return out;
}

/** Swapped-nibble BCD: the first digit in the low nibble; an odd count is padded with F. */
export function encodeSwappedBcd(digits: string, label = 'digits', byteLength?: number): Uint8Array {
  const d = digitsOf(digits, label);
  const length = byteLength ?? Math.ceil(d.length / 2);
  if (d.length > 2 * length)
    throw new BytesError(`${label}: ${d.length} digits do not fit in ${length} bytes`);
  const out = new Uint8Array(length).fill(0xff);
  for (let i = 0; i < d.length; i++) {
    const byte = i >> 1;
    out[byte] = i % 2 === 0 ? (out[byte] & 0xf0) | d[i] : (out[byte] & 0x0f) | (d[i] << 4);
  }
  return out;
}

/** Inverse of encodeSwappedBcd: reads digits until the first F filler nibble. */
export function decodeSwappedBcd(bytes: Uint8Array, label = 'BCD'): string {
  let s = '';
  for (let i = 0; i < bytes.length * 2; i++) {
    const n = i % 2 === 0 ? bytes[i >> 1] & 0x0f : bytes[i >> 1] >> 4;
    if (n === 0x0f) {
      for (let j = i + 1; j < bytes.length * 2; j++) {
        const m = j % 2 === 0 ? bytes[j >> 1] & 0x0f : bytes[j >> 1] >> 4;
        if (m !== 0x0f) throw new BytesError(`${label}: digit after filler at nibble ${j}`);
      }
      break;
    }
    if (n > 9) throw new BytesError(`${label}: nibble ${n.toString(16)} is not a digit at nibble ${i}`);
    s += String.fromCharCode(0x30 + n);
  }
  return s;
}

/** Reading-order BCD (high nibble first); the digit count must be even. */
export function encodeBcd(digits: string, label = 'digits'): Uint8Array {
  const d = digitsOf(digits, label);
  if (d.length % 2 !== 0) throw new BytesError(`${label}: odd number of digits`);
  const out = new Uint8Array(d.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = (d[2 * i] << 4) | d[2 * i + 1];
  return out;
}

export function decodeBcd(bytes: Uint8Array, label = 'BCD'): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) {
    const hi = bytes[i] >> 4;
    const lo = bytes[i] & 0x0f;
    if (hi > 9 || lo > 9) throw new BytesError(`${label}: byte ${i} is not two BCD digits`);
    s += String.fromCharCode(0x30 + hi, 0x30 + lo);
  }
  return s;
}
