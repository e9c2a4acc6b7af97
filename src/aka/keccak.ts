// Keccak-f[1600] permutation (FIPS 202 3.3-3.4: Keccak-p[1600, 24], the permutation of TS 35.231), on 64-bit lanes held as
// 32-bit halves: lane i = x + 5y is state[2i] (low half) and state[2i + 1] (high half). Lanes are little-endian in
// the 200-byte byte view (FIPS 202 B.1), which `keccakF1600Bytes` converts to and from.

const ROUNDS = 24;

/** rc(t) of FIPS 202 Algorithm 5: the output bit of an LFSR over GF(2)[x] / (x^8 + x^6 + x^5 + x^4 + 1). */
function rcBit(t: number): number {
  let r = 1;
  for (let i = 0; i < t % 255; i++) {
    r <<= 1;
    if (r & 0x100) r ^= 0x171;
  }
  return r & 1;
}

// Round constants (FIPS 202 3.2.5): bit 2^j - 1 of RC[ir] is rc(j + 7 ir).
const RC_LO = new Int32Array(ROUNDS);
const RC_HI = new Int32Array(ROUNDS);
for (let ir = 0; ir < ROUNDS; ir++) {
  for (let j = 0; j <= 6; j++) {
    if (rcBit(j + 7 * ir) === 0) continue;
    const bit = (1 << j) - 1;
    if (bit < 32) RC_LO[ir] |= 1 << bit;
    else RC_HI[ir] |= 1 << (bit - 32);
  }
}

// rho and pi together, walking the pi cycle from lane (1, 0) (the compact form of FIPS 202 3.2.2-3.2.3): at step
// t the lane moving to position (y, 2x + 3y) is rotated by (t + 1)(t + 2) / 2 mod 64. None of these offsets is 0
// or 32, so each is a swap of the halves (offsets above 32) and a shift by 1..31.
const PI_LANE = new Uint8Array(24);
const RHO_SWAP = new Uint8Array(24);
const RHO_SHIFT = new Uint8Array(24);
for (let t = 0, x = 1, y = 0; t < 24; t++) {
  [x, y] = [y, (2 * x + 3 * y) % 5];
  PI_LANE[t] = x + 5 * y;
  const r = (((t + 1) * (t + 2)) / 2) % 64;
  RHO_SWAP[t] = r > 32 ? 1 : 0;
  RHO_SHIFT[t] = r % 32;
}

const c = new Int32Array(10);

/** Applies Keccak-f[1600] in place to a 50-word state. */
export function keccakF1600(s: Int32Array): void {
  for (let round = 0; round < ROUNDS; round++) {
    // theta: C[x] = xor of column x; A[x, y] ^= C[x - 1] ^ rot(C[x + 1], 1)
    for (let i = 0; i < 10; i++) c[i] = s[i] ^ s[i + 10] ^ s[i + 20] ^ s[i + 30] ^ s[i + 40];
    for (let x = 0; x < 10; x += 2) {
      const prev = x === 0 ? 8 : x - 2;
      const next = x === 8 ? 0 : x + 2;
      const nLo = c[next];
      const nHi = c[next + 1];
      const dLo = c[prev] ^ ((nLo << 1) | (nHi >>> 31));
      const dHi = c[prev + 1] ^ ((nHi << 1) | (nLo >>> 31));
      for (let y = 0; y < 50; y += 10) {
        s[x + y] ^= dLo;
        s[x + y + 1] ^= dHi;
      }
    }
    // rho and pi
    let lo = s[2];
    let hi = s[3];
    for (let t = 0; t < 24; t++) {
      const to = 2 * PI_LANE[t];
      const r = RHO_SHIFT[t];
      const a = RHO_SWAP[t] ? hi : lo;
      const b = RHO_SWAP[t] ? lo : hi;
      lo = s[to];
      hi = s[to + 1];
      s[to] = (a << r) | (b >>> (32 - r));
      s[to + 1] = (b << r) | (a >>> (32 - r));
    }
    // chi: A[x, y] ^= ~A[x + 1, y] & A[x + 2, y], row by row
    for (let y = 0; y < 50; y += 10) {
      const a0 = s[y],
        a1 = s[y + 1],
        a2 = s[y + 2],
        a3 = s[y + 3],
        a4 = s[y + 4];
      const a5 = s[y + 5],
        a6 = s[y + 6],
        a7 = s[y + 7],
        a8 = s[y + 8],
        a9 = s[y + 9];
      s[y] = a0 ^ (~a2 & a4);
      s[y + 1] = a1 ^ (~a3 & a5);
      s[y + 2] = a2 ^ (~a4 & a6);
      s[y + 3] = a3 ^ (~a5 & a7);
      s[y + 4] = a4 ^ (~a6 & a8);
      s[y + 5] = a5 ^ (~a7 & a9);
      s[y + 6] = a6 ^ (~a8 & a0);
      s[y + 7] = a7 ^ (~a9 & a1);
      s[y + 8] = a8 ^ (~a0 & a2);
      s[y + 9] = a9 ^ (~a1 & a3);
    }
    // iota
    s[0] ^= RC_LO[round];
    s[1] ^= RC_HI[round];
  }
}

const words = new Int32Array(50);

/** Applies Keccak-f[1600] `iterations` times in place to a 200-byte state (FIPS 202 byte order). */
export function keccakF1600Bytes(state: Uint8Array, iterations = 1): void {
  for (let i = 0; i < 50; i++) {
    const j = 4 * i;
    words[i] = state[j] | (state[j + 1] << 8) | (state[j + 2] << 16) | (state[j + 3] << 24);
  }
  for (let n = 0; n < iterations; n++) keccakF1600(words);
  for (let i = 0; i < 50; i++) {
    const w = words[i];
    const j = 4 * i;
    state[j] = w;
    state[j + 1] = w >>> 8;
    state[j + 2] = w >>> 16;
    state[j + 3] = w >>> 24;
  }
  words.fill(0);
}
