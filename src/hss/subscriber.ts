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
import { InvalidRequestError } from './errors.js';

/** Keys in clear, in memory only: K and OPc (Milenage) or K and TOPc (TUAK, kept in `opc`). */
export interface KeyMaterial {
  readonly algorithm: AkaAlgorithm;
  readonly k: Uint8Array;
  readonly opc: Uint8Array;
  /** TUAK parameters (TS 35.231; DESIGN.md 4.5 A6 defaults); absent for Milenage. */
  readonly tuak?: TuakParams;
}

/** A key set as stored: version (BF70 82), algorithm, parameters, and AES-GCM(KEK, K || OPc). */
export interface StoredKeySet {
  readonly version: number;
  readonly algorithm: AkaAlgorithm;
  readonly tuak: TuakParams | null;
  readonly sealed: Uint8Array;
}

export interface CandidateKeySet extends StoredKeySet {
  /** The key-update transaction id (BF70 80), 16 bytes as 32 lowercase hex digits. */
  readonly transactionId: string;
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
  readonly activeTransactionId: string | null;
  readonly candidate: CandidateKeySet | null;
  /**
   * Self-healing (DESIGN.md 6 step 3): the candidate's version after a MAC failure on an active vector, so the
   * next vector comes from the candidate; null: from the active keys.
   */
  readonly fallbackVersion: number | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export type AuditEventName =
  | 'subscriber-created'
  | 'subscriber-updated'
  | 'subscriber-deleted'
  | 'candidate-staged'
  | 'candidate-committed'
  | 'candidate-aborted'
  | 'candidate-promoted'
  | 'mac-failure'
  | 'auth-failure'
  | 'resynchronised';

/** One line of the audit trail: when, what, which key version and transaction, who. Never keys. */
export interface AuditEvent {
  readonly at: Date;
  readonly imsi: string;
  readonly event: AuditEventName;
  readonly keyVersion: number | null;
  readonly transactionId: string | null;
  readonly actor: string;
}

export const ALGORITHMS = AKA_ALGORITHMS;
export const IMSI_PATTERN = /^[0-9]{15}$/;
export const ICCID_PATTERN = /^[0-9]{19,20}$/;
export const TRANSACTION_ID_PATTERN = /^[0-9a-f]{32}$/;
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
