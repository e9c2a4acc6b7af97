// Issue 13: card-management jobs, the server's side of CA compromise recovery pushed to cards in the field over
// the RAM + SCP11a path of key updates: a CA-KLOC rotation (PUT KEY the new CA key, then DELETE the others), a
// deny-list publication (STORE DATA BF74) and an OCE allowlist replacement (STORE DATA A6 70). No key material:
// every payload is public (CA public keys, certificate serials).
import type { AttemptFields } from '../attempt-backoff.js';
import type { DenyListMode } from '../../gp/index.js';

export type CardJobKind = 'ca-kloc-rotation' | 'deny-list' | 'oce-allowlist';
export const CARD_JOB_KINDS: readonly CardJobKind[] = ['ca-kloc-rotation', 'deny-list', 'oce-allowlist'];

/**
 * pending     created; nothing went to the card
 * installing  (ca-kloc-rotation) PUT KEY of the new CA-KLOC key may be on its way (the answer may be lost)
 * installed   (ca-kloc-rotation) the card showed the new key under R-MAC; the old ones are still trusted
 * deleting    (ca-kloc-rotation) DELETE of an old CA-KLOC key may be on its way
 * sent        (deny-list, oce-allowlist) STORE DATA may be on its way (resent: both updates are idempotent)
 * completed   the card confirmed under R-MAC (ca-kloc-rotation: it lists the new key and no other)
 * failed / cancelled  final
 */
export type CardJobState =
  'pending' | 'installing' | 'installed' | 'deleting' | 'sent' | 'completed' | 'failed' | 'cancelled';

export const CARD_JOB_STATES: readonly CardJobState[] = [
  'pending',
  'installing',
  'installed',
  'deleting',
  'sent',
  'completed',
  'failed',
  'cancelled',
];
/** States in which the card still needs a session; at most one open job per (EID, slot). */
export const OPEN_CARD_JOB_STATES: readonly CardJobState[] = [
  'pending',
  'installing',
  'installed',
  'deleting',
  'sent',
];

/** The new CA-KLOC public key (KID 10); every other CA-KLOC key of the card is deleted once it is in place. */
export interface CaKlocRotationPayload {
  readonly kind: 'ca-kloc-rotation';
  readonly kvn: number;
  /** Curve name (crypto/curves). */
  readonly curve: string;
  /** Uncompressed point, hex. */
  readonly publicKey: string;
  /** SHA-1 of the point (GPC Amd F 7.4.2: the key id FF33 lists), hex: how the card's answer names it. */
  readonly keyId: string;
}

export interface DenyListPayload {
  readonly kind: 'deny-list';
  readonly mode: DenyListMode;
  /** Serials of revoked OCE certificates, hex, canonical (gp canonicalSerial). */
  readonly serials: readonly string[];
}

export interface OceAllowlistPayload {
  readonly kind: 'oce-allowlist';
  /** The key set (KID 11/15) or CA-KLOC key (KID 10) whose list is replaced. */
  readonly kid: number;
  readonly kvn: number;
  /** Empty: the list is cleared (any OCE under the CA-KLOC is accepted). */
  readonly serials: readonly string[];
}

export type CardJobPayload = CaKlocRotationPayload | DenyListPayload | OceAllowlistPayload;

/** What the uniqueness of open jobs is about: one CA-KLOC set, one deny list, one allowlist per key reference. */
export function slotOf(p: CardJobPayload): string {
  return p.kind === 'oce-allowlist' ? `oce-allowlist:${hexByte(p.kid)}${hexByte(p.kvn)}` : p.kind;
}

function hexByte(n: number): string {
  return n.toString(16).padStart(2, '0');
}

export interface CardJobEvent {
  readonly state: CardJobState;
  readonly at: string;
  readonly detail?: string;
}

export interface CardJobRecord extends AttemptFields {
  readonly id: string;
  readonly eid: string;
  readonly kind: CardJobKind;
  readonly slot: string;
  readonly state: CardJobState;
  readonly payload: CardJobPayload;
  /**
   * Bumped when a newer publication for the same slot is merged into this open job: a session completes the job
   * only when what the card confirmed is the payload of this generation.
   */
  readonly generation: number;
  /** A batch (campaign) the job was created in, for counts by state. */
  readonly batch?: string;
  readonly history: readonly CardJobEvent[];
  readonly error?: string;
  /** Too many failed attempts in a row, or a card key pin mismatch (DESIGN.md 7, issue 13). */
  readonly securityAlarm: boolean;
  /** Sessions in which the card authenticated for this job. */
  readonly sessions: number;
  readonly createdBy: string;
  /** Bumped by every write; writes are compare-and-set on it (DESIGN.md 7). */
  readonly revision: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** The stored JSON document (everything but the columns the store indexes on is in it; nothing secret). */
export function cardJobDoc(j: CardJobRecord): string {
  return JSON.stringify(j);
}

export function cardJobOfDoc(doc: string, revision: number): CardJobRecord {
  return { ...(JSON.parse(doc) as CardJobRecord), revision };
}

/** The operator's view. */
export function cardJobView(j: CardJobRecord) {
  return {
    id: j.id,
    eid: j.eid,
    kind: j.kind,
    state: j.state,
    payload: j.payload,
    generation: j.generation,
    ...(j.batch === undefined ? {} : { batch: j.batch }),
    history: j.history,
    ...(j.error === undefined ? {} : { error: j.error }),
    securityAlarm: j.securityAlarm,
    sessions: j.sessions,
    createdBy: j.createdBy,
    attempts: j.attempts,
    consecutiveFailures: j.consecutiveFailures,
    ...(j.lastAttemptAt === undefined ? {} : { lastAttemptAt: j.lastAttemptAt }),
    ...(j.lastAttemptError === undefined ? {} : { lastAttemptError: j.lastAttemptError }),
    ...(j.nextAttemptAt === undefined ? {} : { nextAttemptAt: j.nextAttemptAt }),
    createdAt: j.createdAt,
    updatedAt: j.updatedAt,
  };
}

export type CardJobView = ReturnType<typeof cardJobView>;
