// DESIGN.md 7: every job write is compare-and-set on the record's revision. One read-change-write loop for every
// job kind (key update, card management): the change is written only if nobody wrote since it was read, and is
// recomputed from the fresh record while only the revision moved.

/** Compare-and-set retries when only bookkeeping (not what `accept` looks at) changed meanwhile. */
export const CAS_TRIES = 8;

/** What a record needs for compare-and-set with a history: id, state, history, revision, last write. */
export interface RevisionedRecord<S extends string> {
  readonly id: string;
  readonly state: S;
  readonly history: readonly { readonly state: S; readonly at: string; readonly detail?: string }[];
  readonly revision: number;
  readonly updatedAt: string;
}

/** A history entry a write passes through on its way to its final state (issue 11: one write, several steps). */
export interface Step<S extends string> {
  readonly state: S;
  readonly detail: string;
}

/**
 * A write: fields to change, and a history entry when `detail` is given (in `state`, default unchanged),
 * preceded by the entries of `via` (states the record passes through in the same write).
 */
export interface Change<R extends RevisionedRecord<S>, S extends string> {
  readonly state?: S;
  readonly detail?: string;
  readonly via?: readonly Step<S>[];
  readonly fields?: Partial<Omit<R, 'id' | 'revision' | 'state' | 'history'>>;
}

export interface RevisionedStore<R> {
  get(id: string): Promise<R | undefined>;
  /** Writes `next` only if the stored revision is still `expectedRevision`. */
  update(next: R, expectedRevision: number): Promise<boolean>;
}

/** The record after `c` at `now` (revision + 1): what a compare-and-set over `before` writes. */
export function changed<R extends RevisionedRecord<S>, S extends string>(
  before: R,
  c: Change<R, S>,
  now: string,
): R {
  const state = c.state ?? before.state;
  const steps = [...(c.via ?? []), ...(c.detail === undefined ? [] : [{ state, detail: c.detail }])];
  return {
    ...before,
    ...c.fields,
    state,
    history:
      steps.length === 0 ? before.history : [...before.history, ...steps.map((e) => ({ ...e, at: now }))],
    revision: before.revision + 1,
    updatedAt: now,
  };
}

/**
 * Reads the record, and writes `change` if `accept` still holds; retried while only the revision moved. Returns
 * the record before and after and the change written, undefined when it is gone or no longer accepted; `kept changing` after CAS_TRIES.
 * With `known` (a copy of the record read or written earlier) the first write is tried from it without a read: a
 * stale copy only makes that write fail on its revision, and then (or when `known` is not accepted) the record is
 * read as without it. Only a record read from the store decides "no longer accepted".
 */
export async function compareAndSet<R extends RevisionedRecord<S>, S extends string>(
  store: RevisionedStore<R>,
  id: string,
  at: () => string,
  accept: (r: R) => boolean,
  change: (r: R) => Change<R, S>,
  keptChanging: () => Error,
  known?: R,
): Promise<{ readonly before: R; readonly after: R; readonly change: Change<R, S> } | undefined> {
  let hint = known !== undefined && known.id === id && accept(known) ? known : undefined;
  for (let i = 0; i < CAS_TRIES; i++) {
    const before = hint ?? (await store.get(id));
    // A failed write from the copy in hand is not a try: the record was not read.
    if (hint !== undefined) i--;
    hint = undefined;
    if (before === undefined || !accept(before)) return undefined;
    const c = change(before);
    const after = changed(before, c, at());
    if (await store.update(after, before.revision)) return { before, after, change: c };
  }
  throw keptChanging();
}
