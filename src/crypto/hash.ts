// Hash functions and HMAC over node:crypto (FIPS 180-4, RFC 2104).
import { createHmac, hash as oneShotHash } from 'node:crypto';
import { CryptoError } from './errors.js';

export type HashName = 'sha256' | 'sha384' | 'sha512';

const HASH_NAMES: readonly string[] = ['sha256', 'sha384', 'sha512'];

/** Asserts `hash` is one of the supported HashName values (they arrive from configuration and certificates). */
export function checkHash(hash: string): HashName {
  if (!HASH_NAMES.includes(hash))
    throw new CryptoError(`unsupported hash "${hash}" (sha256, sha384 or sha512)`);
  return hash as HashName;
}

function digest(algorithm: string, data: Uint8Array): Uint8Array {
  // The one-shot hash creates no Hash object: cheaper for the short inputs hashed here.
  const h = oneShotHash(algorithm, data, 'buffer');
  return new Uint8Array(h.buffer, h.byteOffset, h.byteLength);
}

export const sha1 = (data: Uint8Array): Uint8Array => digest('sha1', data);
export const sha256 = (data: Uint8Array): Uint8Array => digest('sha256', data);
export const sha384 = (data: Uint8Array): Uint8Array => digest('sha384', data);
export const sha512 = (data: Uint8Array): Uint8Array => digest('sha512', data);

export function hashOf(hash: HashName, data: Uint8Array): Uint8Array {
  return digest(checkHash(hash), data);
}

export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  const h = createHmac('sha256', key).update(data).digest();
  return new Uint8Array(h.buffer, h.byteOffset, h.byteLength);
}
