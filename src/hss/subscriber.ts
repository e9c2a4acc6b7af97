// The subscriber as the HSS keeps it: identities, AMF, SQN_HE, and the key sets of the transition of DESIGN.md 6
// (active and at most one candidate; no previous key set: a commit destroys the old keys). Keys are held sealed
// (key-vault.ts).
import {
  AKA_ALGORITHMS,
  MAX_KEY_VERSION,
  MIN_KEY_VERSION,
  TUAK_DEFAULT_PARAMS,
  akaKeyLengths,
  tuakParamProblem,
  type AkaAlgorithm,
  type TuakParams,
} from '../aka/index.js';
import type { KeyMaterial } from './client/model.js';
import { InvalidRequestError } from './errors.js';

/** A key set as stored: version (BF70 82), algorithm, parameters, and AES-GCM(KEK, K || OPc). */
export interface StoredKeySet {
  readonly version: number;
  readonly algorithm: AkaAlgorithm;
  readonly tuak: TuakParams | null;
  readonly sealed: Uint8Array;
}

export interface CandidateKeySet extends StoredKeySet {
  /** The key-update transaction id (BF70 80), TRANSACTION_ID_LENGTH bytes. */
  readonly transactionId: Uint8Array;
  readonly stagedAt: Date;
}

export interface SubscriberRecord {
  readonly imsi: string;
  readonly iccid: string | null;
  /** TS 33.102 6.3.2: the AMF put in AUTN (bit 0, the separation bit, is set for EPS/5G vectors). */
  readonly amf: Uint8Array;
  /** TS 33.102 Annex C: SQN_HE, the last SEQ || IND handed out. */
  readonly sqn: bigint;
  readonly indBits: number;
  readonly active: StoredKeySet | null;
  /** Transaction id of the commit that made the active keys (for idempotent commits). */
  readonly activeTransactionId: Uint8Array | null;
  readonly candidate: CandidateKeySet | null;
  /**
   * Self-healing (DESIGN.md 6 step 3): the candidate's version after a MAC failure on an active vector, so the
   * next vector comes from the candidate; null: from the active keys.
   */
  readonly fallbackVersion: number | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export const ALGORITHMS = AKA_ALGORITHMS;
export const IMSI_PATTERN = /^[0-9]{15}$/;
export const ICCID_PATTERN = /^[0-9]{19,20}$/;
export const DEFAULT_AMF = Uint8Array.of(0x80, 0x00);
export { MIN_KEY_VERSION, MAX_KEY_VERSION };

/** The key set with this version, if the subscriber still holds it (active or candidate). */
export function keySetByVersion(r: SubscriberRecord, version: number | null): StoredKeySet | undefined {
  if (version === null) return undefined;
  return [r.active, r.candidate].find((s): s is StoredKeySet => s !== null && s.version === version);
}

/** Checks lengths and parameters as DESIGN.md 4.5 allows them; throws InvalidRequestError naming the field. */
export function checkKeyMaterial(km: KeyMaterial, prefix = ''): KeyMaterial {
  const field = (name: string) => `${prefix}${name}`;
  const lengths = akaKeyLengths(km.algorithm);
  const bytes = (allowed: readonly number[]) => allowed.join(' or ');
  if (km.algorithm === 'milenage') {
    if (!lengths.k.includes(km.k.length))
      throw new InvalidRequestError(field('k'), `Milenage K must be ${bytes(lengths.k)} bytes`);
    if (!lengths.opc.includes(km.opc.length))
      throw new InvalidRequestError(field('opc'), `Milenage OPc must be ${bytes(lengths.opc)} bytes`);
    if (km.tuak !== undefined)
      throw new InvalidRequestError(field('tuak'), 'TUAK parameters given for Milenage');
    return km;
  }
  if (!lengths.k.includes(km.k.length))
    throw new InvalidRequestError(field('k'), `TUAK K must be ${bytes(lengths.k)} bytes`);
  if (!lengths.opc.includes(km.opc.length))
    throw new InvalidRequestError(field('topc'), `TUAK TOPc must be ${bytes(lengths.opc)} bytes`);
  const p = { ...TUAK_DEFAULT_PARAMS, ...km.tuak };
  const problem = tuakParamProblem(p);
  if (problem !== undefined)
    throw new InvalidRequestError(field(`tuak.${problem.field}`), `must be ${problem.allowed}`);
  return { ...km, tuak: p };
}

export function checkKeyVersion(version: number, field = 'keyVersion'): number {
  if (!Number.isInteger(version) || version < MIN_KEY_VERSION || version > MAX_KEY_VERSION) {
    throw new InvalidRequestError(field, `must be an integer ${MIN_KEY_VERSION}..${MAX_KEY_VERSION}`);
  }
  return version;
}
