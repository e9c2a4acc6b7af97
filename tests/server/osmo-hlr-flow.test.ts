// Issue 12: osmo-hlr as the HSS role, against a real osmo-hlr. No candidate: staging writes nothing, the keys
// are written over CTRL only after the card's verified BF71, read back and compared; the key version comes from
// the job store; a CTRL connection dropped during the write leaves the job applied until a retry completes it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CardChannel } from '../../src/iso7816/index.js';
import { Reconciler } from '../../src/server/index.js';
import { silentLogger } from '../../src/ports/index.js';
import { runRamSession } from '../../src/ue/ram-agent.js';
import { osmoSkip } from '../helpers/osmo-hlr.js';
import { osmoWorld, type OsmoWorld } from './support/osmo-hlr-world.js';

interface JobJson {
  id: string;
  state: string;
  keyVersion: number;
  history: { state: string; detail?: string }[];
}

async function job(w: OsmoWorld, body: object): Promise<JobJson> {
  const r = await w.admin('POST', '/admin/v1/jobs', body);
  assert.equal(r.status, 201, await r.clone().text());
  return (await r.json()) as JobJson;
}

async function read(w: OsmoWorld, id: string): Promise<JobJson> {
  return (await (await w.admin('GET', `/admin/v1/jobs/${id}`)).json()) as JobJson;
}

/** GP 11.11 STORE DATA (BF70 travels in it). */
const INS_STORE_DATA = 0xe2;
const isAud3gWrite = (chunk: Buffer) => chunk.includes('SET ') && chunk.includes('.aud3g ');

describe('osmo-hlr as the HSS role (server side)', { skip: osmoSkip }, () => {
  let w: OsmoWorld;
  before(async () => {
    w = await osmoWorld('osmo-flow');
  });
  after(() => w?.close());

  it('rotates a profile: nothing written before BF71, then the keys the card holds, read back from osmo-hlr', async () => {
    const profile = w.s.image.profiles[0];
    const created = await job(w, { iccid: profile.iccid });
    assert.equal(created.keyVersion, 2, 'personalisation version 1, so the first rotation is 2');
    // When STORE DATA (BF70) reaches the card, the job is staged: osmo-hlr must still hold the old keys.
    const atBf70: (Uint8Array | undefined)[] = [];
    const channel: CardChannel = {
      transmit: async (command) => {
        if ((command.ins & 0xff) === INS_STORE_DATA)
          atBf70.push((await w.hlr.subscribers((s) => s.readAud3g(profile.imsi)))?.k);
        return w.s.channel.transmit(command);
      },
    };
    await runRamSession({ url: w.server.ramUrl, eid: w.s.image.eid, channel });
    assert.equal(atBf70.length, 1);
    assert.deepEqual(atBf70[0], profile.keys.k, 'staging wrote nothing to osmo-hlr');
    const done = await read(w, created.id);
    assert.equal(done.state, 'completed');
    assert.deepEqual(
      done.history.map((h) => h.state),
      ['pending', 'staged', 'sent', 'applied', 'completed'],
    );
    assert.match(done.history[1].detail ?? '', /no candidate key set/);
    const card = w.s.card.image.profiles[0];
    assert.equal(card.keyVersion, 2);
    const hlrKeys = await w.hlr.subscribers((s) => s.readAud3g(profile.imsi));
    assert.equal(hlrKeys?.algorithm, 'milenage');
    assert.deepEqual(hlrKeys?.k, card.keys.k, "osmo-hlr's K is the card's new K");
    assert.deepEqual(hlrKeys?.opc, card.keys.opc, "osmo-hlr's OPc is the card's new OPc");
    assert.notDeepEqual(hlrKeys?.k, profile.keys.k, 'the old K is gone from osmo-hlr');
    // The other profile is untouched at osmo-hlr.
    const other = w.s.image.profiles[1];
    assert.deepEqual((await w.hlr.subscribers((s) => s.readAud3g(other.imsi)))?.k, other.keys.k);
  });

  it('derives the next key version from the completed jobs (osmo-hlr keeps none)', async () => {
    const profile = w.s.image.profiles[0];
    const created = await job(w, { iccid: profile.iccid });
    assert.equal(created.keyVersion, 3);
    await runRamSession({ url: w.server.ramUrl, eid: w.s.image.eid, channel: w.s.channel });
    assert.equal((await read(w, created.id)).state, 'completed');
    assert.equal(w.s.card.image.profiles[0].keyVersion, 3);
  });

  it('a CTRL connection dropped during the write leaves the job applied (never completed); a retry completes it', async () => {
    const profile = w.s.image.profiles[1];
    const created = await job(w, { iccid: profile.iccid });
    w.relay.drop = isAud3gWrite;
    try {
      await runRamSession({ url: w.server.ramUrl, eid: w.s.image.eid, channel: w.s.channel });
      assert.ok(w.relay.dropped >= 1, 'the aud3g write was cut');
      const stuck = await read(w, created.id);
      assert.equal(stuck.state, 'applied');
      assert.ok(!stuck.history.some((h) => h.state === 'completed'));
      assert.equal(w.s.card.image.profiles[1].keyVersion, 2, 'the card applied the new keys');
      const failed = w.logs.find((l) => l.includes('hss-commit-failed'));
      assert.ok(failed?.includes(profile.imsi), 'the log names the subscriber');
      assert.deepEqual(
        (await w.hlr.subscribers((s) => s.readAud3g(profile.imsi)))?.k,
        profile.keys.k,
        'osmo-hlr still has the old keys',
      );
      // Still failing: the reconciler's pass leaves it applied.
      await new Reconciler(w.server.jobs, w.hss, silentLogger).runOnce();
      assert.equal((await read(w, created.id)).state, 'applied');
    } finally {
      w.relay.drop = undefined;
    }
    await new Reconciler(w.server.jobs, w.hss, silentLogger).runOnce();
    const done = await read(w, created.id);
    assert.equal(done.state, 'completed');
    assert.match(done.history.at(-1)?.detail ?? '', /written to osmo-hlr and read back/);
    const card = w.s.card.image.profiles[1];
    const hlrKeys = await w.hlr.subscribers((s) => s.readAud3g(profile.imsi));
    assert.deepEqual([hlrKeys?.k, hlrKeys?.opc], [card.keys.k, card.keys.opc]);
  });

  it('refuses a job for an IMSI osmo-hlr does not know, naming it', async () => {
    const profile = w.s.image.profiles[1];
    await w.hlr.subscribers((s) => s.delete(profile.imsi));
    const r = await w.admin('POST', '/admin/v1/jobs', { iccid: profile.iccid });
    assert.equal(r.status, 404);
    const body = (await r.json()) as { detail: string };
    assert.match(body.detail, new RegExp(`osmo-hlr does not know IMSI ${profile.imsi}`));
  });
});

