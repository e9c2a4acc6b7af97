// DESIGN.md 6 step 3: the record of the vectors handed out, by RAND, with the key version that computed each. A
// ring of VECTOR_SLOTS per subscriber indexed by SEQ (TS 33.102 C.1.1: SQN = SEQ || IND; SEQ grows by one per
// vector), so a flood of attaches overwrites the oldest entry instead of growing the table; an entry older than
// VECTOR_LIFETIME_MS, overwritten, or already answered is unknown, and an outcome on an unknown RAND changes nothing.

/** Entries per subscriber: as many as the USIM's SQN array (TS 33.102 C.1.2, a = 32). */
export const VECTOR_SLOTS = 32;

/** How long an outcome may refer to a vector (the core's challenge lives 60 s; resyncs and retries need more). */
export const VECTOR_LIFETIME_MS = 10 * 60_000;

/** The oldest issue time of a vector still known at `now`. */
export function vectorsNotBefore(now: Date): Date {
  return new Date(now.getTime() - VECTOR_LIFETIME_MS);
}
