// The core's part in the key transition (DESIGN.md 6) and its failure edges: the card applied the staged keys but
// the commit was lost, so the MAC failure report makes the HSS answer from the candidate, the UE attaches on the
// one extra challenge and the candidate is promoted (the old keys destroyed); TUAK cards attach too; a challenge expires; an unreachable HSS is a 502.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../src/crypto/index.js';
import { buildCoreApp } from '../../src/core/index.js';
import { HssClient } from '../../src/hss/client/index.js';
import { FixedClock, silentLogger } from '../../src/ports/index.js';
import { resStar } from '../../src/aka/index.js';
import { attach, authenticate, CoreClient, selectUsim } from '../../src/ue/index.js';
import { cardOf, newCard, startNetwork, SNN, type Network } from './support/network.js';

describe('core and the HSS key transition', () => {
  let net: Network;
  before(async () => {
    net = await startNetwork({ seed: 'transition' });
  });
  after(() => net.close());

  it('self-heals: the card applied the staged keys but the commit was lost -> MAC failure -> candidate -> promoted', async () => {
    const ue = newCard('heal');
    await net.provision(ue.image);
    const p = ue.image.profiles[0];
    const fresh = new SeededRandom('new-keys');
    const tx = fresh.randomBytes(16);
    const keys = { algorithm: 'milenage' as const, k: fresh.randomBytes(16), opc: fresh.randomBytes(16) };
    await net.hssClient.stageCandidate(p.imsi, { keyVersion: 2, transactionId: tx, keys });
    // The card applied BF70; BF71 never reached the server, so nothing was committed.
    const applied = cardOf({
      ...ue.image,
      profiles: ue.image.profiles.map((q) => (q === p ? { ...q, keyVersion: 2, keys } : q)),
    });
    const r = await attach(applied.channel, { iccid: p.iccid, coreUrl: net.coreUrl });
    assert.deepEqual([r.state, r.rounds, r.kseafConfirmed], ['attached', ['mac-failure', 'success'], true]);
    const v = await net.hssClient.getSubscriber(p.imsi);
    assert.deepEqual([v.activeVersion, v.candidate], [2, undefined], 'the candidate was promoted');
    const again = await attach(applied.channel, { iccid: p.iccid, coreUrl: net.coreUrl });
    assert.deepEqual([again.state, again.rounds], ['attached', ['success']]);
    // The old keys were destroyed with the promotion: a clone holding them never attaches again.
    const clone = await attach(ue.channel, { iccid: p.iccid, coreUrl: net.coreUrl });
    assert.equal(clone.state, 'rejected');
    assert.equal((await net.hssClient.getSubscriber(p.imsi)).activeVersion, 2);
    const real = await attach(applied.channel, { iccid: p.iccid, coreUrl: net.coreUrl });
    assert.deepEqual([real.state, real.rounds], ['attached', ['success']], 'the real card is not locked out');
  });

  it('a challenge issued before the commit and answered after it with the old keys is rejected (DESIGN.md 6 a)', async () => {
    const ue = newCard('late-answer');
    await net.provision(ue.image);
    const p = ue.image.profiles[0];
    const channel = ue.channel;
    const usim = await selectUsim(channel, p.iccid);
    const core = new CoreClient(net.coreUrl);
    // The clone (holding the keys about to be replaced) asks for a challenge while they are still active...
    const early = await core.attach(usim.imsi, SNN);
    assert.equal(early.state, 'challenge');
    // ...the rotation completes...
    const fresh = new SeededRandom('late-new-keys');
    const tx = fresh.randomBytes(16);
    const keys = { algorithm: 'milenage' as const, k: fresh.randomBytes(16), opc: fresh.randomBytes(16) };
    await net.hssClient.stageCandidate(p.imsi, { keyVersion: 2, transactionId: tx, keys });
    await net.hssClient.commitCandidate(p.imsi, tx);
    // ...and only then does it answer, correctly for the old keys.
    if (early.state !== 'challenge') return;
    const r = await authenticate(channel, early.rand, early.autn);
    assert.equal(r.kind, 'success', 'the old keys verify the early challenge');
    if (r.kind !== 'success') return;
    const answer = await core.respond(early.attachId, { res: resStar(r.ck, r.ik, SNN, early.rand, r.res) });
    assert.equal(answer.state, 'rejected');
    assert.equal((await net.hssClient.getSubscriber(p.imsi)).activeVersion, 2);
  });

  it('attaches a TUAK card', async () => {
    const ue = newCard('tuak', { algorithm: 'tuak', profiles: 1 });
    await net.provision(ue.image);
    const p = ue.image.profiles[0];
    const r = await attach(ue.channel, { iccid: p.iccid, coreUrl: net.coreUrl });
    assert.deepEqual([r.state, r.rounds, r.kseafConfirmed], ['attached', ['success'], true]);
  });

  it('forgets a challenge after its time to live (injected clock)', async () => {
    const ue = newCard('ttl', { profiles: 1 });
    await net.provision(ue.image);
    const clock = new FixedClock(new Date('2030-01-01T00:00:00Z'));
    const app = buildCoreApp({
      hss: net.hssClient,
      clock,
      rng: new SeededRandom('ttl'),
      logger: silentLogger,
      authenticator: net.auth.authenticator,
      challengeTtlMs: 1000,
      keepAliveMs: 0,
    });
    try {
      const ch = await app.inject({
        method: 'POST',
        url: '/core/v1/attach',
        payload: { imsi: ue.image.profiles[0].imsi, servingNetworkName: SNN },
      });
      assert.equal(ch.statusCode, 200);
      clock.advance(1001);
      const late = await app.inject({
        method: 'POST',
        url: `/core/v1/attach/${ch.json().attachId}/response`,
        payload: { failure: 'MAC_FAILURE' },
      });
      assert.equal(late.statusCode, 404);
      assert.equal(late.json().cause, 'CONTEXT_NOT_FOUND');
    } finally {
      await app.close();
    }
  });

  it('answers 502 when the HSS cannot be reached', async () => {
    const app = buildCoreApp({
      hss: new HssClient('http://127.0.0.1:1', { timeoutMs: 2000 }),
      clock: new FixedClock(new Date('2030-01-01T00:00:00Z')),
      rng: new SeededRandom('down'),
      logger: silentLogger,
      authenticator: net.auth.authenticator,
      keepAliveMs: 0,
    });
    try {
      const r = await app.inject({
        method: 'POST',
        url: '/core/v1/attach',
        payload: { imsi: '001010000000001' },
      });
      assert.equal(r.statusCode, 502);
      assert.equal(r.json().cause, 'UPSTREAM_SERVER_ERROR');
      assert.equal(r.headers['content-type'], 'application/problem+json; charset=utf-8');
    } finally {
      await app.close();
    }
  });
});
