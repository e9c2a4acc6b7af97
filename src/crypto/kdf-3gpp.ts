// 3GPP generic key derivation function, TS 33.220 Annex B.2: HMAC-SHA-256(Key, FC || P0 || L0 || P1 || L1 ...).
import { hmacSha256 } from './hash.js';
import { CryptoError } from './errors.js';

export function kdf3gpp(key: Uint8Array, fc: number, ...params: Uint8Array[]): Uint8Array {
  if (!Number.isInteger(fc) || fc < 0 || fc > 0xff)
    throw new CryptoError(`3GPP KDF: FC ${fc} is not one byte`);
  let length = 1;
  for (const p of params) {
    if (p.length > 0xffff) throw new CryptoError(`3GPP KDF: parameter of ${p.length} bytes exceeds 65535`);
    length += p.length + 2;
  }
  const s = new Uint8Array(length);
  s[0] = fc;
  let at = 1;
  for (const p of params) {
    s.set(p, at);
    at += p.length;
    s[at++] = p.length >> 8;
    s[at++] = p.length & 0xff;
  }
  return hmacSha256(key, s);
}
