// The key transition of DESIGN.md 6 as pure functions over a subscriber record: stage, commit, abort, and the
// outcome of an authentication (promotion of the candidate, the self-healing fallback). There is no previous key
// set: the old keys are presumed leaked, so a commit or a promotion destroys them in the same transaction. Each
// function returns the mutation to store, undefined when nothing changes (idempotent repeats), or throws
// ConflictError. Transaction ids are bytes (not secret: compared in plain time); messages show them in hex.
import { equalBytes, toHex } from '../bytes/index.js';
import type { AuditEvent, AuditEventName } from './client/model.js';
import { ConflictError, NoCredentialsError } from './errors.js';
import type { Mutation } from './store/store.js';
import type { CandidateKeySet, StoredKeySet, SubscriberRecord } from './subscriber.js';

export interface Actor {
  readonly actor: string;
  readonly at: Date;
}

export type AuthFailure = 'MAC_FAILURE';

export interface AuthOutcome {
  readonly success: boolean;
  readonly rand: Uint8Array;
  readonly failure?: AuthFailure;
}

function event(
  r: SubscriberRecord,
  who: Actor,
  name: AuditEventName,
  keyVersion: number | null,
  transactionId: Uint8Array | null = null,
): AuditEvent {
  return { at: who.at, imsi: r.imsi, event: name, keyVersion, transactionId, actor: who.actor };
}

/** Whether `id` is the transaction `of` (absent: none). */
export function sameTransaction(of: Uint8Array | null | undefined, id: Uint8Array): boolean {
  return of !== null && of !== undefined && equalBytes(of, id);
}

/** DESIGN.md 6 step 1: at most one candidate, newer than the active keys; repeating the same stage is a no-op. */
export function stage(r: SubscriberRecord, c: CandidateKeySet, who: Actor): Mutation | undefined {
  if (r.candidate !== null && sameTransaction(r.candidate.transactionId, c.transactionId)) {
    if (r.candidate.version === c.version && r.candidate.algorithm === c.algorithm) return undefined;
    throw new ConflictError(
      `transaction ${toHex(c.transactionId)} is staged with key version ${r.candidate.version}`,
    );
  }
  if (sameTransaction(r.activeTransactionId, c.transactionId)) return undefined;
  if (r.candidate !== null) {
    throw new ConflictError(
      `imsi-${r.imsi} has a candidate staged by transaction ${toHex(r.candidate.transactionId)}; commit or abort it first`,
    );
  }
  if (r.active !== null && c.version <= r.active.version) {
    throw new ConflictError(
      `key version ${c.version} is not newer than the active version ${r.active.version}`,
    );
  }
  return {
    record: { ...r, candidate: c, fallbackVersion: null, updatedAt: who.at },
    audit: [event(r, who, 'candidate-staged', c.version, c.transactionId)],
  };
}

/** The candidate becomes active; the old active keys are overwritten in the same write (DESIGN.md 6 step 2). */
function promote(r: SubscriberRecord, c: CandidateKeySet, who: Actor, name: AuditEventName): Mutation {
  return {
    record: {
      ...r,
      active: keySetOf(c),
      activeTransactionId: c.transactionId,
      candidate: null,
      fallbackVersion: null,
      updatedAt: who.at,
    },
    audit: [event(r, who, name, c.version, c.transactionId)],
    destroysKeys: true,
  };
}

/** DESIGN.md 6 step 2: candidate -> active, old keys destroyed. Committing a committed transaction is a no-op. */
export function commit(r: SubscriberRecord, transactionId: Uint8Array, who: Actor): Mutation | undefined {
  const c = r.candidate;
  if (c === null || !sameTransaction(c.transactionId, transactionId)) {
    if (sameTransaction(r.activeTransactionId, transactionId)) return undefined;
    throw new ConflictError(`imsi-${r.imsi} has no candidate staged by transaction ${toHex(transactionId)}`);
  }
  return promote(r, c, who, 'candidate-committed');
}

/** DESIGN.md 6 step 4: the card refused or the job ended; the candidate goes. Nothing staged: a no-op. */
export function abort(r: SubscriberRecord, transactionId: Uint8Array, who: Actor): Mutation | undefined {
  const c = r.candidate;
  if (c === null || !sameTransaction(c.transactionId, transactionId)) {
    if (sameTransaction(r.activeTransactionId, transactionId)) {
      throw new ConflictError(
        `transaction ${toHex(transactionId)} is already committed; it cannot be aborted`,
      );
    }
    if (c === null) return undefined;
    throw new ConflictError(
      `the candidate of imsi-${r.imsi} belongs to transaction ${toHex(c.transactionId)}`,
    );
  }
  return {
    record: { ...r, candidate: null, fallbackVersion: null, updatedAt: who.at },
    audit: [event(r, who, 'candidate-aborted', c.version, transactionId)],
    destroysKeys: true,
  };
}

/**
 * DESIGN.md 6 step 3, self-healing towards a staged candidate only. A success is confirmed only for a known vector
 * of the active or candidate keys (NoCredentialsError otherwise: the core then rejects the attach). `version` is the key version that computed the
 * vector with this RAND (null when the HSS has no record of it: expired, evicted, or already answered), so
 * concurrent attaches cannot be confused:
 * - success with the candidate's keys promotes it exactly as a commit does (old keys destroyed);
 * - success with the active keys changes nothing (the server's resume decides);
 * - a MAC failure while a candidate exists makes the next vector come from the other key set than the one that
 *   failed; without a candidate it changes nothing.
 */
export function authOutcome(
  r: SubscriberRecord,
  outcome: AuthOutcome,
  version: number | null,
  who: Actor,
): Mutation | undefined {
  const c = r.candidate;
  if (outcome.success) {
    if (c !== null && version === c.version) return promote(r, c, who, 'candidate-promoted');
    if (version !== null && version === r.active?.version) return undefined;
    // DESIGN.md 6 (a): the keys behind an unknown vector may be the ones a commit destroyed since the challenge.
    throw new NoCredentialsError(
      `imsi-${r.imsi}: no vector with this RAND is outstanding from keys the subscriber holds; not confirmed`,
    );
  }
  if (outcome.failure !== 'MAC_FAILURE')
    return { record: r, audit: [event(r, who, 'auth-failure', version)] };
  const audit = [event(r, who, 'mac-failure', version)];
  if (c === null || version === null) return { record: r, audit };
  const failedWithActive = version === r.active?.version;
  if (!failedWithActive && version !== c.version) return { record: r, audit };
  const fallbackVersion = failedWithActive ? c.version : null;
  return { record: { ...r, fallbackVersion }, audit };
}

function keySetOf(c: CandidateKeySet): StoredKeySet {
  return { version: c.version, algorithm: c.algorithm, tuak: c.tuak, sealed: c.sealed };
}
