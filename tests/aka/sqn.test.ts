// TS 33.102 Annex C: the USIM's SEQ_MS array (replay, IND slots, delta, limit L) and the network-side generator.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  AkaError,
  DEFAULT_DELTA,
  IND_BITS,
  nextSqn,
  sqnAfterResync,
  UsimSqnArray,
} from '../../src/aka/index.js';

const sqnOf = (seq: bigint, ind: number) => (seq << 5n) | BigInt(ind);
const seqArb = fc.bigInt({ min: 1n, max: 1n << 20n });
const indArb = fc.integer({ min: 0, max: 31 });

describe('UsimSqnArray (TS 33.102 C.2)', () => {
  it('has 32 IND slots, all zero: SEQ 0 is stale, SEQ 1 fresh in every slot', () => {
    const a = new UsimSqnArray();
    assert.equal(IND_BITS, 5);
    for (let ind = 0; ind < 32; ind++) {
      assert.equal(a.check(sqnOf(0n, ind)), 'stale');
      assert.equal(a.check(sqnOf(1n, ind)), 'fresh');
    }
    assert.equal(a.sqnMs(), 0n);
  });

  it('SQN_MS is the highest SEQ || IND: on equal SEQ the higher IND', () => {
    const a = new UsimSqnArray();
    a.accept(sqnOf(5n, 2));
    a.accept(sqnOf(5n, 1));
    a.accept(sqnOf(4n, 30));
    assert.equal(a.sqnMs(), sqnOf(5n, 2));
  });

  it('rejects a replay: once accepted, the same or a lower SEQ in that slot is stale', () => {
    fc.assert(
      fc.property(seqArb, indArb, fc.bigInt({ min: 0n, max: 1n << 20n }), (seq, ind, lower) => {
        const a = new UsimSqnArray();
        a.accept(sqnOf(seq, ind));
        assert.equal(a.check(sqnOf(seq, ind)), 'stale');
        assert.equal(a.check(sqnOf(lower > seq ? seq : lower, ind)), 'stale');
        assert.equal(a.check(sqnOf(seq + 1n, ind)), 'fresh');
        assert.throws(() => a.accept(sqnOf(seq, ind)), AkaError);
      }),
    );
  });

  it('keeps IND slots independent: an older SEQ is fresh in a slot that has not seen it', () => {
    fc.assert(
      fc.property(seqArb, indArb, indArb, (seq, i, j) => {
        fc.pre(i !== j);
        const a = new UsimSqnArray();
        a.accept(sqnOf(seq + 5n, i));
        assert.equal(a.check(sqnOf(seq, j)), 'fresh'); // out-of-order vectors from another node still work
        a.accept(sqnOf(seq, j));
        assert.equal(a.check(sqnOf(seq, j)), 'stale');
        assert.equal(a.check(sqnOf(seq + 5n, i)), 'stale');
        assert.equal(a.sqnMs(), sqnOf(seq + 5n, i)); // SQN_MS is the highest anywhere in the array
      }),
    );
  });

  it('refuses a jump beyond delta (C.2.1) and accepts exactly delta', () => {
    const a = new UsimSqnArray({ delta: 100n });
    a.accept(sqnOf(50n, 3));
    assert.equal(a.check(sqnOf(151n, 4)), 'stale');
    assert.equal(a.check(sqnOf(150n, 4)), 'fresh');
    assert.equal(new UsimSqnArray().delta, DEFAULT_DELTA);
    assert.equal(new UsimSqnArray().check(sqnOf(DEFAULT_DELTA + 1n, 0)), 'stale');
  });

  it('applies the age limit L (C.2.2): SEQ_MS - SEQ < L', () => {
    const a = new UsimSqnArray({ limit: 10n });
    a.accept(sqnOf(100n, 0));
    assert.equal(a.check(sqnOf(91n, 1)), 'fresh');
    assert.equal(a.check(sqnOf(90n, 1)), 'stale');
    const noLimit = new UsimSqnArray();
    noLimit.accept(sqnOf(100n, 0));
    assert.equal(noLimit.check(sqnOf(1n, 1)), 'fresh');
  });

  it('survives toJSON/fromJSON with the same decisions', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(seqArb, indArb), { maxLength: 20 }),
        seqArb,
        indArb,
        (accepted, seq, ind) => {
          const a = new UsimSqnArray({ limit: 1000n });
          for (const [s, i] of accepted) if (a.check(sqnOf(s, i)) === 'fresh') a.accept(sqnOf(s, i));
          const b = UsimSqnArray.fromJSON(JSON.parse(JSON.stringify(a)));
          assert.equal(b.sqnMs(), a.sqnMs());
          assert.equal(b.check(sqnOf(seq, ind)), a.check(sqnOf(seq, ind)));
          assert.deepEqual(b.toJSON(), a.toJSON());
        },
      ),
    );
  });

  it('rejects malformed persisted state', () => {
    assert.throws(() => UsimSqnArray.fromJSON(null), AkaError);
    assert.throws(
      () => UsimSqnArray.fromJSON({ indBits: 5, delta: '10', seqMs: ['1'] }),
      /32 decimal strings/,
    );
    assert.throws(() => UsimSqnArray.fromJSON({ indBits: 5, delta: 'x', seqMs: [] }), AkaError);
    assert.throws(() => new UsimSqnArray().check(1n << 48n), /48-bit/);
  });
});

describe('network-side SQN (TS 33.102 C.1.2, C.3)', () => {
  it('nextSqn increments SEQ and moves IND round-robin, or keeps a fixed IND', () => {
    assert.equal(nextSqn(sqnOf(7n, 3)), sqnOf(8n, 4));
    assert.equal(nextSqn(sqnOf(7n, 31)), sqnOf(8n, 0));
    assert.equal(nextSqn(sqnOf(7n, 31), 5, 2), sqnOf(8n, 2));
    assert.equal(nextSqn(0x22n, 0), 0x23n);
    assert.throws(() => nextSqn(0n, 5, 32), /IND 32/);
    assert.throws(() => nextSqn((1n << 48n) - 1n), /exhausted/);
  });

  it('every generated SQN is fresh for a USIM that accepted the previous ones', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 1n << 32n }), fc.integer({ min: 1, max: 80 }), (start, n) => {
        const usim = new UsimSqnArray();
        let sqn = start;
        for (let i = 0; i < n; i++) {
          sqn = nextSqn(sqn);
          assert.equal(usim.check(sqn), 'fresh');
          usim.accept(sqn);
        }
      }),
      { numRuns: 50 },
    );
  });

  it('after a resync the first SQN is fresh in every slot of the USIM that sent SQN_MS', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(seqArb, indArb), { minLength: 1, maxLength: 20 }),
        indArb,
        (accepted, ind) => {
          const usim = new UsimSqnArray();
          for (const [s, i] of accepted) if (usim.check(sqnOf(s, i)) === 'fresh') usim.accept(sqnOf(s, i));
          const next = sqnAfterResync(usim.sqnMs(), 5, ind);
          assert.equal(next & 31n, BigInt(ind));
          assert.equal(usim.check(next), 'fresh');
        },
      ),
    );
  });
});
