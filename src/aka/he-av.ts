// TS 33.501 6.1.3.2 step 2: the UDM/ARPF turns a UMTS authentication vector (RAND, AUTN, XRES, CK, IK) into a 5G
// HE AV: XRES* (A.4) and KAUSF (A.2) from CK || IK and the serving network name, with SQN xor AK = AUTN[0..6].
// One function for every source of quintuplets: ltku's own AuC and an HLR reached over GSUP (osmo-hlr).
import { SQN_LENGTH } from './functions.js';
import { kausf, resStar } from './keys.js';

/** The UMTS vector the HE AV is made from (TS 33.102 6.3.2). */
export interface UmtsQuintet {
  readonly rand: Uint8Array;
  readonly autn: Uint8Array;
  readonly xres: Uint8Array;
  readonly ck: Uint8Array;
  readonly ik: Uint8Array;
}

/** TS 33.501 6.1.3.2 (5G_HE_AKA): RAND, AUTN, XRES*, KAUSF. */
export interface HeAkaVector {
  readonly rand: Uint8Array;
  readonly autn: Uint8Array;
  readonly xresStar: Uint8Array;
  readonly kausf: Uint8Array;
}

// TS 33.501 6.1.3.2 step 2, A.2, A.4
export function heAkaVectorOf(q: UmtsQuintet, servingNetworkName: string): HeAkaVector {
  const sqnXorAk = q.autn.subarray(0, SQN_LENGTH);
  return {
    rand: q.rand,
    autn: q.autn,
    xresStar: resStar(q.ck, q.ik, servingNetworkName, q.rand, q.xres),
    kausf: kausf(q.ck, q.ik, servingNetworkName, sqnXorAk),
  };
}
