// SQN as a 48-bit bigint in APIs, 6 big-endian bytes on the wire (TS 33.102 6.3.2).
import { AkaError } from './errors.js';
import { SQN_LENGTH } from './functions.js';

export const SQN_MAX = (1n << 48n) - 1n;

export function checkSqn(sqn: bigint, label = 'SQN'): bigint {
  if (typeof sqn !== 'bigint' || sqn < 0n || sqn > SQN_MAX)
    throw new AkaError(`${label}: not a 48-bit value`);
  return sqn;
}

export function sqnToBytes(sqn: bigint, label = 'SQN'): Uint8Array {
  let v = Number(checkSqn(sqn, label)); // exact: 48 bits fit a double
  const out = new Uint8Array(SQN_LENGTH);
  for (let i = SQN_LENGTH - 1; i >= 0; i--) {
    out[i] = v % 256;
    v = Math.floor(v / 256);
  }
  return out;
}

export function sqnFromBytes(bytes: Uint8Array): bigint {
  let v = 0;
  for (let i = 0; i < SQN_LENGTH; i++) v = v * 256 + bytes[i];
  return BigInt(v);
}
