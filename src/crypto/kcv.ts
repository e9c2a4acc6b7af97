// Key check value, DESIGN.md 4.5: first 3 bytes of AES-CBC(key, IV 0, 16 x 01), AES-128 or AES-256 by key length.
import { aesCbcEncrypt } from './aes.js';
import { CryptoError } from './errors.js';

export const KCV_LENGTH = 3;
const KCV_INPUT = new Uint8Array(16).fill(0x01);
const ZERO_IV = new Uint8Array(16);

export function keyCheckValue(key: Uint8Array): Uint8Array {
  if (!(key instanceof Uint8Array) || (key.length !== 16 && key.length !== 32)) {
    throw new CryptoError(`key check value: key must be 16 or 32 bytes, got ${key?.length}`);
  }
  return aesCbcEncrypt(key, ZERO_IV, KCV_INPUT).slice(0, KCV_LENGTH);
}