describe(
  "osmo-hlr as the HSS role: the server's own reconciler retries applied jobs",
  { skip: osmoSkip },
  () => {
    let w: OsmoWorld;
    before(async () => {
      w = await osmoWorld('osmo-periodic', { reconcileIntervalMs: 20 });
    });
    after(() => w?.close());

    it('completes a job whose write failed without any further session', async () => {
      const profile = w.s.image.profiles[0];
      const created = await job(w, { iccid: profile.iccid });
      w.relay.drop = isAud3gWrite;
      await runRamSession({ url: w.server.ramUrl, eid: w.s.image.eid, channel: w.s.channel });
      assert.equal((await read(w, created.id)).state, 'applied');
      const droppedBefore = w.relay.dropped;
      // Wait for the periodic pass to have tried (and failed) at least once more, then let it through.
      for (let i = 0; i < 500 && w.relay.dropped === droppedBefore; i++)
        await new Promise((r) => setTimeout(r, 10));
      assert.ok(w.relay.dropped > droppedBefore, 'the periodic pass retried the write');
      assert.equal((await read(w, created.id)).state, 'applied', 'still applied while the write fails');
      w.relay.drop = undefined;
      let state = 'applied';
      for (let i = 0; i < 500 && state === 'applied'; i++) {
        await new Promise((r) => setTimeout(r, 10));
        state = (await read(w, created.id)).state;
      }
      assert.equal(state, 'completed');
      const card = w.s.card.image.profiles[0];
      const hlrKeys = await w.hlr.subscribers((s) => s.readAud3g(profile.imsi));
      assert.deepEqual([hlrKeys?.k, hlrKeys?.opc], [card.keys.k, card.keys.opc]);
    });
  },
);
