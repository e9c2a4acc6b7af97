// Milenage (TS 35.206): the AKA functions built on AES-128 with OPc and the operator constants r1..r5, c1..c5.
import { abytes } from '../bytes/index.js';
import { encryptWords, expandKey128, readWord, writeWord } from './aes128.js';
import { allocateWords } from './word-slab.js';
import { AkaError } from './errors.js';
import {
  AK_LENGTH,
  AMF_LENGTH,
  RAND_LENGTH,
  SQN_LENGTH,
  type AkaFunctions,
  type F2345,
} from './functions.js';
import { MILENAGE_K_LENGTH, MILENAGE_OPC_LENGTH } from './params/index.js';

/** Rotations r1..r5 in bits (0..127) and constants c1..c5 (16 bytes each) of TS 35.206 4.1. */
export interface MilenageConstants {
  readonly r: readonly number[];
  readonly c: readonly Uint8Array[];
}

function constant(lastByte: number): Uint8Array {
  const c = new Uint8Array(16);
  c[15] = lastByte;
  return c;
}

// TS 35.206 4.1: r1 = 64, r2 = 0, r3 = 32, r4 = 64, r5 = 96; c1 = 0, c2..c5 = 1, 2, 4, 8 in the last bit positions.
export const MILENAGE_DEFAULT_CONSTANTS: MilenageConstants = Object.freeze({
  r: Object.freeze([64, 0, 32, 64, 96]),
  c: Object.freeze([constant(0), constant(1), constant(2), constant(4), constant(8)]),
});

export const OP_LENGTH = 16;
export const MILENAGE_MAC_LENGTH = 8;

/** TS 35.206 4.1: OPc = OP xor E_K(OP). */
export function computeOpc(k: Uint8Array, op: Uint8Array): Uint8Array {
  abytes(k, 'K', MILENAGE_K_LENGTH);
  abytes(op, 'OP', OP_LENGTH);
  const e = new Int32Array(4);
  encryptWords(expandKey128(k), readWord(op, 0), readWord(op, 4), readWord(op, 8), readWord(op, 12), e);
  const opc = new Uint8Array(16);
  for (let i = 0; i < 4; i++) writeWord(opc, 4 * i, e[i] ^ readWord(op, 4 * i));
  return opc;
}

function checkConstants(constants: MilenageConstants): void {
  if (constants.r.length !== 5 || constants.c.length !== 5) {
    throw new AkaError('Milenage constants: expected five rotations r1..r5 and five constants c1..c5');
  }
  constants.r.forEach((r, i) => {
    if (!Number.isInteger(r) || r < 0 || r > 127) {
      throw new AkaError(`Milenage constants: r${i + 1} must be 0..127 bits, got ${r}`);
    }
  });
  constants.c.forEach((c, i) => abytes(c, `Milenage constant c${i + 1}`, 16));
}

// r1..r5 and c1..c5 as words; the defaults' once per process.
interface ConstantWords {
  readonly r: Int32Array;
  readonly c: Int32Array;
}

function toWords(constants: MilenageConstants): ConstantWords {
  checkConstants(constants);
  const c = allocateWords(20);
  constants.c.forEach((ci, i) => {
    for (let j = 0; j < 4; j++) c[4 * i + j] = readWord(ci, 4 * j);
  });
  return { r: Int32Array.from(constants.r), c };
}

const DEFAULT_WORDS = toWords(MILENAGE_DEFAULT_CONSTANTS);

/**
 * Milenage functions for one subscriber. The key schedule of K is computed once; TEMP = E_K(RAND xor OPc) is
 * kept for the last RAND, so f2345 followed by f1 on the same RAND (a vector) costs five AES blocks, not six.
 */
export function milenage(
  k: Uint8Array,
  opc: Uint8Array,
  constants: MilenageConstants = MILENAGE_DEFAULT_CONSTANTS,
): AkaFunctions {
  abytes(k, 'K', MILENAGE_K_LENGTH);
  abytes(opc, 'OPc', MILENAGE_OPC_LENGTH);
  const words = constants === MILENAGE_DEFAULT_CONSTANTS ? DEFAULT_WORDS : toWords(constants);
  return new Milenage(expandKey128(k), opc, words);
}

class Milenage implements AkaFunctions {
  readonly algorithm = 'milenage';
  readonly macLength = MILENAGE_MAC_LENGTH;
  private readonly o0: number;
  private readonly o1: number;
  private readonly o2: number;
  private readonly o3: number;
  private readonly temp = new Int32Array(4);
  private readonly tempRand = new Int32Array(4);
  private tempValid = false;
  private readonly x = new Int32Array(4); // block before rotation
  private readonly y = new Int32Array(4); // rotated block xor c_i: the cipher input
  private readonly out = new Int32Array(4); // OUTi

