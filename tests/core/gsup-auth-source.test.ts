// Issue 12: the core's vectors from a real osmo-hlr over GSUP. The UMTS quintuplet becomes the same 5G HE AV
// ltku's own HSS computes; a UE attaches with it; after osmo-hlr's keys change (SQN reset) the first attach
// resynchronises with AUTS; a clone with the old keys is rejected; unknown IMSI, a dropped connection and the
// result confirmation (fail closed) are each a named refusal.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { milenage, verifyAutn } from '../../src/aka/index.js';
import { SeededRandom } from '../../src/crypto/index.js';
import { AuthDataRefusal, GsupAuthSource, listenCore, type RunningCore } from '../../src/core/index.js';
import { heAkaVector } from '../../src/hss/index.js';
import { FixedClock, silentLogger } from '../../src/ports/index.js';
import { attach } from '../../src/ue/index.js';
import { testAuth } from '../helpers/auth.js';
import { osmoSkip, startTestHlr, type TestHlr } from '../helpers/osmo-hlr.js';
import { cardOf, newCard, SNN, type TestCard } from './support/network.js';

const systemClock = { now: () => new Date() };

describe('core on osmo-hlr over GSUP', { skip: osmoSkip }, () => {
  let hlr: TestHlr;
  let source: GsupAuthSource;
  let core: RunningCore;
  let ue: TestCard;
  before(async () => {
    hlr = await startTestHlr();
    ue = newCard('gsup-ue');
    await hlr.provision(ue.image);
    source = new GsupAuthSource({ gsup: hlr.hlr.gsup, clock: systemClock, logger: silentLogger });
    core = await listenCore({
      hss: source,
      authenticator: testAuth('gsup-core').authenticator,
      clock: systemClock,
      rng: new SeededRandom('gsup-core'),
      logger: silentLogger,
      keepAliveMs: 0,
    });
  });
  after(async () => {
    await core?.close();
    await source?.close();
    await hlr?.close();
  });

  it("turns osmo-hlr's quintuplet into the HE AV ltku's HSS computes for the same keys, RAND and SQN", async () => {
    const p = ue.image.profiles[0];
    const info = await source.generateAuthData(`imsi-${p.imsi}`, { servingNetworkName: SNN });
    const av = info.authenticationVector;
    const fns = milenage(p.keys.k, p.keys.opc);
    const check = verifyAutn(fns, av.rand, av.autn);
    assert.ok(check.macOk, "osmo-hlr's AUTN verifies with the card's keys");
    const ours = heAkaVector(fns, av.rand, check.sqn, check.amf, SNN);
    assert.deepEqual(av.xresStar, ours.xresStar, 'XRES* (TS 33.501 A.4)');
    assert.deepEqual(av.kausf, ours.kausf, 'KAUSF (TS 33.501 A.2)');
    // An unanswered vector: its success may not be confirmed twice, nor after it was answered.
    await source.reportAuthEvent(`imsi-${p.imsi}`, { success: true, rand: av.rand, authType: '5G_AKA' });
    await assert.rejects(
      source.reportAuthEvent(`imsi-${p.imsi}`, { success: true, rand: av.rand, authType: '5G_AKA' }),
      new RegExp(`IMSI ${p.imsi}: a success on a vector osmo-hlr did not issue here`),
    );
  });

  it('attaches a UE with vectors from osmo-hlr', async () => {
    for (const p of ue.image.profiles) {
      const r = await attach(ue.channel, { iccid: p.iccid, coreUrl: core.url, servingNetworkName: SNN });
      assert.deepEqual([r.imsi, r.state, r.kseafConfirmed], [p.imsi, 'attached', true]);
    }
  });

  it("after osmo-hlr's keys change (SQN reset) the first attach resynchronises with AUTS; the old keys fail", async () => {
    const p = ue.image.profiles[0];
    const before = await attach(ue.channel, { iccid: p.iccid, coreUrl: core.url });
    assert.equal(before.state, 'attached');
    // The card got new keys (as a key update does) and osmo-hlr the same ones over CTRL.
    const rng = new SeededRandom('gsup-new-keys');
    const keys = { ...p.keys, k: rng.randomBytes(16), opc: rng.randomBytes(16) };
    const live = ue.card.image.profiles[0];
    const rotated = cardOf({
      ...ue.card.image,
      profiles: [{ ...live, keys }, ...ue.card.image.profiles.slice(1)],
    });
    const clone = cardOf(ue.card.image, 'gsup-clone');
    await hlr.subscribers((s) => s.setAud3g(p.imsi, { algorithm: 'milenage', k: keys.k, opc: keys.opc }));
    assert.equal((await hlr.subscribers((s) => s.readAud3g(p.imsi)))?.sqn, 0n, 'osmo-hlr reset the SQN');
    const first = await attach(rotated.channel, { iccid: p.iccid, coreUrl: core.url });
    assert.equal(first.state, 'attached');
    assert.deepEqual(first.rounds, ['sync-failure', 'success'], 'resynchronised with AUTS');
    const second = await attach(rotated.channel, { iccid: p.iccid, coreUrl: core.url });
    assert.deepEqual(second.rounds, ['success'], 'in step afterwards');
    const old = await attach(clone.channel, { iccid: p.iccid, coreUrl: core.url });
    assert.equal(old.state, 'rejected', 'the old keys no longer authenticate');
    assert.ok(old.rounds.every((r) => r === 'mac-failure'));
  });

  it('rejects an IMSI osmo-hlr does not know, naming it and the GSUP cause', async () => {
    const stranger = newCard('gsup-stranger');
    const imsi = stranger.image.profiles[0].imsi;
    await assert.rejects(
      source.generateAuthData(`imsi-${imsi}`, { servingNetworkName: SNN }),
      (e: unknown) =>
        e instanceof AuthDataRefusal &&
        e.reason === 'unknown-subscriber' &&
        e.message.includes(`IMSI ${imsi}`) &&
        /IMSI_UNKNOWN/.test(e.message),
    );
    const r = await attach(stranger.channel, { iccid: stranger.image.profiles[0].iccid, coreUrl: core.url });
    assert.equal(r.state, 'rejected');
    assert.match(r.reason ?? '', /unknown subscriber/);
  });

  it('refuses a SUPI whose IMSI osmo-hlr could never hold (5 digits) without dropping the GSUP connection', async () => {
    await assert.rejects(
      source.generateAuthData('imsi-00101', { servingNetworkName: SNN }),
      (e: unknown) => e instanceof AuthDataRefusal && e.reason === 'unknown-subscriber',
    );
    const p = ue.image.profiles[0];
    await source.generateAuthData(`imsi-${p.imsi}`, { servingNetworkName: SNN });
  });

  it('refuses a resynchronisation whose AUTS does not verify (osmo-hlr answers IMSI unknown), naming the IMSI', async () => {
    const p = ue.image.profiles[1];
    const av = (await source.generateAuthData(`imsi-${p.imsi}`, { servingNetworkName: SNN }))
      .authenticationVector;
    await assert.rejects(
      source.generateAuthData(`imsi-${p.imsi}`, {
        servingNetworkName: SNN,
        resynchronizationInfo: { rand: av.rand, auts: new Uint8Array(14).fill(4) },
      }),
      (e: unknown) =>
        e instanceof AuthDataRefusal &&
        e.reason === 'rejected' &&
        e.message.includes(`IMSI ${p.imsi}`) &&
        /resynchronisation/.test(e.message),
    );
    // The source still works afterwards.
    await source.generateAuthData(`imsi-${p.imsi}`, { servingNetworkName: SNN });
  });

  it('confirms a success only within the window of its issue (fail closed)', async () => {
    const p = ue.image.profiles[1];
    const clock = new FixedClock(new Date('2030-01-01T00:00:00Z'));
    const timed = new GsupAuthSource({
      gsup: hlr.hlr.gsup,
      clock,
      logger: silentLogger,
      confirmWindowMs: 1000,
      unitName: 'ltku-core-timed', // osmo-hlr routes answers by unit name
    });
    try {
      const av = (await timed.generateAuthData(`imsi-${p.imsi}`, { servingNetworkName: SNN }))
        .authenticationVector;
      clock.advance(1001);
      await assert.rejects(
        timed.reportAuthEvent(`imsi-${p.imsi}`, { success: true, rand: av.rand, authType: '5G_AKA' }),
        /beyond the 1000 ms/,
      );
      const other = (await timed.generateAuthData(`imsi-${p.imsi}`, { servingNetworkName: SNN }))
        .authenticationVector;
      await assert.rejects(
        timed.reportAuthEvent(`imsi-${p.imsi}`, {
          success: true,
          rand: new Uint8Array(16),
          authType: '5G_AKA',
        }),
        /did not issue here/,
      );
      await timed.reportAuthEvent(`imsi-${p.imsi}`, { success: true, rand: other.rand, authType: '5G_AKA' });
    } finally {
      await timed.close();
    }
  });
});

describe('core on GSUP: a dropped connection', () => {
  let server: Server;
  let accepted = 0;
  before(async () => {
    server = createServer((socket) => {
      accepted++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('fails the request naming the IMSI and the endpoint, and reconnects for the next one', async () => {
    const { port } = server.address() as AddressInfo;
    const source = new GsupAuthSource({
      gsup: { host: '127.0.0.1', port },
      clock: systemClock,
      logger: silentLogger,
      timeoutMs: 2000,
    });
    const imsi = '001010000000999';
    for (let i = 1; i <= 2; i++) {
      await assert.rejects(
        source.generateAuthData(`imsi-${imsi}`, { servingNetworkName: SNN }),
        (e: unknown) => {
          assert.ok(!(e instanceof AuthDataRefusal), 'a transport failure is not a refusal');
          assert.match((e as Error).message, new RegExp(`127\\.0\\.0\\.1:${port}.*IMSI ${imsi}`));
          return true;
        },
      );
      assert.equal(accepted, i, 'one new connection per request after a drop');
    }
    await source.close();
  });
});
