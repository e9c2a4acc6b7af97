// Vector computation, apart from storage (as osmo-hlr's auc.c is apart from db_auc.c): pure functions of the
// subscriber's keys, RAND, SQN and AMF.
import {
  generateVector,
  heAkaVectorOf,
  kasme,
  milenage,
  snId,
  SQN_LENGTH,
  tuak,
  type AkaFunctions,
  type HeAkaVector,
} from '../aka/index.js';
import { NoCredentialsError } from './errors.js';
import type { KeyMaterial } from './client/model.js';

/** TS 33.501 6.1.3.2 / TS 33.401 Annex H: the AMF separation bit (bit 0) is 1 in EPS and 5G vectors. */
export const AMF_SEPARATION_BIT = 0x80;

export function akaFunctions(km: KeyMaterial): AkaFunctions {
  return km.algorithm === 'milenage' ? milenage(km.k, km.opc) : tuak(km.k, km.opc, km.tuak);
}

// TS 33.401 A.2 / TS 33.501 A.2: the KDF key is CK || IK of 128 bits each; TUAK's 256-bit CK or IK cannot serve.
function check128(ck: Uint8Array, ik: Uint8Array): void {
  if (ck.length !== 16 || ik.length !== 16) {
    throw new NoCredentialsError(
      'EPS/5G key derivation needs 128-bit CK and IK (TS 33.401 A.2, TS 33.501 A.2)',
    );
  }
}

export function withSeparationBit(amf: Uint8Array): Uint8Array {
  return Uint8Array.of(amf[0] | AMF_SEPARATION_BIT, amf[1]);
}

/** TS 33.501 6.1.3.2 (5G_HE_AKA): RAND, AUTN, XRES*, KAUSF (aka/he-av.ts). */
export type { HeAkaVector } from '../aka/index.js';

/** TS 33.401 6.1.1 (EPS AV): RAND, AUTN, XRES, KASME. */
export interface EpsAkaVector {
  readonly rand: Uint8Array;
  readonly autn: Uint8Array;
  readonly xres: Uint8Array;
  readonly kasme: Uint8Array;
}

/** TS 33.501 6.1.3.2: XRES* (A.4) and KAUSF (A.2) from CK, IK and the serving network name. */
export function heAkaVector(
  fns: AkaFunctions,
  rand: Uint8Array,
  sqn: bigint,
  amf: Uint8Array,
  servingNetworkName: string,
): HeAkaVector {
  const v = generateVector(fns, rand, sqn, amf);
  check128(v.ck, v.ik);
  return heAkaVectorOf(v, servingNetworkName);
}

/** TS 33.401 6.1.1 and A.2: KASME from CK, IK, the serving network id and SQN xor AK. */
export function epsAkaVector(
  fns: AkaFunctions,
  rand: Uint8Array,
  sqn: bigint,
  amf: Uint8Array,
  mcc: string,
  mnc: string,
): EpsAkaVector {
  const v = generateVector(fns, rand, sqn, amf);
  check128(v.ck, v.ik);
  return {
    rand: v.rand,
    autn: v.autn,
    xres: v.xres,
    kasme: kasme(v.ck, v.ik, snId(mcc, mnc), v.autn.subarray(0, SQN_LENGTH)),
  };
}
