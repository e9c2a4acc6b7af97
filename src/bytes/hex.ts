// Hex at the edges: lowercase out, either case in.
import { BytesError } from './errors.js';

const HEX_OUT = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += HEX_OUT[b];
  return s;
}

function nibble(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  return -1;
}

/**
 * Parses hex (either case; spaces and colons between bytes are allowed).
 * `label` names the field in the error; the input itself is never echoed, as it may be a key.
 */
export function fromHex(text: string, label = 'hex', ...lengths: number[]): Uint8Array {
  const s = text.replace(/[\s:]/g, '');
  if (s.length % 2 !== 0) throw new BytesError(`${label}: odd number of hex digits (${s.length})`);
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = nibble(s.charCodeAt(2 * i));
    const lo = nibble(s.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0)
      throw new BytesError(`${label}: not a hex digit at position ${2 * i + (hi < 0 ? 0 : 1)}`);
    out[i] = (hi << 4) | lo;
  }
  if (lengths.length > 0 && !lengths.includes(out.length)) {
    throw new BytesError(`${label}: expected ${lengths.join(' or ')} bytes, got ${out.length}`);
  }
  return out;
}
