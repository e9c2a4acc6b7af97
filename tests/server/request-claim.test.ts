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
});
