// DESIGN.md 7: two sessions must never both send BF70 for one job: the request phase is claimed by
// compare-and-set in the store, and a session that lost it asks BF72 first.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CardAuthenticated } from '../../src/server/index.js';
import { newJob, world } from './support/world.js';

const authenticated = {
  suite: { kvn: 1, curve: { name: 'P-256' }, aesKeyLength: 16 },
  certificate: {},
} as unknown as CardAuthenticated;

describe('request phase claim', () => {
  it('one of two racing sessions sends BF70; the other asks BF72 first, then may resend', async () => {
    const w = await world('request-claim-1');
    try {
      const profile = w.s.image.profiles[0];
      const job = await newJob(w, { iccid: profile.iccid });
      const [a, b] = await Promise.all(
        ['session-a', 'session-b'].map((id) => w.server.jobs.claim(w.s.image.eid, id)),
      );
      assert.ok(a !== undefined && b !== undefined, 'both sessions are offered the job');
      const decisions = await Promise.all(
        [a, b].map((c) => c.hooks.beforeRequest({ ...authenticated, afterStatus: false })),
      );
      assert.deepEqual([...decisions].sort(), ['status', 'update']);
      const view = await w.server.jobs.get(job.id);
      assert.equal(view.state, 'sent');
      assert.equal(view.history.filter((h) => h.state === 'staged').length, 1, 'staged once');
      assert.equal((await w.hss.getSubscriber(profile.imsi)).candidate?.version, 2);
      // The loser learned from BF73 that the card lacks the keys: it may now claim the request itself.
      const loser = decisions[0] === 'status' ? a : b;
      assert.equal(await loser.hooks.beforeRequest({ ...authenticated, afterStatus: true }), 'update');
      // A superseded session claims nothing any more.
      const winner = loser === a ? b : a;
      await winner.finish('released');
      await assert.rejects(winner.hooks.beforeRequest({ ...authenticated, afterStatus: true }), /superseded/);
      await loser.finish('released');
      assert.equal((await w.server.jobs.get(job.id)).state, 'sent', 'released sessions decide nothing');
    } finally {
      await w.close();
    }
  });

  it("a refusal from a session that no longer holds the request phase fails nothing (the holder's BF71 decides)", async () => {
    const w = await world('request-claim-2');
    try {
      const profile = w.s.image.profiles[0];
      const job = await newJob(w, { iccid: profile.iccid });
      // A sends BF70; B (another instance, say) asks BF72, learns the card lacks the keys, and resends BF70.
      const a = await w.server.jobs.claim(w.s.image.eid, 'session-a');
      assert.ok(a !== undefined);
      assert.equal(await a.hooks.beforeRequest({ ...authenticated, afterStatus: false }), 'update');
      const b = await w.server.jobs.claim(w.s.image.eid, 'session-b');
      assert.ok(b !== undefined);
      assert.equal(await b.hooks.beforeRequest({ ...authenticated, afterStatus: false }), 'status');
      assert.equal(await b.hooks.beforeRequest({ ...authenticated, afterStatus: true }), 'update');
      // A's refusal of its own, older BF70 arrives late (held back by whoever is on the path).
      const result = { outcome: 0x01 } as never;
      const afterStale = await a.finish({ kind: 'refused', outcome: 0x01, result });
      assert.equal(afterStale.state, 'sent', 'a stale refusal fails nothing');
      assert.equal(
        (await w.hss.getSubscriber(profile.imsi)).candidate?.version,
        2,
        'the candidate stays for the holder',
      );
      // The holder's own refusal decides the job (and aborts the candidate).
      const decided = await b.finish({ kind: 'refused', outcome: 0x01, result });
      assert.equal(decided.state, 'failed');
      assert.match((await w.server.jobs.get(job.id)).error ?? '', /card refused: outcome 01/);
      assert.equal((await w.hss.getSubscriber(profile.imsi)).candidate, undefined, 'aborted at the HSS');
    } finally {
      await w.close();
    }
  });
});