  constructor(
    private readonly rk: Int32Array,
    opc: Uint8Array,
    private readonly constants: ConstantWords,
  ) {
    this.o0 = readWord(opc, 0);
    this.o1 = readWord(opc, 4);
    this.o2 = readWord(opc, 8);
    this.o3 = readWord(opc, 12);
  }

  private computeTemp(rand: Uint8Array): void {
    abytes(rand, 'RAND', RAND_LENGTH);
    const r0 = readWord(rand, 0);
    const r1 = readWord(rand, 4);
    const r2 = readWord(rand, 8);
    const r3 = readWord(rand, 12);
    const t = this.tempRand;
    if (this.tempValid && r0 === t[0] && r1 === t[1] && r2 === t[2] && r3 === t[3]) return;
    encryptWords(this.rk, r0 ^ this.o0, r1 ^ this.o1, r2 ^ this.o2, r3 ^ this.o3, this.temp);
    t[0] = r0;
    t[1] = r1;
    t[2] = r2;
    t[3] = r3;
    this.tempValid = true;
  }

  // y = rot(x, r_i) xor c_i; x is a 128-bit big-endian value, rotated left (towards the most significant bit).
  private rotateInto(i: number): void {
    const { x, y } = this;
    const c = this.constants.c;
    const r = this.constants.r[i];
    const q = r >>> 5;
    const b = r & 31;
    for (let j = 0; j < 4; j++) {
      const hi = x[(j + q) & 3];
      y[j] = (b === 0 ? hi : (hi << b) | (x[(j + q + 1) & 3] >>> (32 - b))) ^ c[4 * i + j];
    }
  }

  // E_K(input) xor OPc into `out`.
  private encryptOut(i0: number, i1: number, i2: number, i3: number): void {
    const out = this.out;
    encryptWords(this.rk, i0, i1, i2, i3, out);
    out[0] ^= this.o0;
    out[1] ^= this.o1;
    out[2] ^= this.o2;
    out[3] ^= this.o3;
  }

  // TS 35.206 4.1: OUTi = E_K(rot(TEMP xor OPc, ri) xor ci) xor OPc, for i = 2..5 (index 1..4 here).
  private outN(i: number): void {
    const { x, y, temp } = this;
    x[0] = temp[0] ^ this.o0;
    x[1] = temp[1] ^ this.o1;
    x[2] = temp[2] ^ this.o2;
    x[3] = temp[3] ^ this.o3;
    this.rotateInto(i);
    this.encryptOut(y[0], y[1], y[2], y[3]);
  }

  // TS 35.206 4.1: OUT1 = E_K(TEMP xor rot(IN1 xor OPc, r1) xor c1) xor OPc, IN1 = SQN || AMF || SQN || AMF.
  private out1(rand: Uint8Array, sqn: Uint8Array, amf: Uint8Array): void {
    abytes(sqn, 'SQN', SQN_LENGTH);
    abytes(amf, 'AMF', AMF_LENGTH);
    this.computeTemp(rand);
    const { x, y, temp } = this;
    const in0 = readWord(sqn, 0);
    const in1 = (sqn[4] << 24) | (sqn[5] << 16) | (amf[0] << 8) | amf[1];
    x[0] = in0 ^ this.o0;
    x[1] = in1 ^ this.o1;
    x[2] = in0 ^ this.o2;
    x[3] = in1 ^ this.o3;
    this.rotateInto(0);
    this.encryptOut(temp[0] ^ y[0], temp[1] ^ y[1], temp[2] ^ y[2], temp[3] ^ y[3]);
  }

  private outBytes(from: number, length: number): Uint8Array {
    const out = this.out;
    const bytes = new Uint8Array(length);
    for (let i = 0; i < length; i++) bytes[i] = out[(from + i) >>> 2] >>> (24 - 8 * ((from + i) & 3));
    return bytes;
  }

  // f1 = OUT1[0..63]
  f1(rand: Uint8Array, sqn: Uint8Array, amf: Uint8Array): Uint8Array {
    this.out1(rand, sqn, amf);
    return this.outBytes(0, 8);
  }

  // f1* = OUT1[64..127]
  f1star(rand: Uint8Array, sqn: Uint8Array, amf: Uint8Array): Uint8Array {
    this.out1(rand, sqn, amf);
    return this.outBytes(8, 8);
  }

  // f5 = OUT2[0..47], f2 = OUT2[64..127], f3 = OUT3, f4 = OUT4
  f2345(rand: Uint8Array): F2345 {
    this.computeTemp(rand);
    this.outN(1);
    const ak = this.outBytes(0, AK_LENGTH);
    const res = this.outBytes(8, 8);
    this.outN(2);
    const ck = this.outBytes(0, 16);
    this.outN(3);
    const ik = this.outBytes(0, 16);
    return { res, ck, ik, ak };
  }

  // f5* = OUT5[0..47]
  f5star(rand: Uint8Array): Uint8Array {
    this.computeTemp(rand);
    this.outN(4);
    return this.outBytes(0, AK_LENGTH);
  }
}
