// DESIGN.md 4.5 (BF70 81, 83, 84, A6) with TS 35.206 and TS 35.231: the AKA key lengths and TUAK parameter
// ranges. A leaf that imports nothing, so aka/, gp/, card/, hss/ and server/ check against one definition.

export type AkaAlgorithm = 'milenage' | 'tuak';

export const AKA_ALGORITHMS: readonly AkaAlgorithm[] = ['milenage', 'tuak'];

/** DESIGN.md 4.5 BF70 82: the version of a key set, one byte, 0 being the keys a card was personalised with. */
export const MIN_KEY_VERSION = 1;
export const MAX_KEY_VERSION = 255;

/** TS 35.206: K and OPc of 128 bits. */
export const MILENAGE_K_LENGTH = 16;
export const MILENAGE_OPC_LENGTH = 16;
/** TS 35.231: K of 128 or 256 bits, TOP and TOPc of 256. */
export const TUAK_K_LENGTHS: readonly number[] = [16, 32];
export const TUAK_TOPC_LENGTH = 32;

/** TS 35.231 6: Keccak iterations, and the output lengths in bytes. */
export const TUAK_MIN_KECCAK_ITERATIONS = 1;
export const TUAK_MAX_KECCAK_ITERATIONS = 255;
export const TUAK_MAC_LENGTHS: readonly number[] = [8, 16, 32];
export const TUAK_RES_LENGTHS: readonly number[] = [4, 8, 16, 32];
export const TUAK_CK_LENGTHS: readonly number[] = [16, 32];
export const TUAK_IK_LENGTHS: readonly number[] = [16, 32];

/** TUAK parameters, lengths in bytes. */
export interface TuakParams {
  keccakIterations: number;
  macLength: 8 | 16 | 32;
  resLength: 4 | 8 | 16 | 32;
  ckLength: 16 | 32;
  ikLength: 16 | 32;
}

// DESIGN.md 4.5 defaults: 1 Keccak iteration, MAC 64, RES 64, CK 128, IK 128 bits.
export const TUAK_DEFAULT_PARAMS: Readonly<TuakParams> = Object.freeze({
  keccakIterations: 1,
  macLength: 8,
  resLength: 8,
  ckLength: 16,
  ikLength: 16,
});

/** The lengths K and OPc (TOPc for TUAK) may have. */
export function akaKeyLengths(algorithm: AkaAlgorithm): { k: readonly number[]; opc: readonly number[] } {
  return algorithm === 'milenage'
    ? { k: [MILENAGE_K_LENGTH], opc: [MILENAGE_OPC_LENGTH] }
    : { k: TUAK_K_LENGTHS, opc: [TUAK_TOPC_LENGTH] };
}

/** The name of the second key: OPc (Milenage) or TOPc (TUAK). */
export function opcName(algorithm: AkaAlgorithm): 'opc' | 'topc' {
  return algorithm === 'milenage' ? 'opc' : 'topc';
}

export function isTuakKeccakIterations(n: number): boolean {
  return Number.isInteger(n) && n >= TUAK_MIN_KECCAK_ITERATIONS && n <= TUAK_MAX_KECCAK_ITERATIONS;
}

/** A TUAK parameter out of range: its field name and what is allowed ("8, 16 or 32"). */
export interface TuakParamProblem {
  readonly field: keyof TuakParams;
  readonly allowed: string;
}

function oneOf(allowed: readonly number[]): string {
  return allowed.length === 1
    ? String(allowed[0])
    : `${allowed.slice(0, -1).join(', ')} or ${allowed[allowed.length - 1]}`;
}

/** The first parameter out of its range (in TS 35.231 order), or undefined when all are allowed. */
export function tuakParamProblem(
  p: Readonly<Record<keyof TuakParams, number>>,
): TuakParamProblem | undefined {
  if (!isTuakKeccakIterations(p.keccakIterations))
    return {
      field: 'keccakIterations',
      allowed: `${TUAK_MIN_KECCAK_ITERATIONS}..${TUAK_MAX_KECCAK_ITERATIONS}`,
    };
  const lengths: [keyof TuakParams, readonly number[]][] = [
    ['macLength', TUAK_MAC_LENGTHS],
    ['resLength', TUAK_RES_LENGTHS],
    ['ckLength', TUAK_CK_LENGTHS],
    ['ikLength', TUAK_IK_LENGTHS],
  ];
  for (const [field, allowed] of lengths) {
    if (!allowed.includes(p[field])) return { field, allowed: oneOf(allowed) };
  }
  return undefined;
}
