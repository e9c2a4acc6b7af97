// ANSI X9.63 key derivation function (SEC 1 v2 3.6.1; BSI TR-03111 4.3.3):
// K = Hash(Z || Counter || SharedInfo) for Counter = 1, 2, ... (32-bit big-endian), truncated to `length`.
import { createHash } from 'node:crypto';
import { checkHash, type HashName } from './hash.js';
import { CryptoError } from './errors.js';

const HASH_LENGTH: Record<HashName, number> = { sha256: 32, sha384: 48, sha512: 64 };

export function x963Kdf(hash: HashName, z: Uint8Array, sharedInfo: Uint8Array, length: number): Uint8Array {
  const hashLength = HASH_LENGTH[checkHash(hash)];
  if (!Number.isInteger(length) || length < 0 || length > hashLength * 0xffffffff) {
    throw new CryptoError(`X9.63 KDF: output length ${length} out of range`);
  }
  const blocks = Math.ceil(length / hashLength);
  const out = new Uint8Array(blocks * hashLength);
  const counter = new Uint8Array(4);
  const view = new DataView(counter.buffer);
  for (let i = 0; i < blocks; i++) {
    view.setUint32(0, i + 1);
    out.set(createHash(hash).update(z).update(counter).update(sharedInfo).digest(), i * hashLength);
  }
  return out.subarray(0, length);
}
