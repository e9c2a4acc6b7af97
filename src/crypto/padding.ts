// ISO/IEC 9797-1 padding method 2 (GPC 2.3 B.2.3 / SCP03): append 0x80, then zeros to a whole block.
import { CryptoError } from './errors.js';

export function padIso9797M2(data: Uint8Array, blockSize = 16): Uint8Array {
  const out = new Uint8Array((Math.floor(data.length / blockSize) + 1) * blockSize);
  out.set(data);
  out[data.length] = 0x80;
  return out;
}

/** Strips method-2 padding; malformed: not whole blocks, no 0x80 marker, or padding longer than a block. */
export function unpadIso9797M2(data: Uint8Array, blockSize = 16): Uint8Array {
  if (data.length === 0 || data.length % blockSize !== 0) {
    throw new CryptoError(
      `ISO 9797-1 method 2 padding: length ${data.length} is not a multiple of ${blockSize}`,
    );
  }
  let i = data.length - 1;
  const lowest = data.length - blockSize;
  while (i >= lowest && data[i] === 0) i--;
  if (i < lowest || data[i] !== 0x80) throw new CryptoError('ISO 9797-1 method 2 padding: no 0x80 marker');
  return data.subarray(0, i);
}
