// AES-256-GCM (SP 800-38D) for keys at rest (DESIGN.md 5): sealed = nonce (12) || ciphertext || tag (16).
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { concatBytes } from '../bytes/index.js';
import type { RandomSource } from './random.js';
import { CryptoError } from './errors.js';

const KEY_LENGTH = 32;
const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;

function checkKey(key: Uint8Array, operation: string): void {
  if (!(key instanceof Uint8Array) || key.length !== KEY_LENGTH) {
    throw new CryptoError(`${operation}: key must be ${KEY_LENGTH} bytes, got ${key?.length}`);
  }
}

// Random 96-bit nonces (SP 800-38D 8.2.2): fine below 2^32 seals per key, far above the keys an HSS stores.
export function aesGcmSeal(
  key: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
  rng: RandomSource,
): Uint8Array {
  checkKey(key, 'AES-GCM seal');
  const nonce = rng.randomBytes(NONCE_LENGTH);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_LENGTH });
  cipher.setAAD(aad);
  const body = concatBytes(cipher.update(plaintext), cipher.final());
  return concatBytes(nonce, body, cipher.getAuthTag());
}

export function aesGcmOpen(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array {
  checkKey(key, 'AES-GCM open');
  if (!(sealed instanceof Uint8Array) || sealed.length < NONCE_LENGTH + TAG_LENGTH) {
    throw new CryptoError(`AES-GCM open: sealed data too short (${sealed?.length} bytes)`);
  }
  const nonce = sealed.subarray(0, NONCE_LENGTH);
  const tag = sealed.subarray(sealed.length - TAG_LENGTH);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_LENGTH });
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  try {
    return concatBytes(
      decipher.update(sealed.subarray(NONCE_LENGTH, sealed.length - TAG_LENGTH)),
      decipher.final(),
    );
  } catch {
    throw new CryptoError('AES-GCM open: authentication failed (wrong key, AAD or corrupted data)');
  }
}
