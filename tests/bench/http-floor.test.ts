// The RAM bench's HTTP floor (bench/ram/): one real RAM session recorded on the UE's side has the sizes the
// agent reports, and the bare server answers its replay with the same statuses and sizes, session after session;
// a request of another size than recorded is refused.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryCardStore, VirtualCard } from '../../src/card/index.js';
import { cryptoRandom } from '../../src/crypto/index.js';
import { GetResponseChannel } from '../../src/iso7816/index.js';
import { runRamSession } from '../../src/ue/ram-agent.js';
import { listenHttpFloor } from '../../bench/ram/http-floor.js';
import { recordingFetch, replaySession, type Exchange } from '../../bench/ram/transcript.js';
import { ramWorld } from '../../bench/ram/world.js';

describe('RAM bench HTTP floor', () => {
  it('records a real session and replays its shape against the bare server', async () => {
    const world = await ramWorld(1);
    const transcript: Exchange[] = [];
    try {
      await world.createJobs();
      const image = world.images[0];
      const card = new VirtualCard(image, {
        store: new MemoryCardStore(),
        clock: { now: () => new Date() },
        rng: cryptoRandom,
      });
      const report = await runRamSession({
        url: world.server.ramUrl,
        eid: image.eid,
        channel: new GetResponseChannel(card),
        fetch: recordingFetch(transcript),
      });
      assert.equal(report.job?.state, 'completed');
      assert.deepEqual(
        transcript.map((e) => [e.status, e.requestBytes, e.responseBytes]),
        report.exchanges.map((e) => [e.status, e.requestBytes, e.responseBytes]),
      );
      assert.equal(transcript.length, 4);
    } finally {
      await world.close();
    }

    const floor = await listenHttpFloor(transcript);
    try {
      await replaySession(floor.origin, transcript);
      await replaySession(floor.origin, transcript);
      const longer = transcript.map((e, i) => (i === 1 ? { ...e, requestBytes: e.requestBytes + 1 } : e));
      await assert.rejects(replaySession(floor.origin, longer), /answered 404/);
    } finally {
      await floor.close();
    }
  });
});
