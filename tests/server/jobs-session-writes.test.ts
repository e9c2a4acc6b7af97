// Issue 11: a session writes its job twice (sent with staged and the card's authentication; completed with
// applied), not five times. The races and crashes that merging opens, each with the guarantee that must hold:
// DESIGN.md 6 (candidate staged before BF70, no candidate without an open job, commit only after the card's
// verified answer) and DESIGN.md 7 (compare-and-set, the authentication's bookkeeping, one request holder).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FixedClock } from '../../src/ports/index.js';
import {
  Reconciler,
  SessionError,
  SqliteJobStore,
  type JobRecord,
  type JobStore,
  type SessionOutcome,
} from '../../src/server/index.js';
import { silentLogger } from '../../src/ports/index.js';
import {
  AUTHENTICATED,
  CandidateHss,
  authenticatedClaim,
  T0,
  counting,
  entry,
  jobService,
  type Counts,
} from './jobs-support.js';

const P = entry(1);
/** Past any backoff of the default policy (5 min cap). */
const PAST_BACKOFF_MS = 301_000;

type Hook = ((next: JobRecord) => Promise<void>) | undefined;

/** `store` whose update first runs `before` (a test's race or fault), if set. */
function intercepted(store: JobStore): JobStore & { before: Hook } {
  let before: Hook;
  return new Proxy(store, {
    get(t, p) {
      if (p === 'before') return before;
      const v: unknown = Reflect.get(t, p, t);
      if (p === 'update') {
        return async (next: JobRecord, expected: number) => {
          await before?.(next);
          return t.update(next, expected);
        };
      }
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
    set(_t, p, value: Hook) {
      if (p !== 'before') return false;
      before = value;
      return true;
    },
  }) as JobStore & { before: Hook };
}

/** `store` whose update throws (an instance dying mid-write) when `when` says so, once. */
function failingOnce(store: JobStore, when: (next: JobRecord) => boolean): JobStore {
  const s = intercepted(store);
  s.before = async (next) => {
    if (!when(next)) return;
    s.before = undefined;
    throw new Error('the instance died');
  };
  return s;
}

/** One profile's job store and HSS, and an instance whose job write to `state` dies once (mid-write). */
function dyingInstance(state: JobRecord['state']) {
  const store = new SqliteJobStore(':memory:');
  const hss = new CandidateHss([P.imsi]);
  const hssCalls: Counts = {};
  const dying = jobService(
    failingOnce(store, (j) => j.state === state),
    counting(hss, hssCalls),
    [P],
  );
  return { store, hss, hssCalls, dying };
}

function unauthenticatedFailure(): SessionOutcome {
  return {
    kind: 'failed',
    error: new SessionError('card-answer', 'SELECT ISD: 6A82'),
    requestSent: false,
    authenticated: false,
  };
}

describe('merged session writes: races and crashes', () => {
  it('a cancel landing between the HSS stage and the sent write: the session aborts its own candidate', async () => {
    const store = new SqliteJobStore(':memory:');
    const hss = new CandidateHss([P.imsi]);
    const jobs = jobService(store, hss, [P]);
    try {
      const job = await jobs.create({ iccid: P.iccid }, 'operator');
      const claim = await authenticatedClaim(jobs, P.eid, 'session-1');
      // The operator's cancel (and its abort, with nothing staged yet) runs while the session stages.
      hss.before.stage = async () => {
        hss.before.stage = undefined;
        await jobs.cancel(job.id, 'operator');
      };
      await assert.rejects(
        claim.hooks.beforeRequest({ ...AUTHENTICATED, afterStatus: false }),
        (e: Error) => e instanceof SessionError && e.failure === 'job' && /cancelled/.test(e.message),
      );
      assert.equal(hss.candidates.get(P.imsi), undefined, 'no candidate left without an open job');
      const view = await jobs.get(job.id);
      assert.equal(view.state, 'cancelled');
      assert.ok(!view.history.some((h) => h.state === 'sent'), 'BF70 never went');
    } finally {
      await store.close();
    }
  });

  it('an instance dying between the HSS stage and the sent write: the candidate stays owned, the next session sends', async () => {
    const { store, hss, hssCalls, dying } = dyingInstance('sent');
    try {
      const job = await dying.create({ iccid: P.iccid }, 'operator');
      const first = await authenticatedClaim(dying, P.eid, 'session-1');
      await assert.rejects(first.hooks.beforeRequest({ ...AUTHENTICATED, afterStatus: false }), /died/);
      assert.equal(hss.candidates.get(P.imsi)?.version, 2);
      // Another instance: its reconciler leaves the candidate of an open job alone.
      const jobs = jobService(store, counting(hss, hssCalls), [P], new FixedClock(T0), 'instance-2');
      assert.equal(await new Reconciler(jobs, hss, silentLogger).runOnce(), 0);
      const pending = await jobs.get(job.id);
      assert.equal(pending.state, 'pending', 'nothing about the session was written');
      assert.equal(pending.sessions, 0);
      const second = await jobs.claim(P.eid, 'session-2');
      assert.ok(second);
      assert.equal(second.order.recover, false);
      await second.hooks.authenticated?.(AUTHENTICATED);
      assert.equal(await second.hooks.beforeRequest({ ...AUTHENTICATED, afterStatus: false }), 'update');
      assert.equal(hssCalls.stage, 2, 'staged again (the same transaction: a no-op at the HSS)');
      const done = await second.finish({ kind: 'applied', keyVersion: 2, viaStatus: false });
      assert.deepEqual(
        done.history.map((h) => h.state),
        ['pending', 'staged', 'sent', 'applied', 'completed'],
      );
      assert.equal(done.sessions, 1);
      assert.equal(hss.active.get(P.imsi), 2);
    } finally {
      await store.close();
    }
  });

  it('an instance dying between the HSS commit and the completed write: the job stays sent, BF72 completes it', async () => {
    const { store, hss, hssCalls, dying } = dyingInstance('completed');
    try {
      const job = await dying.create({ iccid: P.iccid }, 'operator');
      const first = await authenticatedClaim(dying, P.eid, 'session-1');
      assert.equal(await first.hooks.beforeRequest({ ...AUTHENTICATED, afterStatus: false }), 'update');
      await assert.rejects(first.finish({ kind: 'applied', keyVersion: 2, viaStatus: false }), /died/);
      assert.equal(hss.active.get(P.imsi), 2, 'committed after the verified BF71');
      const jobs = jobService(store, counting(hss, hssCalls), [P], new FixedClock(T0), 'instance-2');
      assert.equal(
        (await jobs.get(job.id)).state,
        'sent',
        'the outcome is unknown to the store: BF72 decides',
      );
      const second = await jobs.claim(P.eid, 'session-2');
      assert.ok(second);
      assert.equal(second.order.recover, true, 'BF72 first');
      await second.hooks.authenticated?.(AUTHENTICATED);
      const done = await second.finish({ kind: 'applied', keyVersion: 2, viaStatus: true });
      assert.equal(done.state, 'completed');
      assert.deepEqual(
        done.history.map((h) => h.state),
        ['pending', 'staged', 'sent', 'applied', 'completed'],
      );
      assert.match(done.history[3].detail ?? '', /BF73/);
      assert.equal(done.sessions, 2);
      assert.equal(hssCalls.commit, 2, 'committed again: a no-op at the HSS');
    } finally {
      await store.close();
    }
  });

  it('an instance dying between the HSS commit and the completed write: once quiet, the reconciler completes it', async () => {
    const { store, hss, dying } = dyingInstance('completed');
    try {
      // A second job, sent, whose card never applied: the HSS holds its candidate, not its keys.
      const other = entry(2);
      hss.active.set(other.imsi, 1);
      const job = await dying.create({ iccid: P.iccid }, 'operator');
      const first = await authenticatedClaim(dying, P.eid, 'session-1');
      await first.hooks.beforeRequest({ ...AUTHENTICATED, afterStatus: false });
      await assert.rejects(first.finish({ kind: 'applied', keyVersion: 2, viaStatus: false }), /died/);
      const clock = new FixedClock(T0);
      const jobs = jobService(store, hss, [P, other], clock, 'instance-2');
      const unapplied = await jobs.create({ iccid: other.iccid }, 'operator');
      const claim = await authenticatedClaim(jobs, other.eid, 'session-3');
      await claim.hooks.beforeRequest({ ...AUTHENTICATED, afterStatus: false });
      const reconciler = new Reconciler(jobs, hss, silentLogger);
      await reconciler.runOnce();
      assert.equal((await jobs.get(job.id)).state, 'sent', 'written a moment ago: its session may be live');
      clock.advance(61_000);
      await reconciler.runOnce();
      const done = await jobs.get(job.id);
      assert.equal(done.state, 'completed', "the HSS's active keys are this job's: the card holds them");
      assert.deepEqual(
        done.history.map((h) => h.state),
        ['pending', 'staged', 'sent', 'applied', 'completed'],
      );
      assert.equal((await jobs.get(unapplied.id)).state, 'sent', 'a candidate only: BF72 decides');
      assert.equal(hss.candidates.get(other.imsi)?.version, 2, 'its candidate stays (an open job owns it)');
    } finally {
      await store.close();
    }
  });

  it('a commit the HSS refuses writes applied; the reconciler completes it', async () => {
    const store = new SqliteJobStore(':memory:');
    const hss = new CandidateHss([P.imsi]);
    const jobs = jobService(store, hss, [P]);
    try {
      const job = await jobs.create({ iccid: P.iccid }, 'operator');
      const claim = await authenticatedClaim(jobs, P.eid, 'session-1');
      await claim.hooks.beforeRequest({ ...AUTHENTICATED, afterStatus: false });
      hss.before.commit = async () => {
        hss.before.commit = undefined;
        throw new Error('HSS unavailable');
      };
      const applied = await claim.finish({ kind: 'applied', keyVersion: 2, viaStatus: false });
      assert.equal(applied.state, 'applied');
      assert.equal(hss.candidates.get(P.imsi)?.version, 2, 'the candidate waits for its commit');
      assert.equal(await new Reconciler(jobs, hss, silentLogger).runOnce(), 0);
      const done = await jobs.get(job.id);
      assert.equal(done.state, 'completed');
      assert.deepEqual(
        done.history.map((h) => h.state),
        ['pending', 'staged', 'sent', 'applied', 'completed'],
      );
      assert.equal(hss.active.get(P.imsi), 2);
    } finally {
      await store.close();
    }
  });

  it('a session that ends because the HSS failed at the stage is not counted against the card', async () => {
    const store = new SqliteJobStore(':memory:');
    const hss = new CandidateHss([P.imsi]);
    const jobs = jobService(store, hss, [P]);
    try {
      const job = await jobs.create({ iccid: P.iccid }, 'operator');
      hss.before.stage = async () => {
        throw new Error('HSS unavailable');
      };
      const c = await authenticatedClaim(jobs, P.eid, 'session-1');
      await assert.rejects(
        c.hooks.beforeRequest({ ...AUTHENTICATED, afterStatus: false }),
        /HSS unavailable/,
      );
      const after = await c.finish('released');
      assert.deepEqual([after.state, after.sessions, after.attempts], ['pending', 0, 0]);
      // With the HSS back, the card's next session counts and sends.
      hss.before.stage = undefined;
      const d = await authenticatedClaim(jobs, P.eid, 'session-2');
      assert.equal(await d.hooks.beforeRequest({ ...AUTHENTICATED, afterStatus: false }), 'update');
      assert.deepEqual([(await jobs.get(job.id)).state, (await jobs.get(job.id)).sessions], ['sent', 1]);
    } finally {
      await store.close();
    }
  });

  it("the card's authentication is written once per session, on whatever write ends it", async () => {
    const store = intercepted(new SqliteJobStore(':memory:'));
    const hss = new CandidateHss([P.imsi]);
    const clock = new FixedClock(T0);
    const jobs = jobService(store, hss, [P], clock);
    try {
      const job = await jobs.create({ iccid: P.iccid }, 'operator');
      // Two failures nobody authenticated: a run of 2, backing off.
      for (let i = 0; i < 2; i++) {
        const c = await jobs.claim(P.eid, `forged-${i}`);
        assert.ok(c);
        await c.finish(unauthenticatedFailure());
        clock.advance(PAST_BACKOFF_MS);
      }
      assert.equal((await jobs.get(job.id)).consecutiveFailures, 2);
      // The card authenticates, then the session fails without a finding by the card: the run ends with it
      // (reset by the authentication, then this one failure).
      const a = await authenticatedClaim(jobs, P.eid, 'session-a');
      const failed = await a.finish({
        kind: 'failed',
        error: new SessionError('card-answer', 'STORE DATA: 6F00 without R-MAC'),
        requestSent: false,
        authenticated: true,
      });
      assert.deepEqual([failed.sessions, failed.attempts, failed.consecutiveFailures], [1, 3, 1]);
      clock.advance(PAST_BACKOFF_MS);
      // Released (superseded) after authenticating: written on its own.
      const b = await authenticatedClaim(jobs, P.eid, 'session-b');
      const bReleased = await b.finish('released');
      assert.deepEqual([bReleased.sessions, bReleased.consecutiveFailures], [2, 0]);
      // Released (superseded) while its request write is under way: counted once, not by both writes.
      const c = await authenticatedClaim(jobs, P.eid, 'session-c');
      let released: Promise<unknown> | undefined;
      store.before = async (next) => {
        if (next.state !== 'sent') return;
        store.before = undefined;
        released = c.finish('released');
        await new Promise((r) => setTimeout(r, 10));
      };
      assert.equal(await c.hooks.beforeRequest({ ...AUTHENTICATED, afterStatus: false }), 'update');
      await released;
      const sent = await jobs.get(job.id);
      assert.equal(sent.state, 'sent');
      assert.equal(sent.sessions, 3);
      // A session released before its card authenticated writes nothing.
      const d = await jobs.claim(P.eid, 'session-d');
      const before = await jobs.get(job.id);
      await d?.finish('released');
      assert.deepEqual(await jobs.get(job.id), before);
    } finally {
      await store.close();
    }
  });

  it('two authenticated sessions racing for the request: one sends BF70, both sessions counted', async () => {
    const store = new SqliteJobStore(':memory:');
    const hss = new CandidateHss([P.imsi]);
    const jobs = jobService(store, hss, [P]);
    try {
      const job = await jobs.create({ iccid: P.iccid }, 'operator');
      const [a, b] = await Promise.all(['a', 'b'].map((id) => jobs.claim(P.eid, id)));
      assert.ok(a && b);
      await Promise.all([a, b].map((c) => c.hooks.authenticated?.(AUTHENTICATED)));
      const decisions = await Promise.all(
        [a, b].map((c) => c.hooks.beforeRequest({ ...AUTHENTICATED, afterStatus: false })),
      );
      assert.deepEqual([...decisions].sort(), ['status', 'update']);
      const view = await jobs.get(job.id);
      assert.equal(view.state, 'sent');
      assert.equal(view.history.filter((h) => h.state === 'sent').length, 1);
      // The loser asked BF72: the card holds the keys (the winner's BF70 reached it).
      const loser = decisions[0] === 'status' ? a : b;
      const done = await loser.finish({ kind: 'applied', keyVersion: 2, viaStatus: true });
      assert.equal(done.state, 'completed');
      const winner = loser === a ? b : a;
      assert.equal((await winner.finish('released')).state, 'completed');
      assert.equal((await jobs.get(job.id)).sessions, 2);
    } finally {
      await store.close();
    }
  });
});
