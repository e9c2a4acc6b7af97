// The subscriber store: one interface, two drivers (sqlite.ts, postgres.ts). Drivers map rows and run the
// statements; the state machine of key transitions (transition.ts) is shared and runs inside `mutate`.
import type { AuditEvent } from '../client/model.js';
import type { SubscriberRecord } from '../subscriber.js';

/** What a mutation of one subscriber writes: its new record and the audit lines, in one transaction. */
export interface Mutation {
  readonly record: SubscriberRecord;
  readonly audit: readonly AuditEvent[];
  /** Keys are overwritten (commit, promotion, abort): the driver also purges old copies it can reach. */
  readonly destroysKeys?: boolean;
}

/** A vector just issued: the record as stored after the SQN update, and the key version that computes it. */
export interface IssuedVector {
  readonly record: SubscriberRecord;
  readonly keyVersion: number;
}

/** The vector an authentication outcome refers to (DESIGN.md 6 step 3). */
export interface VectorRef {
  readonly rand: Uint8Array;
  /** Entries issued before this are expired (hss/vectors.ts). */
  readonly notBefore: Date;
}

/** A change of one subscriber; `vectorVersion` is the key version of the referenced vector, if any and known. */
export type Change = (current: SubscriberRecord, vectorVersion: number | null) => Mutation | undefined;

/** A record to insert with the audit line of its creation. */
export interface NewRecord {
  readonly record: SubscriberRecord;
  readonly audit: AuditEvent;
}

export interface ListFilter {
  /** Only subscribers with a staged candidate (the server's reconciler, DESIGN.md 6 step 4). */
  readonly withCandidate?: boolean;
}

export interface SubscriberStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Applies the migrations not yet recorded. */
  migrate(): Promise<void>;
  /** ConflictError when the IMSI exists. */
  insert(record: SubscriberRecord, audit: readonly AuditEvent[]): Promise<void>;
  /**
   * Bulk provisioning (issue 11): inserts, in one transaction, each record whose IMSI is new, with its audit
   * line; the others are left unchanged. Returns the IMSIs that already existed.
   */
  insertMany(entries: readonly NewRecord[]): Promise<string[]>;
  get(imsi: string): Promise<SubscriberRecord | undefined>;
  /** Issue 11 (batch lookup): the records of these IMSIs that exist, in no particular order. */
  getMany(imsis: readonly string[]): Promise<SubscriberRecord[]>;
  list(limit: number, offset: number, filter?: ListFilter): Promise<SubscriberRecord[]>;
  /**
   * Reads the subscriber, applies `change` (synchronous, may throw to abort) and writes its result atomically
   * with respect to every other operation on the subscriber. `change` returning undefined writes nothing.
   * `change` may run more than once (a driver may read again when another write won the race), so it must only
   * compute from its arguments; only the run whose result is stored (or returned as a no-op or thrown) counts.
   * With `vector`, the entry of that RAND is taken (deleted) in the same transaction and its key version passed
   * to `change` (null when unknown or expired). Returns the record now stored. UnknownSubscriberError when absent.
   */
  mutate(imsi: string, change: Change, vector?: VectorRef): Promise<SubscriberRecord>;
  /** Returns false when absent. */
  delete(imsi: string, audit: readonly AuditEvent[]): Promise<boolean>;
  /**
   * TS 33.102 Annex C: atomically SQN_HE := next(resetTo ?? SQN_HE) and records `rand` with the key version that
   * will compute the vector (store/sql.ts VECTOR_KEY_VERSION_SQL), issued at `issuedAt`. Undefined when no
   * subscriber with active keys has this IMSI.
   */
  issueSqn(
    imsi: string,
    rand: Uint8Array,
    issuedAt: Date,
    resetTo?: bigint,
  ): Promise<IssuedVector | undefined>;
  /** Takes (deletes) the entry of the vector with this RAND; its key version, or null when unknown or expired. */
  takeVector(imsi: string, vector: VectorRef): Promise<number | null>;
  appendAudit(audit: readonly AuditEvent[]): Promise<void>;
  audit(imsi: string, limit?: number): Promise<AuditEvent[]>;
  close(): Promise<void>;
}
