// Attach end to end with real parts in-process: HSS (SQLite), core, a personalised virtual card and the UE
// agent; the clone, the SQN pushed ahead, a wrong RES*, detach, the push channel and bad bodies.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { toHex } from '../../src/bytes/index.js';
import { SeededRandom } from '../../src/crypto/index.js';
import { UsimSqnArray, verifyAutn, milenage } from '../../src/aka/index.js';
import { attach, detach, CoreClient, type PushEvent } from '../../src/ue/index.js';
import { cardOf, newCard, startNetwork, SNN, type Network, type TestCard } from './support/network.js';

async function post(url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}

describe('core attach on SQLite', () => {
  let net: Network;
  let ue: TestCard;
  before(async () => {
    net = await startNetwork({ seed: 'attach' });
    ue = newCard('ue-1');
    await net.provision(ue.image);
  });
  after(() => net.close());

  it('attaches each profile of a card made by personaliseCard and imported into the HSS', async () => {
    for (const p of ue.image.profiles) {
      const r = await attach(ue.channel, { iccid: p.iccid, coreUrl: net.coreUrl, servingNetworkName: SNN });
      assert.deepEqual(
        { imsi: r.imsi, state: r.state, rounds: r.rounds, kseafConfirmed: r.kseafConfirmed },
        { imsi: p.imsi, state: 'attached', rounds: ['success'], kseafConfirmed: true },
      );
      const state = (await (await fetch(`${net.coreUrl}/core/v1/ues/${p.imsi}`)).json()) as Record<
        string,
        string
      >;
      assert.equal(state.state, 'attached');
      assert.match(state.attachedAt, /^\d{4}-\d\d-\d\dT/);
    }
    // The card stored the SQN it accepted, the HSS the one it handed out
    const view = await net.hssClient.getSubscriber(ue.image.profiles[0].imsi);
    assert.equal(UsimSqnArray.fromJSON(ue.card.image.profiles[0].sqn).sqnMs(), view.sqn);
  });

  it('rejects a clone with other keys: MAC failure, one more challenge, MAC failure, 403', async () => {
    const p = ue.image.profiles[1];
    const other = new SeededRandom('clone-keys');
    const cloneImage = {
      ...ue.image,
      profiles: [{ ...p, keys: { ...p.keys, k: other.randomBytes(16), opc: other.randomBytes(16) } }],
    };
    const clone = cardOf(cloneImage);
    const r = await attach(clone.channel, { iccid: p.iccid, coreUrl: net.coreUrl });
    assert.equal(r.state, 'rejected');
    assert.deepEqual(r.rounds, ['mac-failure', 'mac-failure']);
    assert.equal(r.reason, 'MAC failure');
    const audit = await net.hssClient.getSubscriber(p.imsi);
    assert.equal(audit.activeVersion, 1);
  });

  it('resynchronises when the card SQN is ahead (AUTS), then attaches', async () => {
    const fresh = newCard('ue-sqn');
    await net.provision(fresh.image);
    const p = fresh.image.profiles[0];
    const ahead = new UsimSqnArray();
    for (let ind = 0n; ind < 32n; ind++) ahead.accept((5000n << 5n) | ind);
    const pushed = cardOf({ ...fresh.image, profiles: [{ ...p, sqn: ahead.toJSON() }] });
    const r = await attach(pushed.channel, { iccid: p.iccid, coreUrl: net.coreUrl });
    assert.equal(r.state, 'attached');
    assert.deepEqual(r.rounds, ['sync-failure', 'success']);
    const view = await net.hssClient.getSubscriber(p.imsi);
    assert.ok(view.sqn >> 5n > 5000n, `HSS SQN ${view.sqn} moved past the card's`);
  });

  it('rejects a wrong RES* (and the challenge cannot be answered twice)', async () => {
    const p = ue.image.profiles[0];
    const ch = await post(`${net.coreUrl}/core/v1/attach`, { imsi: p.imsi, servingNetworkName: SNN });
    assert.equal(ch.status, 200);
    assert.equal(ch.json.state, 'challenge');
    // The MAC verifies with the card's keys, so the challenge is genuine; the answer is not.
    const fns = milenage(p.keys.k, p.keys.opc);
    const check = verifyAutn(
      fns,
      Buffer.from(String(ch.json.rand), 'hex'),
      Buffer.from(String(ch.json.autn), 'hex'),
    );
    assert.equal(check.macOk, true);
    const url = `${net.coreUrl}/core/v1/attach/${String(ch.json.attachId)}/response`;
    const wrong = await post(url, { res: toHex(new SeededRandom('wrong').randomBytes(16)) });
    assert.equal(wrong.status, 403);
    assert.deepEqual(wrong.json, { state: 'rejected', reason: 'RES* does not match' });
    const again = await post(url, { res: toHex(new SeededRandom('wrong').randomBytes(16)) });
    assert.equal(again.status, 404);
  });

  it('detaches', async () => {
    const p = ue.image.profiles[0];
    await attach(ue.channel, { iccid: p.iccid, coreUrl: net.coreUrl });
    const d = await detach(ue.channel, { iccid: p.iccid, coreUrl: net.coreUrl });
    assert.deepEqual(d, { iccid: p.iccid, imsi: p.imsi, state: 'detached' });
    const state = (await (await fetch(`${net.coreUrl}/core/v1/ues/${p.imsi}`)).json()) as Record<
      string,
      string
    >;
    assert.deepEqual(state, { imsi: p.imsi, state: 'detached' });
  });

  it('pushes to an attached UE over server-sent events; 404 when not attached; detach ends the stream', async () => {
    const p = ue.image.profiles[1];
    await detach(ue.channel, { iccid: p.iccid, coreUrl: net.coreUrl });
    const notAttached = await post(`${net.coreUrl}/core/v1/ues/${p.imsi}/push`, {
      type: 'key-update-pending',
      url: 'http://server.example/ram',
    });
    assert.equal(notAttached.status, 404);
    assert.equal((await attach(ue.channel, { iccid: p.iccid, coreUrl: net.coreUrl })).state, 'attached');
    const events: PushEvent[] = [];
    let got!: () => void;
    const first = new Promise<void>((resolve) => (got = resolve));
    const stream = new CoreClient(net.coreUrl).events(p.imsi, (e) => {
      events.push(e);
      got();
    });
    const pushed = await post(`${net.coreUrl}/core/v1/ues/${p.imsi}/push`, {
      type: 'key-update-pending',
      url: 'http://server.example/ram',
    });
    assert.equal(pushed.status, 202);
    await first;
    assert.deepEqual(events, [
      { type: 'key-update-pending', data: { type: 'key-update-pending', url: 'http://server.example/ram' } },
    ]);
    await detach(ue.channel, { iccid: p.iccid, coreUrl: net.coreUrl });
    await stream; // the core ended it
    const refused = await fetch(`${net.coreUrl}/core/v1/ues/${p.imsi}/events`);
    assert.equal(refused.status, 404);
    await refused.body?.cancel();
  });

  it('keeps a notice pushed while no stream is open and delivers it when the UE connects', async () => {
    const p = ue.image.profiles[0];
    assert.equal((await attach(ue.channel, { iccid: p.iccid, coreUrl: net.coreUrl })).state, 'attached');
    const pushed = await post(`${net.coreUrl}/core/v1/ues/${p.imsi}/push`, {
      type: 'key-update-pending',
      url: 'https://server.example/ram/1',
    });
    assert.deepEqual([pushed.status, pushed.json], [202, { delivered: false, streams: 0 }]);
    const abort = new AbortController();
    const received = await new Promise<PushEvent>((resolve, reject) => {
      new CoreClient(net.coreUrl).events(p.imsi, resolve, abort.signal).catch(reject);
    });
    abort.abort();
    assert.deepEqual(received.data, { type: 'key-update-pending', url: 'https://server.example/ram/1' });
    await detach(ue.channel, { iccid: p.iccid, coreUrl: net.coreUrl });
  });

  it('answers bad bodies with 400 naming the field', async () => {
    const base = net.coreUrl;
    const cases: [string, unknown, string][] = [
      ['/core/v1/attach', { imsi: '123' }, 'body.imsi'],
      ['/core/v1/attach', {}, 'body.imsi'],
      ['/core/v1/attach', { imsi: '001010000000001', servingNetworkName: 'x' }, 'body.servingNetworkName'],
      ['/core/v1/attach', { imsi: '001010000000001', extra: 1 }, 'body.extra'],
      ['/core/v1/attach', '{"imsi":', 'body'],
      ['/core/v1/detach', { imsi: 12 }, 'body.imsi'],
      [`/core/v1/attach/${'0'.repeat(32)}/response`, { res: 'zz' }, 'body.res'],
      [`/core/v1/attach/${'0'.repeat(32)}/response`, { res: '00' }, 'body.res'],
      [`/core/v1/attach/${'0'.repeat(32)}/response`, {}, 'body.res'],
      [`/core/v1/attach/${'0'.repeat(32)}/response`, { failure: 'SYNCH_FAILURE' }, 'body.auts'],
      [`/core/v1/attach/${'0'.repeat(32)}/response`, { failure: 'OTHER' }, 'body.failure'],
      ['/core/v1/attach/nothex/response', { failure: 'MAC_FAILURE' }, 'attachId'],
      [`/core/v1/ues/${'1'.repeat(15)}/push`, { type: 'key-update-pending', url: 'nope' }, 'body.url'],
      [`/core/v1/ues/${'1'.repeat(15)}/push`, { type: 'x', url: 'http://a/' }, 'body.type'],
    ];
    for (const [path, body, field] of cases) {
      const r = await post(`${base}${path}`, body);
      assert.equal(r.status, 400, `${path} ${JSON.stringify(body)}`);
      assert.equal((r.json.invalidParams as { param: string }[])[0].param, field, JSON.stringify(r.json));
      assert.match(String(r.json.detail), new RegExp(`^${field.replace('.', '\\.')}: `));
    }
    const unknownChallenge = await post(`${base}/core/v1/attach/${'0'.repeat(32)}/response`, {
      failure: 'MAC_FAILURE',
    });
    assert.equal(unknownChallenge.status, 404);
  });

  it('rejects an IMSI the HSS does not know', async () => {
    const r = await post(`${net.coreUrl}/core/v1/attach`, { imsi: '001019999999999' });
    assert.deepEqual(
      { status: r.status, ...r.json },
      { status: 403, state: 'rejected', reason: 'unknown subscriber' },
    );
  });
});
