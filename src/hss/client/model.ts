// The HSS's domain values, one type per thing, shared by the HSS (hss/), its HTTP client and their callers
// (server/, core/): bytes inside, hex only on the wire (wire.ts) and in logs. Imports no store and no driver.
import type { AkaAlgorithm, TuakParams } from '../../aka/params/index.js';

/** DESIGN.md 4.5 BF70 80: a key-update transaction id is 16 bytes. */
export const TRANSACTION_ID_LENGTH = 16;

/**
 * Keys in clear, in memory only: K and OPc (Milenage), or K and TOPc (TUAK), which is kept in `opc` too; the
 * name `topc` exists only in JSON shapes and CLI flags.
 */
export interface KeyMaterial {
  readonly algorithm: AkaAlgorithm;
  readonly k: Uint8Array;
  readonly opc: Uint8Array;
  /** TUAK parameters (TS 35.231; DESIGN.md 4.5 A6 defaults); absent for Milenage. */
  readonly tuak?: TuakParams;
}

export interface NewSubscriber {
  readonly imsi: string;
  readonly iccid?: string;
  readonly amf?: Uint8Array;
  /** Default 1. */
  readonly keyVersion?: number;
  readonly keys: KeyMaterial;
}

/** DESIGN.md 6 step 1: the keys to stage, their version, and the key-update transaction they belong to. */
export interface CandidateInput {
  readonly keyVersion: number;
  /** TRANSACTION_ID_LENGTH bytes (BF70 80). */
  readonly transactionId: Uint8Array;
  readonly keys: KeyMaterial;
}

export interface SubscriberPatch {
  readonly iccid?: string;
  readonly amf?: Uint8Array;
}

/** What the HSS tells about a subscriber: versions and state, never keys. */
export interface SubscriberView {
  readonly imsi: string;
  readonly iccid: string | null;
  readonly algorithm: AkaAlgorithm | null;
  readonly activeVersion: number | null;
  /** The transaction whose commit (or promotion at attach) made the active keys; absent for personalised keys. */
  readonly activeTransactionId?: Uint8Array;
  readonly candidate?: {
    readonly version: number;
    readonly transactionId: Uint8Array;
    readonly stagedAt: Date;
  };
  readonly tuak?: TuakParams;
  readonly amf: Uint8Array;
  readonly sqn: bigint;
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
  readonly transactionId: Uint8Array | null;
  readonly actor: string;
}
