// GSMA SGP.29 2: the EID, 32 digits whose last two are check digits (ISO 7064 MOD 97-10: the number mod 97 is 1).
import { encodeBcd } from '../bytes/index.js';
import type { RandomSource } from '../crypto/index.js';
import { EID_DIGITS } from './constants.js';
import { malformed } from './errors.js';

export function eidCheckDigitsValid(eid: string): boolean {
  return /^[0-9]{32}$/.test(eid) && BigInt(eid) % 97n === 1n;
}

/** Appends the two check digits to 30 digits. */
export function withEidCheckDigits(first30: string): string {
  if (!/^[0-9]{30}$/.test(first30)) throw malformed('EID: 30 digits expected before the check digits');
  const check = 98n - ((BigInt(first30) * 100n) % 97n);
  return first30 + check.toString().padStart(2, '0');
}

/** A random EID: "89" (telecom), then 28 random digits, then the check digits. */
export function randomEid(rng: RandomSource): string {
  let digits = '89';
  while (digits.length < 30) {
    for (const b of rng.randomBytes(30 - digits.length))
      if (b < 250 && digits.length < 30) digits += String(b % 10);
  }
  return withEidCheckDigits(digits);
}

/** DESIGN.md 4.2: 5F20 carries the EID as 16 bytes BCD in reading order (as SGP.22 encodes it). */
export function eidSubjectId(eid: string): Uint8Array {
  if (!new RegExp(`^[0-9]{${EID_DIGITS}}$`).test(eid)) throw malformed(`EID must be ${EID_DIGITS} digits`);
  return encodeBcd(eid, 'EID');
}
