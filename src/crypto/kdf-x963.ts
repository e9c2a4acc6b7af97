// ANSI X9.63 key derivation function (SEC 1 v2 3.6.1; BSI TR-03111 4.3.3):
// K = Hash(Z || Counter || SharedInfo) for Counter = 1, 2, ... (32-bit big-endian), truncated to `length`.
import { hash as oneShotHash } from 'node:crypto';
import { wipe } from '../bytes/index.js';
import { checkHash, type HashName } from './hash.js';
import { CryptoError } from './errors.js';

const HASH_LENGTH: Record<HashName, number> = { sha256: 32, sha384: 48, sha512: 64 };
const COUNTER_LENGTH = 4;

export function x963Kdf(hash: HashName, z: Uint8Array, sharedInfo: Uint8Array, length: number): Uint8Array {
  const hashLength = HASH_LENGTH[checkHash(hash)];
  if (!Number.isInteger(length) || length < 0 || length > hashLength * 0xffffffff) {
    throw new CryptoError(`X9.63 KDF: output length ${length} out of range`);
  }
  const blocks = Math.ceil(length / hashLength);
  const out = new Uint8Array(blocks * hashLength);
  // One input buffer Z || Counter || SharedInfo, its counter rewritten in place for each block.
  const input = new Uint8Array(z.length + COUNTER_LENGTH + sharedInfo.length);
  input.set(z);
  input.set(sharedInfo, z.length + COUNTER_LENGTH);
  const view = new DataView(input.buffer);
  for (let i = 0; i < blocks; i++) {
    view.setUint32(z.length, i + 1);
    const block = oneShotHash(hash, input, 'buffer');
    out.set(block, i * hashLength);
    block.fill(0);
  }
  wipe(input);
  return out.subarray(0, length);
}
