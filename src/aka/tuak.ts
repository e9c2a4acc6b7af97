// TUAK (TS 35.231): the AKA functions built on Keccak-f[1600], with TOP -> TOPc, K of 128 or 256 bits and
// configurable output lengths and Keccak iterations.
import { abytes } from '../bytes/index.js';
import { AkaError } from './errors.js';
import {
  AK_LENGTH,
  AMF_LENGTH,
  RAND_LENGTH,
  SQN_LENGTH,
  type AkaFunctions,
  type F2345,
} from './functions.js';
import { keccakF1600Bytes } from './keccak.js';
import {
  TUAK_CK_LENGTHS,
  TUAK_DEFAULT_PARAMS,
  TUAK_IK_LENGTHS,
  TUAK_K_LENGTHS,
  TUAK_MAC_LENGTHS,
  TUAK_MAX_KECCAK_ITERATIONS,
  TUAK_MIN_KECCAK_ITERATIONS,
  TUAK_RES_LENGTHS,
  TUAK_TOPC_LENGTH,
  isTuakKeccakIterations,
  type TuakParams,
} from './params/index.js';

/** TS 35.231: TOP, the operator's 256-bit constant. */
export const TOP_LENGTH = 32;
const ALGONAME = new TextEncoder().encode('TUAK1.0');
const ZERO_RAND = new Uint8Array(RAND_LENGTH);
const ZERO_AMF = new Uint8Array(AMF_LENGTH);
const ZERO_SQN = new Uint8Array(SQN_LENGTH);

// TS 35.231 INSTANCE byte: bit 8 (0x80) f1*/f5*, bit 7 (0x40) f2..f5*, then the length bits, K256 = 0x01.
const INSTANCE_F1 = 0x00;
const INSTANCE_F1STAR = 0x80;
const INSTANCE_F2345 = 0x40;
const INSTANCE_F5STAR = 0xc0;
const INSTANCE_TOPC = 0x00;
const INSTANCE_K256 = 0x01;
const LENGTH_BITS: Record<number, number> = { 4: 0x00, 8: 0x08, 16: 0x10, 32: 0x20 };
const INSTANCE_CK256 = 0x04;
const INSTANCE_IK256 = 0x02;

// Offsets in the 200-byte Keccak state (TS 35.231: IN is TOP || INSTANCE || ALGONAME || RAND || AMF || SQN
// || KEY || padding, each field with its bytes in reverse order, as the spec numbers bits from the far end).
const AT_INSTANCE = 32;
const AT_ALGONAME = 33;
const AT_RAND = 40;
const AT_AMF = 56;
const AT_SQN = 58;
const AT_KEY = 64;
const AT_PAD_START = 96; // 0x1F: the Keccak padding of the 1088-bit rate block
const AT_PAD_END = 135; // 0x80
const OUT_RES = 0; // also MAC and TOPc
const OUT_CK = 32;
const OUT_IK = 64;
const OUT_AK = 96;

const state = new Uint8Array(200);

function putReversed(at: number, value: Uint8Array): void {
  for (let i = 0; i < value.length; i++) state[at + i] = value[value.length - 1 - i];
}

function takeReversed(at: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = state[at + length - 1 - i];
  return out;
}

// TS 35.231: builds IN, applies Keccak-f[1600] `iterations` times; the outputs are read from `state`.
function tuakCore(
  top: Uint8Array,
  instance: number,
  rand: Uint8Array,
  amf: Uint8Array,
  sqn: Uint8Array,
  k: Uint8Array,
  iterations: number,
): void {
  state.fill(0);
  putReversed(0, top);
  state[AT_INSTANCE] = instance | (k.length === 32 ? INSTANCE_K256 : 0);
  putReversed(AT_ALGONAME, ALGONAME);
  putReversed(AT_RAND, rand);
  putReversed(AT_AMF, amf);
  putReversed(AT_SQN, sqn);
  putReversed(AT_KEY, k);
  state[AT_PAD_START] = 0x1f;
  state[AT_PAD_END] = 0x80;
  keccakF1600Bytes(state, iterations);
}

