// Issue 9 finding 5, DESIGN.md 7: the RAM endpoint faces the Internet. Someone who knows only a card's EID (it
// is public, in CERT.SD.ECKA) must not be able to fail, end or supersede its job, nor a real UE's session.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeResponseScript } from '../../src/iso7816/index.js';
import { runRamSession } from '../../src/ue/ram-agent.js';
import { MAX_UNAUTHENTICATED_PER_EID } from '../../src/server/index.js';
import { newJob, openRam, postScript, world } from './support/world.js';

const SW_FILE_NOT_FOUND = 0x6a82;
const SW_WRONG_DATA = 0x6a80;
/** What a forger can answer to script 1: SELECT ISD failed. */
const BOGUS = encodeResponseScript([{ data: new Uint8Array(0), sw: SW_FILE_NOT_FOUND }]);
const PAST_ANY_BACKOFF_MS = 5 * 60_000 + 1;

describe('RAM endpoint: a forger who knows only the EID', () => {
  it('leaves the pending job pending (attempt counted) and does not disturb a real session in progress', async () => {
    const w = await world('ram-attack-1');
    try {
      const profile = w.s.image.profiles[0];
      const eid = w.s.image.eid;
      const job = await newJob(w, { iccid: profile.iccid });
      let struck = false;
      let hanging: string | undefined;
      // The forger strikes while the real UE runs script 1 on its card.
      const real: typeof fetch = async (input, init) => {
        if (!struck && init?.body !== undefined) {
          struck = true;
          const forged = await openRam(w, eid);
          assert.equal(forged.status, 200, 'the job is offered to any session that asks');
          const bogus = await postScript(eid, forged.next as string, BOGUS);
          assert.equal(bogus.status, 204);
          const view = await w.server.jobs.get(job.id);
          assert.equal(view.state, 'pending', 'a forged answer does not fail the job');
          assert.equal(view.attempts, 1);
          assert.match(view.lastAttemptError ?? '', /SELECT ISD/);
          // Backing off: a new session gets no work for a while.
          assert.equal((await openRam(w, eid)).status, 204);
          // Past the backoff the forger opens a session and leaves it hanging: the real one goes on.
          w.clock.advance(2_000);
          const open = await openRam(w, eid);
          assert.equal(open.status, 200);
          hanging = open.next;
        }
        return fetch(input, init);
      };
      const report = await runRamSession({ url: w.server.ramUrl, eid, channel: w.s.channel, fetch: real });
      assert.ok(struck);
      assert.equal(report.resumes, 0, 'the real session was never superseded');
      const view = await w.server.jobs.get(job.id);
      assert.equal(view.state, 'completed');
      assert.equal(view.consecutiveFailures, 0, 'the card authenticated: the run of failures ended');
      assert.equal(w.s.card.image.profiles[0].keyVersion, 2);
      assert.equal((await w.hss.getSubscriber(profile.imsi)).activeVersion, 2);
      // The forger's hanging session finds nothing left to decide.
      const late = await postScript(eid, hanging as string, BOGUS);
      assert.equal(late.status, 204);
      assert.equal((await w.server.jobs.get(job.id)).state, 'completed');
    } finally {
      await w.close();
    }
  });

  it('repeated forged answers back off exponentially and raise the alarm after 10; the job stays pending', async () => {
    const w = await world('ram-attack-2');
    try {
      const profile = w.s.image.profiles[0];
      const eid = w.s.image.eid;
      const job = await newJob(w, { iccid: profile.iccid });
      for (let i = 1; i <= 10; i++) {
        const forged = await openRam(w, eid);
        assert.equal(forged.status, 200, `attempt ${i}`);
        assert.equal((await postScript(eid, forged.next as string, BOGUS)).status, 204);
        const view = await w.server.jobs.get(job.id);
        assert.equal(view.state, 'pending');
        assert.equal(view.attempts, i);
        assert.equal(view.consecutiveFailures, i);
        const backoff = Date.parse(view.nextAttemptAt as string) - Date.parse(view.lastAttemptAt as string);
        assert.equal(backoff, Math.min(1_000 * 2 ** (i - 1), 300_000), `backoff after attempt ${i}`);
        assert.equal((await openRam(w, eid)).status, 204, 'backing off');
        assert.equal(w.server.jobs.securityAlarms, i === 10 ? 1 : 0);
        w.clock.advance(PAST_ANY_BACKOFF_MS);
      }
      const alarmed = await w.server.jobs.get(job.id);
      assert.equal(alarmed.securityAlarm, true);
      assert.equal(alarmed.state, 'pending');
      const alarms = w.logs.filter((l) => l.includes('"security-alarm"'));
      assert.equal(alarms.length, 1);
      assert.match(alarms[0], /failed-attempts/);
      // The real card still gets its update.
      await runRamSession({ url: w.server.ramUrl, eid, channel: w.s.channel });
      assert.equal((await w.server.jobs.get(job.id)).state, 'completed');
      assert.equal(w.s.card.image.profiles[0].keyVersion, 2);
    } finally {
      await w.close();
    }
  });

  it(`keeps at most ${MAX_UNAUTHENTICATED_PER_EID} unauthenticated sessions per EID; the dropped one counts an attempt`, async () => {
    const w = await world('ram-attack-3');
    try {
      const eid = w.s.image.eid;
      const job = await newJob(w, { iccid: w.s.image.profiles[0].iccid });
      const opened = [];
      for (let i = 0; i < MAX_UNAUTHENTICATED_PER_EID; i++) opened.push(await openRam(w, eid));
      assert.ok(opened.every((o) => o.status === 200));
      assert.equal((await w.server.jobs.get(job.id)).attempts, 0, 'opening a session decides nothing');
      assert.equal((await openRam(w, eid)).status, 200);
      // The oldest is gone, as if its UE had abandoned it before authenticating.
      assert.equal((await postScript(eid, opened[0].next as string, BOGUS)).status, 404);
      const view = await w.server.jobs.get(job.id);
      assert.equal(view.state, 'pending');
      assert.equal(view.attempts, 1);
      assert.match(view.lastAttemptError ?? '', /abandoned/);
      // The real UE's session pushes out the next oldest (counted too); once the card has authenticated in
      // it, the sessions opened before it end without counting, and the run of failures is over.
      w.clock.advance(PAST_ANY_BACKOFF_MS);
      await runRamSession({ url: w.server.ramUrl, eid, channel: w.s.channel });
      const done = await w.server.jobs.get(job.id);
      assert.equal(done.state, 'completed');
      assert.equal(done.attempts, 2);
      assert.equal(done.consecutiveFailures, 0);
      for (const o of opened.slice(1)) {
        assert.equal((await postScript(eid, o.next as string, BOGUS)).status, 404, 'dropped or superseded');
      }
    } finally {
      await w.close();
    }
  });
});

