// Randomness as an injected capability: the CSPRNG in production, deterministic sources in tests.
import { randomFillSync, createHash } from 'node:crypto';
import { CryptoError } from './errors.js';

export interface RandomSource {
  randomBytes(length: number): Uint8Array;
}

/**
 * Bytes asked of OpenSSL at once: a RAND_bytes call through node:crypto costs ~10 µs whatever its size, and
 * the hot paths read 8-32 bytes (an ephemeral scalar, a nonce, an id). Reads above a quarter of it go direct.
 */
export const RANDOM_POOL_BYTES = 1024;

/**
 * node:crypto's CSPRNG (OpenSSL RAND_bytes) read a pool at a time. Each read gets its own copy and its bytes
 * in the pool are zeroed at once, so no secret drawn from it (a scalar, a key) stays behind in the pool.
 */
class PooledCsprng implements RandomSource {
  readonly #pool = new Uint8Array(RANDOM_POOL_BYTES);
  /** The first unread byte; the pool is refilled when a read does not fit. */
  #at = RANDOM_POOL_BYTES;

  randomBytes(length: number): Uint8Array {
    if (!Number.isSafeInteger(length) || length < 0) {
      throw new CryptoError(`random bytes: length ${length} is not a non-negative integer`);
    }
    if (length > RANDOM_POOL_BYTES / 4) return randomFillSync(new Uint8Array(length));
    if (this.#at + length > RANDOM_POOL_BYTES) {
      randomFillSync(this.#pool);
      this.#at = 0;
    }
    const end = this.#at + length;
    const out = this.#pool.slice(this.#at, end);
    this.#pool.fill(0, this.#at, end);
    this.#at = end;
    return out;
  }
}

export const cryptoRandom: RandomSource = new PooledCsprng();

/**
 * Deterministic stream for tests only: SHA-256(seed || counter) blocks, counter 32-bit big-endian.
 * The same seed always yields the same sequence of bytes, however the reads are split.
 */
export class SeededRandom implements RandomSource {
  readonly #seed: Uint8Array;
  #counter = 0;
  #buffer = new Uint8Array(0);

  constructor(seed: Uint8Array | string | number) {
    this.#seed = seed instanceof Uint8Array ? Uint8Array.from(seed) : new TextEncoder().encode(String(seed));
  }

  randomBytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    let at = 0;
    while (at < length) {
      if (this.#buffer.length === 0) {
        const counter = new Uint8Array(4);
        new DataView(counter.buffer).setUint32(0, this.#counter++);
        this.#buffer = new Uint8Array(createHash('sha256').update(this.#seed).update(counter).digest());
      }
      const take = Math.min(length - at, this.#buffer.length);
      out.set(this.#buffer.subarray(0, take), at);
      this.#buffer = this.#buffer.subarray(take);
      at += take;
    }
    return out;
  }
}

/** Returns the queued byte strings in order (each must match the requested length), then throws. */
export class FixedRandom implements RandomSource {
  readonly #queue: Uint8Array[];

  constructor(...values: Uint8Array[]) {
    this.#queue = values.map((v) => Uint8Array.from(v));
  }

  get remaining(): number {
    return this.#queue.length;
  }

  randomBytes(length: number): Uint8Array {
    const next = this.#queue.shift();
    if (next === undefined) throw new CryptoError(`FixedRandom exhausted (asked for ${length} bytes)`);
    if (next.length !== length) {
      throw new CryptoError(`FixedRandom: next value has ${next.length} bytes, ${length} requested`);
    }
    return next;
  }
}
