// Issue 11: the RAM endpoint lists a script's APDU headers only when its trace line is written (no strings per
// script when trace is off), and the written line still names them (DESIGN.md 7: headers only).
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { runRamSession } from '../../src/ue/ram-agent.js';
import { createJob, world } from './support/world.js';

describe('RAM endpoint: the script trace (issue 11)', () => {
  it('lists the CLA INS P1 P2 of each command of each script, and nothing of their data', async () => {
    const w = await world('ram-trace');
    after(() => w.close());
    const profile = w.s.image.profiles[0];
    assert.equal((await createJob(w, { iccid: profile.iccid })).status, 201);
    await runRamSession({ url: w.server.ramUrl, eid: w.s.image.eid, channel: w.s.channel });
    const scripts = w.logs
      .map((l) => JSON.parse(l) as [{ event?: string; script?: number; apdus?: string[] }, string])
      .filter(([o]) => o.event === 'ram-script')
      .map(([o]) => o);
    assert.deepEqual(
      scripts.map((s) => s.script),
      [1, 2, 3],
    );
    // script 1: SELECT ISD, GET DATA 00E0, BF30, FF33
    assert.deepEqual(scripts[0].apdus, ['00a40400', '00ca00e0', '00cabf30', '00caff33']);
    // script 3: STORE DATA under secure messaging (CLA 84)
    assert.deepEqual(scripts[2].apdus, ['84e29100']);
    for (const s of scripts) for (const h of s.apdus ?? []) assert.match(h, /^[0-9a-f]{8}$/);
  });
});
