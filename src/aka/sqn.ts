// Sequence numbers, TS 33.102 Annex C: SQN = SEQ || IND, a USIM-side array of SEQ_MS per IND value (C.2) and the
// network-side generator (C.1.2, C.3).
import { AkaError } from './errors.js';
import { checkSqn, SQN_MAX } from './sqn-bytes.js';

/** TS 33.102 C.3 (recommended profile): IND of 5 bits, so a = 32 array entries. */
export const IND_BITS = 5;
/** TS 33.102 C.3 (recommended profile): Delta = 2^28, the largest forward jump of SEQ the USIM accepts. */
export const DEFAULT_DELTA = 1n << 28n;

export type SqnFreshness = 'fresh' | 'stale';

export interface UsimSqnOptions {
  /** Bits of IND; the array has 2^indBits entries (default 5, i.e. 32). */
  readonly indBits?: number;
  /** Annex C.2.1: accept only SEQ - SEQ_MS <= delta (default 2^28). */
  readonly delta?: bigint;
  /** Annex C.2.2: when set, accept only SEQ_MS - SEQ < limit (the age limit L); unset: no age limit. */
  readonly limit?: bigint;
}

export interface UsimSqnState {
  readonly indBits: number;
  readonly delta: string;
  readonly limit?: string;
  /** SEQ_MS(i) for i = 0..2^indBits - 1, decimal. */
  readonly seqMs: readonly string[];
}

function checkIndBits(indBits: number): number {
  if (!Number.isInteger(indBits) || indBits < 0 || indBits > 10) {
    throw new AkaError(`SQN: IND length must be 0..10 bits, got ${indBits}`);
  }
  return indBits;
}

function splitSqn(sqn: bigint, indBits: number): { seq: bigint; ind: number } {
  checkSqn(sqn);
  return { seq: sqn >> BigInt(indBits), ind: Number(sqn & ((1n << BigInt(indBits)) - 1n)) };
}

/** The USIM's array of previously accepted SEQ values, one per IND (TS 33.102 C.2.2); all start at zero. */
export class UsimSqnArray {
  readonly indBits: number;
  readonly delta: bigint;
  readonly limit: bigint | undefined;
  readonly #seqMs: bigint[];

  constructor(options: UsimSqnOptions = {}) {
    this.indBits = checkIndBits(options.indBits ?? IND_BITS);
    this.delta = options.delta ?? DEFAULT_DELTA;
    this.limit = options.limit;
    if (this.delta < 1n) throw new AkaError('SQN: delta must be positive');
    if (this.limit !== undefined && this.limit < 1n) throw new AkaError('SQN: limit L must be positive');
    this.#seqMs = new Array<bigint>(1 << this.indBits).fill(0n);
  }

  /** The highest accepted SEQ_MS || IND anywhere in the array; SEQ 0, IND 0 before any was accepted. */
  #highest(): { seq: bigint; ind: number } {
    let seq = 0n;
    let ind = 0;
    for (let i = 0; i < this.#seqMs.length; i++) {
      if (this.#seqMs[i] > 0n && this.#seqMs[i] >= seq) {
        seq = this.#seqMs[i];
        ind = i;
      }
    }
    return { seq, ind };
  }

  /** TS 33.102 C.2.1 (delta), C.2.2 (limit L, then SEQ > SEQ_MS(IND)). */
  check(sqn: bigint): SqnFreshness {
    const { seq, ind } = splitSqn(sqn, this.indBits);
    const highest = this.#highest().seq;
    if (seq - highest > this.delta) return 'stale';
    if (this.limit !== undefined && highest - seq >= this.limit) return 'stale';
    return seq > this.#seqMs[ind] ? 'fresh' : 'stale';
  }

  /** Stores an SQN that `check` found fresh: SEQ_MS(IND) := SEQ. A stale SQN is refused (AkaError). */
  accept(sqn: bigint): void {
    if (this.check(sqn) !== 'fresh') throw new AkaError('SQN: refusing to accept a stale sequence number');
    const { seq, ind } = splitSqn(sqn, this.indBits);
    this.#seqMs[ind] = seq;
  }

  /** SQN_MS: the highest previously accepted sequence number anywhere in the array (for AUTS). */
  sqnMs(): bigint {
    const { seq, ind } = this.#highest();
    return (seq << BigInt(this.indBits)) | BigInt(ind);
  }

  toJSON(): UsimSqnState {
    return {
      indBits: this.indBits,
      delta: this.delta.toString(),
      ...(this.limit === undefined ? {} : { limit: this.limit.toString() }),
      seqMs: this.#seqMs.map((s) => s.toString()),
    };
  }

  static fromJSON(state: unknown): UsimSqnArray {
    const s = state as Partial<UsimSqnState> | null;
    const isDecimal = (v: unknown): v is string => typeof v === 'string' && /^[0-9]{1,20}$/.test(v);
    if (typeof s !== 'object' || s === null || typeof s.indBits !== 'number' || !isDecimal(s.delta)) {
      throw new AkaError('SQN state: expected {indBits, delta, seqMs[]}');
    }
    if (s.limit !== undefined && !isDecimal(s.limit))
      throw new AkaError('SQN state: limit is not a decimal string');
    const array = new UsimSqnArray({
      indBits: s.indBits,
      delta: BigInt(s.delta),
      ...(s.limit === undefined ? {} : { limit: BigInt(s.limit) }),
    });
    const seqs = s.seqMs;
    if (!Array.isArray(seqs) || seqs.length !== array.#seqMs.length || !seqs.every(isDecimal)) {
      throw new AkaError(`SQN state: seqMs must be ${array.#seqMs.length} decimal strings`);
    }
    const maxSeq = SQN_MAX >> BigInt(array.indBits);
    seqs.forEach((v, i) => {
      const seq = BigInt(v);
      if (seq > maxSeq) throw new AkaError(`SQN state: seqMs[${i}] exceeds ${48 - array.indBits} bits`);
      array.#seqMs[i] = seq;
    });
    return array;
  }
}

/**
 * Network side (TS 33.102 C.1.2, C.3): the SQN after `lastSqn`: SEQ + 1, with IND either fixed (`ind`, e.g. one
 * per serving node, as osmo-hlr does) or, when absent, the next slot round-robin.
 */
export function nextSqn(lastSqn: bigint, indBits = IND_BITS, ind?: number): bigint {
  checkIndBits(indBits);
  const { seq, ind: lastInd } = splitSqn(lastSqn, indBits);
  const slots = 1 << indBits;
  const nextInd = ind ?? (lastInd + 1) % slots;
  if (!Number.isInteger(nextInd) || nextInd < 0 || nextInd >= slots) {
    throw new AkaError(`SQN: IND ${nextInd} does not fit ${indBits} bits`);
  }
  const next = ((seq + 1n) << BigInt(indBits)) | BigInt(nextInd);
  if (next > SQN_MAX) throw new AkaError('SQN: SEQ exhausted (48-bit SQN would wrap)');
  return next;
}

/**
 * TS 33.102 6.3.5: after a resynchronisation the HE resets SQN_HE to SQN_MS; this is the first SQN it may then use
 * (SEQ_MS + 1 exceeds every entry of the USIM's array, whatever the IND).
 */
export function sqnAfterResync(sqnMs: bigint, indBits = IND_BITS, ind?: number): bigint {
  return nextSqn(sqnMs, indBits, ind);
}