function checkIterations(n: number): number {
  if (!isTuakKeccakIterations(n)) {
    throw new AkaError(
      `TUAK: Keccak iterations must be ${TUAK_MIN_KECCAK_ITERATIONS}..${TUAK_MAX_KECCAK_ITERATIONS}, got ${n}`,
    );
  }
  return n;
}

function checkLength(name: string, value: number, allowed: readonly number[]): void {
  if (!allowed.includes(value)) {
    throw new AkaError(`TUAK: ${name} length must be ${allowed.join(', ')} bytes, got ${value}`);
  }
}

/** TS 35.231: TOPc from TOP and K (INSTANCE 00/01, RAND, AMF and SQN zero). */
export function computeTopc(k: Uint8Array, top: Uint8Array, keccakIterations = 1): Uint8Array {
  abytes(k, 'K', ...TUAK_K_LENGTHS);
  abytes(top, 'TOP', TOP_LENGTH);
  tuakCore(top, INSTANCE_TOPC, ZERO_RAND, ZERO_AMF, ZERO_SQN, k, checkIterations(keccakIterations));
  const topc = takeReversed(OUT_RES, TUAK_TOPC_LENGTH);
  state.fill(0);
  return topc;
}

/** TUAK functions for one subscriber (K of 16 or 32 bytes, TOPc of 32). */
export function tuak(k: Uint8Array, topc: Uint8Array, params: Partial<TuakParams> = {}): AkaFunctions {
  abytes(k, 'K', ...TUAK_K_LENGTHS);
  abytes(topc, 'TOPc', TUAK_TOPC_LENGTH);
  const p: TuakParams = { ...TUAK_DEFAULT_PARAMS, ...params };
  const iterations = checkIterations(p.keccakIterations);
  checkLength('MAC', p.macLength, TUAK_MAC_LENGTHS);
  checkLength('RES', p.resLength, TUAK_RES_LENGTHS);
  checkLength('CK', p.ckLength, TUAK_CK_LENGTHS);
  checkLength('IK', p.ikLength, TUAK_IK_LENGTHS);
  const key = Uint8Array.from(k);
  const topcCopy = Uint8Array.from(topc);
  const macBits = LENGTH_BITS[p.macLength];
  const instanceF2345 =
    INSTANCE_F2345 |
    LENGTH_BITS[p.resLength] |
    (p.ckLength === 32 ? INSTANCE_CK256 : 0) |
    (p.ikLength === 32 ? INSTANCE_IK256 : 0);

  // TS 35.231 f1 and f1*: the MAC from the start of the output.
  function mac(instance: number, rand: Uint8Array, sqn: Uint8Array, amf: Uint8Array): Uint8Array {
    abytes(rand, 'RAND', RAND_LENGTH);
    abytes(sqn, 'SQN', SQN_LENGTH);
    abytes(amf, 'AMF', AMF_LENGTH);
    tuakCore(topcCopy, instance | macBits, rand, amf, sqn, key, iterations);
    const out = takeReversed(OUT_RES, p.macLength);
    state.fill(0);
    return out;
  }

  return {
    algorithm: 'tuak',
    macLength: p.macLength,
    f1: (rand, sqn, amf) => mac(INSTANCE_F1, rand, sqn, amf),
    f1star: (rand, sqn, amf) => mac(INSTANCE_F1STAR, rand, sqn, amf),
    // TS 35.231 f2, f3, f4, f5: RES, CK, IK and AK from one permutation; AMF and SQN are zero.
    f2345(rand): F2345 {
      abytes(rand, 'RAND', RAND_LENGTH);
      tuakCore(topcCopy, instanceF2345, rand, ZERO_AMF, ZERO_SQN, key, iterations);
      const out = {
        res: takeReversed(OUT_RES, p.resLength),
        ck: takeReversed(OUT_CK, p.ckLength),
        ik: takeReversed(OUT_IK, p.ikLength),
        ak: takeReversed(OUT_AK, AK_LENGTH),
      };
      state.fill(0);
      return out;
    },
    // TS 35.231 f5*
    f5star(rand) {
      abytes(rand, 'RAND', RAND_LENGTH);
      tuakCore(topcCopy, INSTANCE_F5STAR, rand, ZERO_AMF, ZERO_SQN, key, iterations);
      const ak = takeReversed(OUT_AK, AK_LENGTH);
      state.fill(0);
      return ak;
    },
  };
}
