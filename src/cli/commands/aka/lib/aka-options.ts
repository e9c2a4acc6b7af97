// The options `ltku aka generate` and `ltku aka resync` share: algorithm, K, OP/OPc or TOP/TOPc, TUAK sizes.
import {
  computeOpc,
  computeTopc,
  milenage,
  TUAK_DEFAULT_PARAMS,
  tuak,
  type AkaFunctions,
  type TuakParams,
} from '../../../../aka/index.js';
import type { ParseArgsConfig } from 'node:util';
import type { OptionValues } from '../../../command.js';
import { UsageError } from '../../../errors.js';
import { exactlyOne, optionalInt, requireChoice, requireHex } from '../../../options.js';

const MILENAGE_KEY_OPTIONS = ['opc', 'op'] as const;
const TUAK_KEY_OPTIONS = ['topc', 'top'] as const;
const TUAK_ONLY = ['topc', 'top', 'keccak-iterations', 'mac-bits', 'res-bits', 'ck-bits', 'ik-bits'];

export const keyOptions = {
  alg: { type: 'string' },
  k: { type: 'string' },
  opc: { type: 'string' },
  op: { type: 'string' },
  topc: { type: 'string' },
  top: { type: 'string' },
  'keccak-iterations': { type: 'string' },
  'mac-bits': { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

export const tuakSizeOptions = {
  'res-bits': { type: 'string' },
  'ck-bits': { type: 'string' },
  'ik-bits': { type: 'string' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

export interface KeyedFunctions {
  readonly fns: AkaFunctions;
  /** `opc` for Milenage, `topc` for TUAK. */
  readonly opcName: 'opc' | 'topc';
  readonly opc: Uint8Array;
}

function bits(values: OptionValues, name: string, allowed: readonly number[], fallbackBytes: number): number {
  return (optionalInt(values, name, allowed) ?? fallbackBytes * 8) / 8;
}

/** Reads --alg, --k and the operator key; for TUAK also the iteration count and output sizes. */
export function readFunctions(values: OptionValues): KeyedFunctions {
  const alg = requireChoice(values, 'alg', ['milenage', 'tuak'] as const);
  if (alg === 'milenage') {
    const stray = TUAK_ONLY.find((n) => values[n] !== undefined);
    if (stray !== undefined) throw new UsageError(`--${stray} applies to --alg tuak only`);
    const k = requireHex(values, 'k', 16);
    const which = exactlyOne(values, MILENAGE_KEY_OPTIONS);
    const opc = which === 'opc' ? requireHex(values, 'opc', 16) : computeOpc(k, requireHex(values, 'op', 16));
    return { fns: milenage(k, opc), opcName: 'opc', opc };
  }
  const stray = MILENAGE_KEY_OPTIONS.find((n) => values[n] !== undefined);
  if (stray !== undefined)
    throw new UsageError(`--${stray} applies to --alg milenage only (use --topc or --top)`);
  const k = requireHex(values, 'k', 16, 32);
  const params: TuakParams = {
    keccakIterations:
      optionalInt(values, 'keccak-iterations', undefined, [1, 255]) ?? TUAK_DEFAULT_PARAMS.keccakIterations,
    macLength: bits(
      values,
      'mac-bits',
      [64, 128, 256],
      TUAK_DEFAULT_PARAMS.macLength,
    ) as TuakParams['macLength'],
    resLength: bits(
      values,
      'res-bits',
      [32, 64, 128, 256],
      TUAK_DEFAULT_PARAMS.resLength,
    ) as TuakParams['resLength'],
    ckLength: bits(values, 'ck-bits', [128, 256], TUAK_DEFAULT_PARAMS.ckLength) as TuakParams['ckLength'],
    ikLength: bits(values, 'ik-bits', [128, 256], TUAK_DEFAULT_PARAMS.ikLength) as TuakParams['ikLength'],
  };
  const which = exactlyOne(values, TUAK_KEY_OPTIONS);
  const topc =
    which === 'topc'
      ? requireHex(values, 'topc', 32)
      : computeTopc(k, requireHex(values, 'top', 32), params.keccakIterations);
  return { fns: tuak(k, topc, params), opcName: 'topc', opc: topc };
}
