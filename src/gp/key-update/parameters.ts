// DESIGN.md 4.5 algorithm parameters (A6): Milenage r1..r5, c1..c5 (TS 35.206 4.1); TUAK iterations and
// lengths (TS 35.231 6). Absent elements take their defaults (the card's aka/ supplies them).
import { concatBytes, tagName, tlv } from '../../bytes/index.js';
import {
  ALGORITHM_MILENAGE,
  ALGORITHM_TUAK,
  MILENAGE_C_LENGTH,
  MILENAGE_R_COUNT,
  TAG_ALGORITHM_PARAMETERS,
  TAG_MILENAGE_C,
  TAG_MILENAGE_R,
  TAG_TUAK_CK_LENGTH,
  TAG_TUAK_IK_LENGTH,
  TAG_TUAK_KECCAK_ITERATIONS,
  TAG_TUAK_MAC_LENGTH,
  TAG_TUAK_RES_LENGTH,
} from './constants.js';
import {
  TUAK_CK_LENGTHS,
  TUAK_IK_LENGTHS,
  TUAK_MAC_LENGTHS,
  TUAK_RES_LENGTHS,
  isTuakKeccakIterations,
} from '../../aka/params/index.js';
import { KeyUpdateFormatError } from './errors.js';
import { optional, optionalByte, readFields } from './template.js';

export interface MilenageParameters {
  readonly kind: 'milenage';
  /** r1..r5, rotations in bits (0..127). */
  readonly r?: readonly number[];
  /** c1..c5, 16 bytes each. */
  readonly c?: readonly Uint8Array[];
}

export interface TuakParameters {
  readonly kind: 'tuak';
  readonly keccakIterations?: number;
  /** Lengths in bytes. */
  readonly macLength?: number;
  readonly resLength?: number;
  readonly ckLength?: number;
  readonly ikLength?: number;
}

/** A6 of an algorithm this codec does not know: kept as received (the card answers 04 for the algorithm). */
export interface OtherParameters {
  readonly kind: 'other';
  readonly value: Uint8Array;
}

export type AlgorithmParameters = MilenageParameters | TuakParameters | OtherParameters;

const MILENAGE_TAGS = [TAG_MILENAGE_R, TAG_MILENAGE_C];
const TUAK_TAGS = [
  TAG_TUAK_KECCAK_ITERATIONS,
  TAG_TUAK_MAC_LENGTH,
  TAG_TUAK_RES_LENGTH,
  TAG_TUAK_CK_LENGTH,
  TAG_TUAK_IK_LENGTH,
];
const CONTEXT = tagName(TAG_ALGORITHM_PARAMETERS);
const MAX_ROTATION = 127;

/** Decodes the value of A6 for `algorithm`; values out of range and the other algorithm's tags are errors. */
export function decodeAlgorithmParameters(algorithm: number, value: Uint8Array): AlgorithmParameters {
  if (algorithm === ALGORITHM_MILENAGE) {
    const f = readFields(value, `${CONTEXT} (Milenage)`, MILENAGE_TAGS);
    const r = optional(f, TAG_MILENAGE_R, CONTEXT, MILENAGE_R_COUNT);
    const c = optional(f, TAG_MILENAGE_C, CONTEXT, MILENAGE_R_COUNT * MILENAGE_C_LENGTH);
    if (r !== undefined && r.some((x) => x > MAX_ROTATION)) {
      throw new KeyUpdateFormatError(`${CONTEXT}: Milenage rotation out of range 0..${MAX_ROTATION}`);
    }
    return {
      kind: 'milenage',
      ...(r === undefined ? {} : { r: Array.from(r) }),
      ...(c === undefined
        ? {}
        : {
            c: Array.from({ length: MILENAGE_R_COUNT }, (_, i) =>
              c.slice(i * MILENAGE_C_LENGTH, (i + 1) * MILENAGE_C_LENGTH),
            ),
          }),
    };
  }
  if (algorithm === ALGORITHM_TUAK) {
    const f = readFields(value, `${CONTEXT} (TUAK)`, TUAK_TAGS);
    const oneOf = (allowed: readonly number[]) => (v: number) => allowed.includes(v);
    const p: TuakParameters = {
      kind: 'tuak',
      keccakIterations: optionalByte(f, TAG_TUAK_KECCAK_ITERATIONS, CONTEXT, isTuakKeccakIterations),
      macLength: optionalByte(f, TAG_TUAK_MAC_LENGTH, CONTEXT, oneOf(TUAK_MAC_LENGTHS)),
      resLength: optionalByte(f, TAG_TUAK_RES_LENGTH, CONTEXT, oneOf(TUAK_RES_LENGTHS)),
      ckLength: optionalByte(f, TAG_TUAK_CK_LENGTH, CONTEXT, oneOf(TUAK_CK_LENGTHS)),
      ikLength: optionalByte(f, TAG_TUAK_IK_LENGTH, CONTEXT, oneOf(TUAK_IK_LENGTHS)),
    };
    return Object.fromEntries(
      Object.entries(p).filter(([, v]) => v !== undefined),
    ) as unknown as TuakParameters;
  }
  // An algorithm unknown here: only BER-TLV well-formedness can be checked.
  readFields(value, CONTEXT, 'any');
  return { kind: 'other', value: value.slice() };
}

/** The whole A6 TLV (only the present elements). */
export function encodeAlgorithmParameters(p: AlgorithmParameters): Uint8Array {
  switch (p.kind) {
    case 'milenage':
      return tlv(
        TAG_ALGORITHM_PARAMETERS,
        p.r === undefined ? undefined : tlv(TAG_MILENAGE_R, Uint8Array.from(p.r)),
        p.c === undefined ? undefined : tlv(TAG_MILENAGE_C, concatBytes(...p.c)),
      );
    case 'tuak': {
      const byte = (tag: number, v: number | undefined) =>
        v === undefined ? undefined : tlv(tag, Uint8Array.of(v));
      return tlv(
        TAG_ALGORITHM_PARAMETERS,
        byte(TAG_TUAK_KECCAK_ITERATIONS, p.keccakIterations),
        byte(TAG_TUAK_MAC_LENGTH, p.macLength),
        byte(TAG_TUAK_RES_LENGTH, p.resLength),
        byte(TAG_TUAK_CK_LENGTH, p.ckLength),
        byte(TAG_TUAK_IK_LENGTH, p.ikLength),
      );
    }
    case 'other':
      return tlv(TAG_ALGORITHM_PARAMETERS, p.value);
  }
}
