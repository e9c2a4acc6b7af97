// The key transition of DESIGN.md 6 as pure functions over a subscriber record: stage, commit, abort, and the
// outcome of an authentication (promotion, dropping the previous keys, the self-healing fallback). Each returns
// the mutation to store, undefined when nothing changes (idempotent repeats), or throws ConflictError.
import { equalBytes } from '../bytes/index.js';
import { ConflictError } from './errors.js';
import type { Mutation } from './store/store.js';
import type {
  AuditEvent,
  AuditEventName,
  CandidateKeySet,
  StoredKeySet,
  SubscriberRecord,
} from './subscriber.js';

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
  transactionId: string | null = null,
): AuditEvent {
  return { at: who.at, imsi: r.imsi, event: name, keyVersion, transactionId, actor: who.actor };
}

/** DESIGN.md 6 step 1: at most one candidate, newer than the active keys; repeating the same stage is a no-op. */
export function stage(r: SubscriberRecord, c: CandidateKeySet, who: Actor): Mutation | undefined {
  if (r.candidate?.transactionId === c.transactionId) {
    if (r.candidate.version === c.version && r.candidate.algorithm === c.algorithm) return undefined;
    throw new ConflictError(
      `transaction ${c.transactionId} is staged with key version ${r.candidate.version}`,
    );
  }
  if (r.activeTransactionId === c.transactionId) return undefined;
  if (r.candidate !== null) {
    throw new ConflictError(
      `imsi-${r.imsi} has a candidate staged by transaction ${r.candidate.transactionId}; commit or abort it first`,
    );
  }
  if (r.active !== null && c.version <= r.active.version) {
    throw new ConflictError(
      `key version ${c.version} is not newer than the active version ${r.active.version}`,
    );
  }
  return {
    record: { ...r, candidate: c, updatedAt: who.at },
    audit: [event(r, who, 'candidate-staged', c.version, c.transactionId)],
  };
}

/** DESIGN.md 6 step 2: candidate -> active, active -> previous. Committing a committed transaction is a no-op. */
export function commit(r: SubscriberRecord, transactionId: string, who: Actor): Mutation | undefined {
  const c = r.candidate;
  if (c === null || c.transactionId !== transactionId) {
    if (r.activeTransactionId === transactionId) return undefined;
    throw new ConflictError(`imsi-${r.imsi} has no candidate staged by transaction ${transactionId}`);
  }
  return {
    record: {
      ...r,
      active: keySetOf(c),
      activeTransactionId: transactionId,
      candidate: null,
      previous: r.active,
      fallbackVersion: null,
      updatedAt: who.at,
    },
    audit: [event(r, who, 'candidate-committed', c.version, transactionId)],
  };
}

/** DESIGN.md 6 failures: the card refused; the candidate goes. Aborting when nothing is staged is a no-op. */
export function abort(r: SubscriberRecord, transactionId: string, who: Actor): Mutation | undefined {
  const c = r.candidate;
  if (c === null || c.transactionId !== transactionId) {
    if (r.activeTransactionId === transactionId) {
      throw new ConflictError(`transaction ${transactionId} is already committed; it cannot be aborted`);
    }
    if (c === null) return undefined;
    throw new ConflictError(`the candidate of imsi-${r.imsi} belongs to transaction ${c.transactionId}`);
  }
  return {
    record: {
      ...r,
      candidate: null,
      fallbackVersion: r.fallbackVersion === c.version ? null : r.fallbackVersion,
      updatedAt: who.at,
    },
    audit: [event(r, who, 'candidate-aborted', c.version, transactionId)],
  };
}

/** DESIGN.md 6 self-healing: the key set the next vector comes from (store/sql.ts does the same in SQL). */
export function vectorKeyVersion(r: SubscriberRecord): number | null {
  const f = r.fallbackVersion;
  if (f !== null && (f === r.candidate?.version || f === r.previous?.version)) return f;
  return r.active?.version ?? null;
}

/** The version of the key set that computed the vector with this RAND, if it was the last one handed out. */
export function versionOfRand(r: SubscriberRecord, rand: Uint8Array): number | null {
  return r.lastRand !== null && equalBytes(r.lastRand, rand) ? r.lastKeyVersion : null;
}

/**
 * DESIGN.md 6 step 3 and self-healing: a success with the candidate or previous keys promotes them; a success with
 * the active keys drops the previous ones; a MAC failure makes the next vector come from the next key set in
 * the order active, candidate, previous (cycling), so whichever keys the card holds are found.
 */
export function authOutcome(r: SubscriberRecord, outcome: AuthOutcome, who: Actor): Mutation | undefined {
  const version = versionOfRand(r, outcome.rand);
  if (outcome.success) return success(r, version, who);
  if (outcome.failure !== 'MAC_FAILURE') {
    return { record: r, audit: [event(r, who, 'auth-failure', version)] };
  }
  const order = [r.active, r.candidate, r.previous]
    .filter((s): s is StoredKeySet => s !== null)
    .map((s) => s.version);
  const used = version ?? r.fallbackVersion ?? r.active?.version ?? null;
  const audit = [event(r, who, 'mac-failure', used)];
  if (order.length < 2 || used === null) return { record: r, audit };
  const next = order[(order.indexOf(used) + 1) % order.length];
  const fallbackVersion = next === r.active?.version ? null : next;
  return { record: { ...r, fallbackVersion }, audit };
}

function success(r: SubscriberRecord, version: number | null, who: Actor): Mutation | undefined {
  if (version === null) return undefined;
  if (r.candidate !== null && r.candidate.version === version) {
    const c = r.candidate;
    return {
      record: {
        ...r,
        active: keySetOf(c),
        activeTransactionId: c.transactionId,
        candidate: null,
        previous: null,
        fallbackVersion: null,
        updatedAt: who.at,
      },
      audit: [event(r, who, 'candidate-promoted', c.version, c.transactionId)],
    };
  }
  if (r.previous !== null && r.previous.version === version) {
    return {
      record: {
        ...r,
        active: r.previous,
        activeTransactionId: null,
        previous: null,
        fallbackVersion: null,
        updatedAt: who.at,
      },
      audit: [event(r, who, 'previous-restored', r.previous.version)],
    };
  }
  if (
    r.active !== null &&
    r.active.version === version &&
    (r.previous !== null || r.fallbackVersion !== null)
  ) {
    return {
      record: { ...r, previous: null, fallbackVersion: null, updatedAt: who.at },
      audit: r.previous === null ? [] : [event(r, who, 'previous-dropped', r.previous.version)],
    };
  }
  return undefined;
}

function keySetOf(c: CandidateKeySet): StoredKeySet {
  return { version: c.version, algorithm: c.algorithm, tuak: c.tuak, sealed: c.sealed };
}
