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

function fixed(tag: number, value: Uint8Array, length: number, name: string): void {
  if (value.length !== length) {
    throw new OsmoError(
      'gsup',
      `GSUP auth tuple: ${name} IE ${hexTag(tag)} of ${value.length} bytes, expected ${length}`,
    );
  }
}

export function encodeAuthTuple(t: UmtsAuthTuple): Uint8Array {
  fixed(GSUP_IEI.RAND, t.rand, GSUP_RAND_LENGTH, 'RAND');
  fixed(GSUP_IEI.IK, t.ik, GSUP_IK_LENGTH, 'IK');
  fixed(GSUP_IEI.CK, t.ck, GSUP_CK_LENGTH, 'CK');
  fixed(GSUP_IEI.AUTN, t.autn, GSUP_AUTN_LENGTH, 'AUTN');
  if (t.xres.length < 1 || t.xres.length > GSUP_RES_MAX_LENGTH) {
    throw new OsmoError(
      'gsup',
      `GSUP auth tuple: RES of ${t.xres.length} bytes (1 to ${GSUP_RES_MAX_LENGTH})`,
    );
  }
  if ((t.sres === undefined) !== (t.kc === undefined)) {
    throw new OsmoError('gsup', 'GSUP auth tuple: SRES and Kc go together');
  }
  const ies: GsupIe[] = [{ tag: GSUP_IEI.RAND, value: t.rand }];
  if (t.sres !== undefined && t.kc !== undefined) {
    fixed(GSUP_IEI.SRES, t.sres, GSUP_SRES_LENGTH, 'SRES');
    fixed(GSUP_IEI.KC, t.kc, GSUP_KC_LENGTH, 'Kc');
    ies.push({ tag: GSUP_IEI.SRES, value: t.sres }, { tag: GSUP_IEI.KC, value: t.kc });
  }
  ies.push(
    { tag: GSUP_IEI.IK, value: t.ik },
    { tag: GSUP_IEI.CK, value: t.ck },
    { tag: GSUP_IEI.AUTN, value: t.autn },
    { tag: GSUP_IEI.RES, value: t.xres },
  );
  return encodeIes(ies);
}

/** gsup.c decode_auth_info: fixed lengths checked, unknown nested IEs skipped; a UMTS tuple needs all five. */
export function decodeAuthTuple(value: Uint8Array): UmtsAuthTuple {
  const found = new Map<number, Uint8Array>();
  for (const ie of decodeIes(value, 'GSUP auth tuple')) {
    switch (ie.tag) {
      case GSUP_IEI.RAND:
        fixed(ie.tag, ie.value, GSUP_RAND_LENGTH, 'RAND');
        break;
      case GSUP_IEI.SRES:
        fixed(ie.tag, ie.value, GSUP_SRES_LENGTH, 'SRES');
        break;
      case GSUP_IEI.KC:
        fixed(ie.tag, ie.value, GSUP_KC_LENGTH, 'Kc');
        break;
      case GSUP_IEI.IK:
        fixed(ie.tag, ie.value, GSUP_IK_LENGTH, 'IK');
        break;
      case GSUP_IEI.CK:
        fixed(ie.tag, ie.value, GSUP_CK_LENGTH, 'CK');
        break;
      case GSUP_IEI.AUTN:
        fixed(ie.tag, ie.value, GSUP_AUTN_LENGTH, 'AUTN');
        break;
      case GSUP_IEI.RES:
        if (ie.value.length < 1 || ie.value.length > GSUP_RES_MAX_LENGTH) {
          throw new OsmoError(
            'gsup',
            `GSUP auth tuple: RES IE of ${ie.value.length} bytes (1 to ${GSUP_RES_MAX_LENGTH})`,
          );
        }
        break;
      default:
        continue; // gsup.c: "not expected", skipped
    }
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
