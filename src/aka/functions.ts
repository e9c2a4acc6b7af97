// The authentication functions f1, f1*, f2..f5, f5* of TS 33.102 6.3.2, as Milenage and TUAK provide them.

import type { AkaAlgorithm } from './params/index.js';

export interface F2345 {
  /** RES (network side: XRES), f2 */
  readonly res: Uint8Array;
  /** CK, f3 */
  readonly ck: Uint8Array;
  /** IK, f4 */
  readonly ik: Uint8Array;
  /** AK, f5 (6 bytes) */
  readonly ak: Uint8Array;
}

/** One subscriber's functions: K and OPc (or TOPc) are bound in. */
export interface AkaFunctions {
  readonly algorithm: AkaAlgorithm;
  /** Length of MAC-A and MAC-S in bytes (8 for Milenage; 8, 16 or 32 for TUAK). */
  readonly macLength: number;
  /** f1: MAC-A over RAND, SQN (6 bytes), AMF (2 bytes). */
  f1(rand: Uint8Array, sqn: Uint8Array, amf: Uint8Array): Uint8Array;
  /** f1*: MAC-S (resynchronisation), same inputs as f1. */
  f1star(rand: Uint8Array, sqn: Uint8Array, amf: Uint8Array): Uint8Array;
  f2345(rand: Uint8Array): F2345;
  /** f5*: AK* (6 bytes), conceals SQN_MS in AUTS. */
  f5star(rand: Uint8Array): Uint8Array;
}

export const RAND_LENGTH = 16;
export const SQN_LENGTH = 6;
export const AMF_LENGTH = 2;
export const AK_LENGTH = 6;