describe('RAM endpoint: an error SW to STORE DATA (no R-MAC, DESIGN.md 4.3)', () => {
  it('counts an attempt and leaves the job sent; the next session asks BF72 and completes', async () => {
    const w = await world('ram-attack-4');
    try {
      const eid = w.s.image.eid;
      const job = await newJob(w, { iccid: w.s.image.profiles[0].iccid });
      let posts = 0;
      // An on-path relay replaces the card's BF71 answer (POST 3) with a bare 6A80.
      const relay: typeof fetch = async (input, init) => {
        if (++posts === 4) {
          return fetch(input, {
            ...init,
            body: encodeResponseScript([{ data: new Uint8Array(0), sw: SW_WRONG_DATA }]),
          });
        }
        return fetch(input, init);
      };
      await runRamSession({ url: w.server.ramUrl, eid, channel: w.s.channel, fetch: relay });
      const view = await w.server.jobs.get(job.id);
      assert.equal(view.state, 'sent', 'an unauthenticated SW decides nothing');
      assert.equal(view.attempts, 1);
      w.clock.advance(PAST_ANY_BACKOFF_MS);
      await runRamSession({ url: w.server.ramUrl, eid, channel: w.s.channel });
      const done = await w.server.jobs.get(job.id);
      assert.equal(done.state, 'completed');
      assert.ok(done.history.some((h) => /BF73/.test(h.detail ?? '')));
    } finally {
      await w.close();
    }
  });
});
