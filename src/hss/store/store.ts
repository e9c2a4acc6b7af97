// The subscriber store: one interface, two drivers (sqlite.ts, postgres.ts). Drivers map rows and run the
// statements; the state machine of key transitions (transition.ts) is shared and runs inside `mutate`.
import type { AuditEvent, SubscriberRecord } from '../subscriber.js';

/** What a mutation of one subscriber writes: its new record and the audit lines, in one transaction. */
export interface Mutation {
  readonly record: SubscriberRecord;
  readonly audit: readonly AuditEvent[];
}

export interface SubscriberStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Applies the migrations not yet recorded. */
  migrate(): Promise<void>;
  /** ConflictError when the IMSI exists. */
  insert(record: SubscriberRecord, audit: readonly AuditEvent[]): Promise<void>;
  get(imsi: string): Promise<SubscriberRecord | undefined>;
  list(limit: number, offset: number): Promise<SubscriberRecord[]>;
  /**
   * Reads the subscriber, applies `change` (synchronous, may throw to abort) and writes its result atomically
   * with respect to every other operation on the subscriber. `change` returning undefined writes nothing.
   * Returns the record now stored. UnknownSubscriberError when absent.
   */
  mutate(
    imsi: string,
    change: (current: SubscriberRecord) => Mutation | undefined,
  ): Promise<SubscriberRecord>;
  /** Returns false when absent. */
  delete(imsi: string, audit: readonly AuditEvent[]): Promise<boolean>;
  /**
   * TS 33.102 Annex C: atomically SQN_HE := next(resetTo ?? SQN_HE) and records `rand` with the key version that
   * will compute the vector (the self-healing fallback if armed and present, else active). Returns the record as
   * stored after the update, or undefined when no subscriber with active keys has this IMSI.
   */
  issueSqn(imsi: string, rand: Uint8Array, resetTo?: bigint): Promise<SubscriberRecord | undefined>;
  appendAudit(audit: readonly AuditEvent[]): Promise<void>;
  audit(imsi: string, limit?: number): Promise<AuditEvent[]>;
  close(): Promise<void>;
}
