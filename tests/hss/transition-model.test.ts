// DESIGN.md 6 invariant, as a property over the pure state machine: whatever sequence of stage / commit / abort /
// card updates / lost messages happens, a card holding any key set the HSS knows can attach within a few tries,
// and after it has, the HSS's active keys are the card's. Also: at most one candidate, versions ordered.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ConflictError } from '../../src/hss/index.js';
import {
  abort,
  authOutcome,
  commit,
  stage,
  vectorKeyVersion,
  type Actor,
  type SubscriberRecord,
  type StoredKeySet,
} from '../../src/hss/index.js';

const who: Actor = { actor: 'model', at: new Date(0) };
const set = (version: number): StoredKeySet => ({
  version,
  algorithm: 'milenage',
  tuak: null,
  sealed: Uint8Array.of(version),
});
const tx = (n: number) => n.toString(16).padStart(32, '0');

function initial(): SubscriberRecord {
  return {
    imsi: '001010000000001',
    iccid: null,
    amf: Uint8Array.of(0x80, 0),
    sqn: 0n,
    indBits: 5,
    active: set(1),
    activeTransactionId: null,
    candidate: null,
    previous: null,
    fallbackVersion: null,
    lastRand: null,
    lastKeyVersion: null,
    createdAt: who.at,
    updatedAt: who.at,
  };
}

type Step = { op: 'stage' | 'commit' | 'abort' | 'cardApplies'; n: number } | { op: 'attach' };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    op: fc.constantFrom('stage', 'commit', 'abort', 'cardApplies'),
    n: fc.integer({ min: 1, max: 4 }),
  }) as fc.Arbitrary<Step>,
  fc.constant({ op: 'attach' } as Step),
);

/** One attach: vector from the selected key set; the card's MAC check passes iff it holds that version. */
function attach(
  r: SubscriberRecord,
  card: number,
  counter: { rand: number },
): { r: SubscriberRecord; ok: boolean } {
  const version = vectorKeyVersion(r);
  const rand = Uint8Array.of(counter.rand++ & 0xff, counter.rand >> 8);
  r = { ...r, lastRand: rand, lastKeyVersion: version };
  const ok = version === card;
  const m = authOutcome(
    r,
    ok ? { success: true, rand } : { success: false, rand, failure: 'MAC_FAILURE' },
    who,
  );
  return { r: m?.record ?? r, ok };
}

function checkInvariants(r: SubscriberRecord): void {
  const versions = [r.active, r.candidate, r.previous].filter((s) => s !== null).map((s) => s!.version);
  assert.equal(new Set(versions).size, versions.length, 'versions distinct');
  if (r.candidate && r.active)
    assert.ok(r.candidate.version > r.active.version, 'candidate newer than active');
  if (r.previous && r.active) assert.ok(r.previous.version < r.active.version, 'previous older than active');
  if (r.fallbackVersion !== null) {
    assert.ok(
      [r.candidate?.version, r.previous?.version].includes(r.fallbackVersion),
      'fallback is a kept key set',
    );
  }
}

describe('key transition model (DESIGN.md 6)', () => {
  it('a card holding any known key set attaches within 3 tries; then active = card', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 25 }), (steps) => {
        let r = initial();
        let card = 1;
        let nextVersion = 2;
        const counter = { rand: 1 };
        for (const s of steps) {
          try {
            if (s.op === 'stage') {
              const m = stage(
                r,
                { ...set(nextVersion), transactionId: tx(nextVersion), stagedAt: who.at },
                who,
              );
              if (m) {
                r = m.record;
                nextVersion++;
              }
            } else if (s.op === 'cardApplies') {
              // The card applies the staged keys; the result may or may not reach the server (no commit here).
              if (r.candidate) card = r.candidate.version;
            } else if (s.op === 'commit') {
              // The server commits only after the card reported "applied" (DESIGN.md 6 step 2).
              if (r.candidate && r.candidate.version === card)
                r = commit(r, r.candidate.transactionId, who)?.record ?? r;
            } else if (s.op === 'abort') {
              // The server aborts only when the card refused (holds something else).
              if (r.candidate && r.candidate.version !== card)
                r = abort(r, r.candidate.transactionId, who)?.record ?? r;
            } else {
              r = attach(r, card, counter).r;
            }
          } catch (e) {
            if (!(e instanceof ConflictError)) throw e;
          }
          checkInvariants(r);
        }
        const known = [r.active, r.candidate, r.previous].some((k) => k?.version === card);
        if (!known) return; // the HSS was never told of these keys (not reachable by a correct server)
        let attached = false;
        for (let i = 0; i < 3 && !attached; i++) ({ r, ok: attached } = attach(r, card, counter));
        assert.ok(attached, 'the card attaches');
        assert.equal(r.active?.version, card, 'after a successful attach, active = the card');
      }),
      { numRuns: 300 },
    );
  });
});
