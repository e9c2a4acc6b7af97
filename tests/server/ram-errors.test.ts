// Issue 9 finding 10, DESIGN.md 7: a failure inside the server (the HSS refusing while staging) is answered to
// the UE with a generic 500: no HSS text, no IMSI. It is not the card's doing, so the job stays as it was.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runRamSession } from '../../src/ue/ram-agent.js';
import { newJob, world } from './support/world.js';

const HSS_DETAIL = 'subscriber table is locked by maintenance';

describe('RAM endpoint: internal failures', () => {
  it('answers 500 without HSS text or IMSI, leaves the job pending, and completes once the HSS is back', async () => {
    let hssBroken = true;
    const hssFetch: typeof fetch = async (input, init) => {
      if (hssBroken && init?.method === 'PUT' && String(input).endsWith('/candidate')) {
        return new Response(
          JSON.stringify({ status: 500, title: 'Internal Server Error', detail: HSS_DETAIL }),
          {
            status: 500,
            headers: { 'content-type': 'application/problem+json' },
          },
        );
      }
      return fetch(input, init);
    };
    const w = await world('ram-errors-1', { hssFetch });
    try {
      const profile = w.s.image.profiles[0];
      const job = await newJob(w, { iccid: profile.iccid });
      const error = await runRamSession({
        url: w.server.ramUrl,
        eid: w.s.image.eid,
        channel: w.s.channel,
      }).then(
        () => assert.fail('the session should stop with 500'),
        (e: Error) => e.message,
      );
      assert.match(error, /500/);
      assert.match(error, /internal error/);
      assert.doesNotMatch(error, /HSS/);
      assert.ok(!error.includes(profile.imsi), 'the IMSI went to the UE');
      assert.ok(!error.includes(HSS_DETAIL), 'HSS text went to the UE');
      // The operator's log has the details.
      assert.ok(w.logs.some((l) => l.includes('ram-session-error') && l.includes(HSS_DETAIL)));
      const view = await w.server.jobs.get(job.id);
      assert.equal(view.state, 'pending', 'not the card: the job stays as it was');
      assert.equal(view.attempts, 0);
      hssBroken = false;
      await runRamSession({ url: w.server.ramUrl, eid: w.s.image.eid, channel: w.s.channel });
      assert.equal((await w.server.jobs.get(job.id)).state, 'completed');
    } finally {
      await w.close();
    }
  });
});
