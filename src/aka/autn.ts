// AUTN and AUTS (TS 33.102 6.3.2, 6.3.3): build and check the authentication and resynchronisation tokens.
import { abytes } from '../bytes/index.js';
import { constantTimeEqual } from '../crypto/index.js';
import { AK_LENGTH, AMF_LENGTH, RAND_LENGTH, SQN_LENGTH, type AkaFunctions } from './functions.js';
import { sqnFromBytes, sqnToBytes } from './sqn-bytes.js';

/** One authentication vector (TS 33.102 6.3.2): the network's quintet plus the SQN and AMF it was made with. */
export interface AuthVector {
  readonly rand: Uint8Array;
  readonly xres: Uint8Array;
  readonly ck: Uint8Array;
  readonly ik: Uint8Array;
  readonly ak: Uint8Array;
  readonly autn: Uint8Array;
  readonly sqn: bigint;
  readonly amf: Uint8Array;
}

export interface AutnCheck {
  /** XMAC = MAC: the network is authentic. SQN freshness is the caller's next check (sqn.ts). */
  readonly macOk: boolean;
  readonly sqn: bigint;
  readonly amf: Uint8Array;
  readonly res: Uint8Array;
  readonly ck: Uint8Array;
  readonly ik: Uint8Array;
}

export interface AutsCheck {
  readonly sqnMs: bigint;
  readonly macOk: boolean;
}

// TS 33.102 6.3.3: the AMF used for MAC-S is the dummy value 0000.
export const AMF_RESYNC = new Uint8Array(AMF_LENGTH);

/** TS 33.102 6.3.2: AUTN = SQN xor AK || AMF || MAC-A. */
export function generateVector(
  fns: AkaFunctions,
  rand: Uint8Array,
  sqn: bigint,
  amf: Uint8Array,
): AuthVector {
  abytes(amf, 'AMF', AMF_LENGTH);
  const sqnBytes = sqnToBytes(sqn);
  const { res, ck, ik, ak } = fns.f2345(rand);
  const mac = fns.f1(rand, sqnBytes, amf);
  const autn = new Uint8Array(SQN_LENGTH + AMF_LENGTH + mac.length);
  for (let i = 0; i < SQN_LENGTH; i++) autn[i] = sqnBytes[i] ^ ak[i];
  autn[6] = amf[0];
  autn[7] = amf[1];
  autn.set(mac, SQN_LENGTH + AMF_LENGTH);
  return { rand: Uint8Array.from(rand), xres: res, ck, ik, ak, autn, sqn, amf: Uint8Array.from(amf) };
}

/** TS 33.102 6.3.3, USIM side: recovers SQN with AK and checks MAC-A (freshness is not checked here). */
export function verifyAutn(fns: AkaFunctions, rand: Uint8Array, autn: Uint8Array): AutnCheck {
  abytes(rand, 'RAND', RAND_LENGTH);
  abytes(autn, 'AUTN', SQN_LENGTH + AMF_LENGTH + fns.macLength);
  const { res, ck, ik, ak } = fns.f2345(rand);
  const sqnBytes = new Uint8Array(SQN_LENGTH);
  for (let i = 0; i < SQN_LENGTH; i++) sqnBytes[i] = autn[i] ^ ak[i];
  const amf = autn.slice(SQN_LENGTH, SQN_LENGTH + AMF_LENGTH);
  const xmac = fns.f1(rand, sqnBytes, amf);
  const macOk = constantTimeEqual(xmac, autn.subarray(SQN_LENGTH + AMF_LENGTH));
  return { macOk, sqn: sqnFromBytes(sqnBytes), amf, res, ck, ik };
}

/**
 * TS 33.102 6.3.3: AUTS = SQN_MS xor AK* || MAC-S, MAC-S = f1*(SQN_MS, RAND, AMF 0000).
 * MAC-S has the algorithm's MAC length: 8 bytes for Milenage (AUTS is 14 bytes), 8/16/32 for TUAK.
 */
export function buildAuts(fns: AkaFunctions, rand: Uint8Array, sqnMs: bigint): Uint8Array {
  const sqnBytes = sqnToBytes(sqnMs, 'SQN_MS');
  const akStar = fns.f5star(rand);
  const macS = fns.f1star(rand, sqnBytes, AMF_RESYNC);
  const auts = new Uint8Array(SQN_LENGTH + macS.length);
  for (let i = 0; i < SQN_LENGTH; i++) auts[i] = sqnBytes[i] ^ akStar[i];
  auts.set(macS, SQN_LENGTH);
  return auts;
}

/** TS 33.102 6.3.5, network side: recovers SQN_MS from AUTS and checks MAC-S. */
export function resolveAuts(fns: AkaFunctions, rand: Uint8Array, auts: Uint8Array): AutsCheck {
  abytes(rand, 'RAND', RAND_LENGTH);
  abytes(auts, 'AUTS', SQN_LENGTH + fns.macLength);
  const akStar = fns.f5star(rand);
  const sqnBytes = new Uint8Array(SQN_LENGTH);
  for (let i = 0; i < AK_LENGTH; i++) sqnBytes[i] = auts[i] ^ akStar[i];
  const xmacS = fns.f1star(rand, sqnBytes, AMF_RESYNC);
  return { sqnMs: sqnFromBytes(sqnBytes), macOk: constantTimeEqual(xmacS, auts.subarray(SQN_LENGTH)) };
}
