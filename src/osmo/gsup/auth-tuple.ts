// The GSUP auth tuple IE 0x03 (libosmocore gsup.c encode_auth_info / decode_auth_info): nested IEs RAND, SRES,
// Kc (GSM part) and IK, CK, AUTN, RES (UMTS part), in that order on encoding.
import { OsmoError } from '../errors.js';
import {
  GSUP_AUTN_LENGTH,
  GSUP_CK_LENGTH,
  GSUP_IEI,
  GSUP_IK_LENGTH,
  GSUP_KC_LENGTH,
  GSUP_RAND_LENGTH,
  GSUP_RES_MAX_LENGTH,
  GSUP_SRES_LENGTH,
} from './constants.js';
import { decodeIes, encodeIes, hexTag, type GsupIe } from './ie.js';

/** A UMTS authentication quintet (TS 33.102 6.3.2), with the GSM triplet's SRES and Kc when the HLR adds them. */
export interface UmtsAuthTuple {
  readonly rand: Uint8Array;
  readonly xres: Uint8Array;
  readonly ck: Uint8Array;
  readonly ik: Uint8Array;
  readonly autn: Uint8Array;
  readonly sres?: Uint8Array;
  readonly kc?: Uint8Array;
}

/** The nested IEs of a tuple, their names and lengths (gsup.c decode_auth_info; RES is 1 to 16 bytes). */
const TUPLE_IES = new Map<number, { readonly name: string; readonly min: number; readonly max: number }>([
  [GSUP_IEI.RAND, { name: 'RAND', min: GSUP_RAND_LENGTH, max: GSUP_RAND_LENGTH }],
  [GSUP_IEI.SRES, { name: 'SRES', min: GSUP_SRES_LENGTH, max: GSUP_SRES_LENGTH }],
  [GSUP_IEI.KC, { name: 'Kc', min: GSUP_KC_LENGTH, max: GSUP_KC_LENGTH }],
  [GSUP_IEI.IK, { name: 'IK', min: GSUP_IK_LENGTH, max: GSUP_IK_LENGTH }],
  [GSUP_IEI.CK, { name: 'CK', min: GSUP_CK_LENGTH, max: GSUP_CK_LENGTH }],
  [GSUP_IEI.AUTN, { name: 'AUTN', min: GSUP_AUTN_LENGTH, max: GSUP_AUTN_LENGTH }],
  [GSUP_IEI.RES, { name: 'RES', min: 1, max: GSUP_RES_MAX_LENGTH }],
]);

/** Checks a tuple IE's length against TUPLE_IES; false for an IE a tuple does not carry. */
function checkTupleIe(tag: number, value: Uint8Array): boolean {
  const ie = TUPLE_IES.get(tag);
  if (ie === undefined) return false;
  if (value.length < ie.min || value.length > ie.max) {
    const what =
      ie.min === ie.max
        ? `${ie.name} IE ${hexTag(tag)} of ${value.length} bytes, expected ${ie.min}`
        : `${ie.name} IE of ${value.length} bytes (${ie.min} to ${ie.max})`;
    throw new OsmoError('gsup', `GSUP auth tuple: ${what}`);
  }
  return true;
}

export function encodeAuthTuple(t: UmtsAuthTuple): Uint8Array {
  if ((t.sres === undefined) !== (t.kc === undefined)) {
    throw new OsmoError('gsup', 'GSUP auth tuple: SRES and Kc go together');
  }
  const ies: GsupIe[] = [{ tag: GSUP_IEI.RAND, value: t.rand }];
  if (t.sres !== undefined && t.kc !== undefined) {
    ies.push({ tag: GSUP_IEI.SRES, value: t.sres }, { tag: GSUP_IEI.KC, value: t.kc });
  }
  ies.push(
    { tag: GSUP_IEI.IK, value: t.ik },
    { tag: GSUP_IEI.CK, value: t.ck },
    { tag: GSUP_IEI.AUTN, value: t.autn },
    { tag: GSUP_IEI.RES, value: t.xres },
  );
  for (const ie of ies) checkTupleIe(ie.tag, ie.value);
  return encodeIes(ies);
}

/** gsup.c decode_auth_info: fixed lengths checked, unknown nested IEs skipped; a UMTS tuple needs all five. */
export function decodeAuthTuple(value: Uint8Array): UmtsAuthTuple {
  const found = new Map<number, Uint8Array>();
  for (const ie of decodeIes(value, 'GSUP auth tuple')) {
    if (!checkTupleIe(ie.tag, ie.value)) continue; // gsup.c: "not expected", skipped
    if (found.has(ie.tag)) throw new OsmoError('gsup', `GSUP auth tuple: IE ${hexTag(ie.tag)} appears twice`);
    found.set(ie.tag, ie.value);
  }
  const need = (tag: number, name: string): Uint8Array => {
    const v = found.get(tag);
    if (v === undefined)
      throw new OsmoError('gsup', `GSUP auth tuple without ${name} (IE ${hexTag(tag)}): not a UMTS tuple`);
    return v;
  };
  const tuple: UmtsAuthTuple = {
    rand: need(GSUP_IEI.RAND, 'RAND'),
    xres: need(GSUP_IEI.RES, 'RES'),
    ck: need(GSUP_IEI.CK, 'CK'),
    ik: need(GSUP_IEI.IK, 'IK'),
    autn: need(GSUP_IEI.AUTN, 'AUTN'),
  };
  const sres = found.get(GSUP_IEI.SRES);
  const kc = found.get(GSUP_IEI.KC);
  return sres && kc ? { ...tuple, sres, kc } : tuple;
}
