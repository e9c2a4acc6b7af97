// Issue 9 finding 7, DESIGN.md 6 step 4: no candidate stays staged at the HSS without an open job that owns it,
// whether a cancel races with staging, a candidate is staged by hand, or another transaction's candidate is
// in the way of a new job.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex } from '../../src/bytes/index.js';
import { SeededRandom } from '../../src/crypto/index.js';
import { silentLogger, type Logger } from '../../src/ports/index.js';
import { runRamSession } from '../../src/ue/ram-agent.js';
import { Reconciler } from '../../src/server/index.js';
import { assertKeysUntouched, newJob, world, type World } from './support/world.js';

function isStage(input: Parameters<typeof fetch>[0], init: Parameters<typeof fetch>[1]): boolean {
  return init?.method === 'PUT' && String(input).endsWith('/candidate');
}

/** A candidate no job knows of, staged straight at the HSS. */
async function stageByHand(w: World, imsi: string, seed: string): Promise<void> {
  const r = new SeededRandom(seed);
  const keys = { algorithm: 'milenage' as const, k: r.randomBytes(16), opc: r.randomBytes(16) };
  await w.hss.stageCandidate(imsi, { keys, keyVersion: 2, transactionId: r.randomBytes(16) });
}

async function cancelRace(seed: string, when: 'before-stage-lands' | 'after-stage-lands'): Promise<void> {
  let cancelDuringStage: (() => Promise<void>) | undefined;
  const hssFetch: typeof fetch = async (input, init) => {
    const hook = isStage(input, init) ? cancelDuringStage : undefined;
    cancelDuringStage = undefined;
    if (hook !== undefined && when === 'before-stage-lands') await hook();
    const response = await fetch(input, init);
    if (hook !== undefined && when === 'after-stage-lands') await hook();
    return response;
  };
  const w = await world(seed, { hssFetch });
  try {
    const profile = w.s.image.profiles[0];
    const job = await newJob(w, { iccid: profile.iccid });
    cancelDuringStage = async () => {
      const r = await w.admin('POST', `/admin/v1/jobs/${job.id}/cancel`);
      assert.equal(r.status, 200);
    };
    await runRamSession({ url: w.server.ramUrl, eid: w.s.image.eid, channel: w.s.channel });
    assert.equal(cancelDuringStage, undefined, 'the cancel ran while staging');
    const view = await w.server.jobs.get(job.id);
    assert.equal(view.state, 'cancelled');
    assert.ok(view.history.some((h) => h.detail === 'cancelled by operator'));
    await assertKeysUntouched(w, w.s.card.image.profiles[0].keyVersion, profile.imsi);
    // Nothing is left in the way: the next job for the IMSI completes.
    const next = await newJob(w, { iccid: profile.iccid });
    await runRamSession({ url: w.server.ramUrl, eid: w.s.image.eid, channel: w.s.channel });
    assert.equal((await w.server.jobs.get(next.id)).state, 'completed');
    assert.equal((await w.hss.getSubscriber(profile.imsi)).activeVersion, 2);
  } finally {
    await w.close();
  }
}

describe('cancel racing with staging', () => {
  it('cancelled before the stage lands: the session aborts the candidate it staged', () =>
    cancelRace('cancel-race-1', 'before-stage-lands'));
  it('cancelled after the stage landed: the cancel aborts it', () =>
    cancelRace('cancel-race-2', 'after-stage-lands'));
});

