// A cache as an explicit object (no module-level state): bounded, oldest entry out first, with a size and a way
// to clear, so its owner creates it, injects it where it is used and can empty it (e.g. on a key change).

export class BoundedCache<K, V> {
  readonly #map = new Map<K, V>();

  /** `limit`: the most entries kept; adding one more drops the oldest. */
  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`cache limit ${limit}: expected an integer >= 1`);
  }

  get size(): number {
    return this.#map.size;
  }

  get(key: K): V | undefined {
    return this.#map.get(key);
  }

  /** Stores `value` as the newest entry (replacing one under the same key). */
  set(key: K, value: V): void {
    this.#map.delete(key);
    if (this.#map.size >= this.limit) this.#map.delete(this.#map.keys().next().value as K);
    this.#map.set(key, value);
  }

  /** The entry under `key`, made by `create` and stored when absent. */
  getOrCreate(key: K, create: () => V): V {
    const hit = this.#map.get(key);
    if (hit !== undefined) return hit;
    const value = create();
    this.set(key, value);
    return value;
  }

  /** Drops the entry under `key`; whether there was one. */
  delete(key: K): boolean {
    return this.#map.delete(key);
  }

  /** Empties the cache; `dispose` sees each value first (e.g. to wipe secrets). */
  clear(dispose?: (value: V) => void): void {
    if (dispose !== undefined) for (const v of this.#map.values()) dispose(v);
    this.#map.clear();
  }
}
