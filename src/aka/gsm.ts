// GSM conversion functions of TS 33.102 6.8.1.2: a 2G triplet (SRES, Kc) from a UMTS quintet.
import { abytes } from '../bytes/index.js';

/** c2: SRES = XRES*1 xor XRES*2 xor XRES*3 xor XRES*4, the 32-bit words of XRES zero-padded to 128 bits. */
export function c2(xres: Uint8Array): Uint8Array {
  abytes(xres, 'XRES', 4, 8, 12, 16);
  const sres = new Uint8Array(4);
  for (let i = 0; i < xres.length; i++) sres[i & 3] ^= xres[i];
  return sres;
}

/** c3: Kc = CK1 xor CK2 xor IK1 xor IK2, the 64-bit halves of CK and IK. */
export function c3(ck: Uint8Array, ik: Uint8Array): Uint8Array {
  abytes(ck, 'CK', 16);
  abytes(ik, 'IK', 16);
  const kc = new Uint8Array(8);
  for (let i = 0; i < 8; i++) kc[i] = ck[i] ^ ck[i + 8] ^ ik[i] ^ ik[i + 8];
  return kc;
}
