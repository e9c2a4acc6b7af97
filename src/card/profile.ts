// A profile's subscription data as its USIM uses it: EF.ICCID / EF.IMSI encodings (TS 102 221 13.2,
// TS 31.102 4.2.2), the AKA functions of its keys (TS 35.206 / TS 35.231) and their check values (DESIGN.md 4.5).
import { concatBytes, encodeSwappedBcd, equalBytes } from '../bytes/index.js';
import { keyCheckValue } from '../crypto/index.js';
import {
  MILENAGE_DEFAULT_CONSTANTS,
  milenage,
  tuak,
  type AkaFunctions,
  type TuakParams,
} from '../aka/index.js';
import type { CardProfile, ProfileKeys } from './image.js';

export const ICCID_BYTES = 10;
const IMSI_BYTES = 8;

/** TS 102 221 13.2 EF.ICCID: 10 bytes of swapped-nibble BCD, padded with F. */
export function iccidBytes(iccid: string): Uint8Array {
  return encodeSwappedBcd(iccid, 'ICCID', ICCID_BYTES);
}

// TS 31.102 4.2.2 EF.IMSI: length, then swapped BCD of (parity nibble 9 odd / 1 even, IMSI digits), F-padded.
export function efImsi(imsi: string): Uint8Array {
  const digits = (imsi.length % 2 === 1 ? '9' : '1') + imsi;
  const body = encodeSwappedBcd(digits, 'IMSI', IMSI_BYTES);
  return concatBytes(Uint8Array.of(Math.ceil(digits.length / 2)), body);
}

/** The f1..f5* functions of a profile's keys, with its algorithm parameters (absent ones: defaults). */
export function akaFunctionsOf(keys: ProfileKeys): AkaFunctions {
  const p = keys.parameters;
  if (keys.algorithm === 'milenage') {
    const constants =
      p?.kind === 'milenage'
        ? { r: p.r ?? MILENAGE_DEFAULT_CONSTANTS.r, c: p.c ?? MILENAGE_DEFAULT_CONSTANTS.c }
        : MILENAGE_DEFAULT_CONSTANTS;
    return milenage(keys.k, keys.opc, constants);
  }
  const params: Partial<TuakParams> = {};
  if (p?.kind === 'tuak') {
    if (p.keccakIterations !== undefined) params.keccakIterations = p.keccakIterations;
    if (p.macLength !== undefined) params.macLength = p.macLength as TuakParams['macLength'];
    if (p.resLength !== undefined) params.resLength = p.resLength as TuakParams['resLength'];
    if (p.ckLength !== undefined) params.ckLength = p.ckLength as TuakParams['ckLength'];
    if (p.ikLength !== undefined) params.ikLength = p.ikLength as TuakParams['ikLength'];
  }
  return tuak(keys.k, keys.opc, params);
}

/** KCV(K) || KCV(OPc) (DESIGN.md 4.5). */
export function checkValuesOf(keys: ProfileKeys): Uint8Array {
  return concatBytes(keyCheckValue(keys.k), keyCheckValue(keys.opc));
}

/** The index of the profile whose EF.ICCID bytes are `iccid`, or -1. */
export function profileByIccidBytes(profiles: readonly CardProfile[], iccid: Uint8Array): number {
  return profiles.findIndex((p) => equalBytes(iccidBytes(p.iccid), iccid));
}
