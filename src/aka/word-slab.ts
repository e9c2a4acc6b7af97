// Small Int32Array views carved from shared slabs. V8 allocates a typed array larger than 64 bytes off-heap, which
// costs ~3 us each in a tight loop (measured: 310k/s for `new Int32Array(44)` against 25M/s for a view into an
// existing buffer); Milenage creates a 44-word key schedule per subscriber, so it takes its words from here.
// A slab lives as long as any view into it.

const SLAB_WORDS = 1 << 14;
let slab = new Int32Array(SLAB_WORDS);
let used = 0;

export function allocateWords(length: number): Int32Array {
  if (length > SLAB_WORDS) return new Int32Array(length);
  if (used + length > SLAB_WORDS) {
    slab = new Int32Array(SLAB_WORDS);
    used = 0;
  }
  const view = new Int32Array(slab.buffer, used * 4, length);
  used += length;
  return view;
}