describe('reconciler', () => {
  it('aborts the candidates no open job owns, and keeps those that one does', async () => {
    const w = await world('reconcile-1');
    try {
      const [p0, p1] = w.s.image.profiles;
      const job = await newJob(w, { iccid: p0.iccid });
      let posts = 0;
      // The session stops after BF70 left: the job is sent, its candidate staged.
      const dying: typeof fetch = async (input, init) => {
        if (++posts === 4) throw new TypeError('connection reset');
        return fetch(input, init);
      };
      await assert.rejects(
        runRamSession({
          url: w.server.ramUrl,
          eid: w.s.image.eid,
          channel: w.s.channel,
          fetch: dying,
          maxResumes: 0,
        }),
      );
      assert.equal((await w.server.jobs.get(job.id)).state, 'sent');
      await stageByHand(w, p1.imsi, 'orphan-1');
      const logs: string[] = [];
      const logger: Logger = {
        ...silentLogger,
        warn: (o: object | string) => void logs.push(JSON.stringify(o)),
      };
      const reconciler = new Reconciler(w.server.jobs, w.hss, logger, 60_000);
      assert.equal(await reconciler.runOnce(), 1);
      assert.equal((await w.hss.getSubscriber(p1.imsi)).candidate, undefined, 'the orphan is gone');
      assert.equal(
        (await w.hss.getSubscriber(p0.imsi)).candidate?.version,
        2,
        "the sent job's candidate stays",
      );
      assert.ok(logs.some((l) => l.includes('candidate-orphan-aborted') && l.includes(p1.imsi)));
      assert.equal(await reconciler.runOnce(), 0);
      // start() runs a pass at once; stop() waits for it.
      await stageByHand(w, p1.imsi, 'orphan-2');
      reconciler.start();
      await reconciler.stop();
      assert.equal((await w.hss.getSubscriber(p1.imsi)).candidate, undefined);
      // The job resumes and completes.
      await runRamSession({ url: w.server.ramUrl, eid: w.s.image.eid, channel: w.s.channel });
      assert.equal((await w.server.jobs.get(job.id)).state, 'completed');
    } finally {
      await w.close();
    }
  });

  it('a BF70 sent again is staged again: a candidate aborted meanwhile cannot leave the card ahead of the HSS', async () => {
    const w = await world('restage-1');
    try {
      const profile = w.s.image.profiles[0];
      const job = await newJob(w, { iccid: profile.iccid });
      let posts = 0;
      // The server answers the third POST with BF70, but that answer never reaches the UE: the job is sent,
      // the card never saw the request.
      const lost: typeof fetch = async (input, init) => {
        const response = await fetch(input, init);
        if (++posts === 3) {
          await response.arrayBuffer();
          throw new TypeError('connection reset');
        }
        return response;
      };
      await assert.rejects(
        runRamSession({
          url: w.server.ramUrl,
          eid: w.s.image.eid,
          channel: w.s.channel,
          fetch: lost,
          maxResumes: 0,
        }),
      );
      assert.equal((await w.server.jobs.get(job.id)).state, 'sent');
      assert.equal(w.s.card.image.profiles[0].keyVersion, 1);
      // Someone aborts the candidate at the HSS while the job waits.
      await w.hss.abortCandidate(profile.imsi, fromHex((await w.server.jobs.get(job.id)).transactionId));
      // BF72: not applied; BF70 again, with the candidate staged again first; applied and committed.
      await runRamSession({ url: w.server.ramUrl, eid: w.s.image.eid, channel: w.s.channel });
      assert.equal((await w.server.jobs.get(job.id)).state, 'completed');
      assert.equal(w.s.card.image.profiles[0].keyVersion, 2);
      assert.equal((await w.hss.getSubscriber(profile.imsi)).activeVersion, 2);
    } finally {
      await w.close();
    }
  });

  it("staging into another transaction's leftover candidate reconciles the IMSI and retries once", async () => {
    let stages = 0;
    let listed: () => void = () => {};
    const firstPass = new Promise<void>((resolve) => (listed = resolve));
    const hssFetch: typeof fetch = async (input, init) => {
      if (isStage(input, init)) stages++;
      const response = await fetch(input, init);
      if (String(input).includes('candidate=true')) listed();
      return response;
    };
    const w = await world('reconcile-2', { hssFetch });
    try {
      // The server's own pass at start has read the HSS: the leftover below is for the staging path.
      await firstPass;
      const profile = w.s.image.profiles[0];
      await stageByHand(w, profile.imsi, 'leftover');
      const job = await newJob(w, { iccid: profile.iccid });
      await runRamSession({ url: w.server.ramUrl, eid: w.s.image.eid, channel: w.s.channel });
      assert.equal((await w.server.jobs.get(job.id)).state, 'completed');
      assert.equal(stages, 3, 'by hand, refused (409), retried after the reconcile');
      assert.equal(w.s.card.image.profiles[0].keyVersion, 2);
      const sub = await w.hss.getSubscriber(profile.imsi);
      assert.equal(sub.activeVersion, 2);
      assert.equal(sub.candidate, undefined);
    } finally {
      await w.close();
    }
  });
});
