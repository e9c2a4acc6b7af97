// EPS and 5G key derivation from an AKA run, with the KDF of TS 33.220 B.2 (FC values from TS 33.401 A / 33.501 A).
import { abytes, concatBytes } from '../bytes/index.js';
import { kdf3gpp, sha256 } from '../crypto/index.js';
import { AkaError } from './errors.js';
import { RAND_LENGTH, SQN_LENGTH } from './functions.js';

export const FC_KASME = 0x10; // TS 33.401 A.2
export const FC_KAUSF = 0x6a; // TS 33.501 A.2
export const FC_RES_STAR = 0x6b; // TS 33.501 A.4
export const FC_KSEAF = 0x6c; // TS 33.501 A.6
export const FC_KAMF = 0x6d; // TS 33.501 A.7

export const SN_ID_LENGTH = 3;
const RES_STAR_LENGTH = 16;
const HXRES_STAR_LENGTH = 16;

const utf8 = new TextEncoder();

function ckIk(ck: Uint8Array, ik: Uint8Array): Uint8Array {
  abytes(ck, 'CK', 16);
  abytes(ik, 'IK', 16);
  return concatBytes(ck, ik);
}

function snnBytes(snn: string): Uint8Array {
  if (typeof snn !== 'string' || snn.length === 0) throw new AkaError('serving network name: empty');
  return utf8.encode(snn);
}

/**
 * PLMN identity (TS 24.301 9.9.3.12 / TS 24.008 10.5.1.3): MCC2 MCC1 | MNC3 MCC3 | MNC2 MNC1, MNC3 = F for a
 * 2-digit MNC. E.g. MCC 001, MNC 01 -> 00 F1 10.
 */
export function snId(mcc: string, mnc: string): Uint8Array {
  if (!/^[0-9]{3}$/.test(mcc)) throw new AkaError(`MCC: expected 3 digits, got ${JSON.stringify(mcc)}`);
  if (!/^[0-9]{2,3}$/.test(mnc))
    throw new AkaError(`MNC: expected 2 or 3 digits, got ${JSON.stringify(mnc)}`);
  const d = (s: string, i: number) => s.charCodeAt(i) - 0x30;
  const mnc3 = mnc.length === 3 ? d(mnc, 2) : 0xf;
  return Uint8Array.of((d(mcc, 1) << 4) | d(mcc, 0), (mnc3 << 4) | d(mcc, 2), (d(mnc, 1) << 4) | d(mnc, 0));
}

/** TS 33.401 A.2: KASME = KDF(CK || IK, 0x10, SN id, SQN xor AK). */
export function kasme(
  ck: Uint8Array,
  ik: Uint8Array,
  snIdentity: Uint8Array,
  sqnXorAk: Uint8Array,
): Uint8Array {
  abytes(snIdentity, 'SN id', SN_ID_LENGTH);
  abytes(sqnXorAk, 'SQN xor AK', SQN_LENGTH);
  return kdf3gpp(ckIk(ck, ik), FC_KASME, snIdentity, sqnXorAk);
}

/** TS 33.501 A.2: KAUSF = KDF(CK || IK, 0x6A, serving network name, SQN xor AK). */
export function kausf(ck: Uint8Array, ik: Uint8Array, snn: string, sqnXorAk: Uint8Array): Uint8Array {
  abytes(sqnXorAk, 'SQN xor AK', SQN_LENGTH);
  return kdf3gpp(ckIk(ck, ik), FC_KAUSF, snnBytes(snn), sqnXorAk);
}

/** TS 33.501 A.4: RES* (and XRES*) = the 128 least significant bits of KDF(CK || IK, 0x6B, SNN, RAND, RES). */
export function resStar(
  ck: Uint8Array,
  ik: Uint8Array,
  snn: string,
  rand: Uint8Array,
  res: Uint8Array,
): Uint8Array {
  abytes(rand, 'RAND', RAND_LENGTH);
  abytes(res, 'RES', 4, 8, 16, 32);
  const out = kdf3gpp(ckIk(ck, ik), FC_RES_STAR, snnBytes(snn), rand, res);
  return out.slice(out.length - RES_STAR_LENGTH);
}

/** TS 33.501 A.5: HXRES* (and HRES*) = the 128 least significant bits of SHA-256(RAND || XRES*). */
export function hxresStar(rand: Uint8Array, xresStar: Uint8Array): Uint8Array {
  abytes(rand, 'RAND', RAND_LENGTH);
  abytes(xresStar, 'XRES*', RES_STAR_LENGTH);
  const h = sha256(concatBytes(rand, xresStar));
  return h.slice(h.length - HXRES_STAR_LENGTH);
}

/** TS 33.501 A.6: KSEAF = KDF(KAUSF, 0x6C, serving network name). */
export function kseaf(kausfKey: Uint8Array, snn: string): Uint8Array {
  abytes(kausfKey, 'KAUSF', 32);
  return kdf3gpp(kausfKey, FC_KSEAF, snnBytes(snn));
}

/** TS 33.501 A.7: KAMF = KDF(KSEAF, 0x6D, SUPI, ABBA); an IMSI-type SUPI is its digits as a string. */
export function kamf(kseafKey: Uint8Array, supi: string, abba: Uint8Array): Uint8Array {
  abytes(kseafKey, 'KSEAF', 32);
  abytes(abba, 'ABBA');
  if (typeof supi !== 'string' || supi.length === 0) throw new AkaError('SUPI: empty');
  return kdf3gpp(kseafKey, FC_KAMF, utf8.encode(supi), abba);
}
