// Attach end to end with real parts in-process: HSS (SQLite), core, a personalised virtual card and the UE
// agent; the clone, the SQN pushed ahead, a wrong RES*, detach, the push channel and bad bodies; DESIGN.md 7:
// push for provisioners, UE state for operators, detach and the event stream only with the attach's token.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { toHex } from '../../src/bytes/index.js';
import { SeededRandom } from '../../src/crypto/index.js';
import { UsimSqnArray, verifyAutn, milenage } from '../../src/aka/index.js';
import { attach, detach, CoreClient, type PushEvent } from '../../src/ue/index.js';
import { cardOf, newCard, startNetwork, SNN, type Network, type TestCard } from './support/network.js';

async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
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
  /** GET /core/v1/ues/{imsi} as the operator. */
  const ueState = async (imsi: string) =>
    (await (
      await fetch(`${net.coreUrl}/core/v1/ues/${imsi}`, { headers: net.auth.bearer('operator') })
    ).json()) as Record<string, string>;
  const asProvisioner = () => net.auth.bearer('provisioner');

  it('attaches each profile of a card made by personaliseCard and imported into the HSS', async () => {
    for (const p of ue.image.profiles) {
      const r = await attach(ue.channel, { iccid: p.iccid, coreUrl: net.coreUrl, servingNetworkName: SNN });
      assert.deepEqual(
        { imsi: r.imsi, state: r.state, rounds: r.rounds, kseafConfirmed: r.kseafConfirmed },
        { imsi: p.imsi, state: 'attached', rounds: ['success'], kseafConfirmed: true },
      );
      assert.match(r.attachToken ?? '', /^[0-9a-f]{32}$/);
      const state = await ueState(p.imsi);
      assert.equal(state.state, 'attached');
      assert.equal('attachToken' in state, false, 'the UE state never shows the token');
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
    const { attachToken } = await attach(ue.channel, { iccid: p.iccid, coreUrl: net.coreUrl });
    const d = await detach(ue.channel, { iccid: p.iccid, coreUrl: net.coreUrl, attachToken: attachToken! });
    assert.deepEqual(d, { iccid: p.iccid, imsi: p.imsi, state: 'detached' });
    assert.deepEqual(await ueState(p.imsi), { imsi: p.imsi, state: 'detached' });
  });

  it('pushes to an attached UE over server-sent events; 404 when not attached; detach ends the stream', async () => {
    const p = ue.image.profiles[1];
    const fresh = newCard('ue-push');
    await net.provision(fresh.image);
    const q = fresh.image.profiles[0];
    const notAttached = await post(
      `${net.coreUrl}/core/v1/ues/${q.imsi}/push`,
      { type: 'key-update-pending', url: 'http://server.example/ram' },
      asProvisioner(),
    );
    assert.equal(notAttached.status, 404);
    const attached = await attach(ue.channel, { iccid: p.iccid, coreUrl: net.coreUrl });
    assert.equal(attached.state, 'attached');
    const events: PushEvent[] = [];
    let got!: () => void;
    const first = new Promise<void>((resolve) => (got = resolve));
    const stream = new CoreClient(net.coreUrl).events(p.imsi, attached.attachToken!, (e) => {
      events.push(e);
      got();
    });
    const pushed = await post(
      `${net.coreUrl}/core/v1/ues/${p.imsi}/push`,
      { type: 'key-update-pending', url: 'http://server.example/ram' },
      asProvisioner(),
    );
    assert.equal(pushed.status, 202);
    await first;
    assert.deepEqual(events, [
      { type: 'key-update-pending', data: { type: 'key-update-pending', url: 'http://server.example/ram' } },
    ]);
    await detach(ue.channel, { iccid: p.iccid, coreUrl: net.coreUrl, attachToken: attached.attachToken! });
    await stream; // the core ended it
    const refused = await fetch(`${net.coreUrl}/core/v1/ues/${p.imsi}/events`, {
      headers: { authorization: `Bearer ${attached.attachToken}` },
    });
    assert.equal(refused.status, 403, 'the token of an ended attach opens nothing');
    await refused.body?.cancel();
  });

  it('keeps a notice pushed while no stream is open and delivers it when the UE connects', async () => {
    const p = ue.image.profiles[0];
    const attached = await attach(ue.channel, { iccid: p.iccid, coreUrl: net.coreUrl });
    assert.equal(attached.state, 'attached');
    const pushed = await post(
      `${net.coreUrl}/core/v1/ues/${p.imsi}/push`,
      { type: 'key-update-pending', url: 'https://server.example/ram/1' },
      asProvisioner(),
    );
    assert.deepEqual([pushed.status, pushed.json], [202, { delivered: false, streams: 0 }]);
    const abort = new AbortController();
    const received = await new Promise<PushEvent>((resolve, reject) => {
      new CoreClient(net.coreUrl).events(p.imsi, attached.attachToken!, resolve, abort.signal).catch(reject);
    });
    abort.abort();
    assert.deepEqual(received.data, { type: 'key-update-pending', url: 'https://server.example/ram/1' });
    await detach(ue.channel, { iccid: p.iccid, coreUrl: net.coreUrl, attachToken: attached.attachToken! });
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
      const r = await post(`${base}${path}`, body, asProvisioner());
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
  it('DESIGN.md 7: push needs a provisioner, UE state an operator (401 without credentials, 403 other roles)', async () => {
    const p = ue.image.profiles[0];
    const attached = await attach(ue.channel, { iccid: p.iccid, coreUrl: net.coreUrl });
    assert.equal(attached.state, 'attached');
    const push = { type: 'key-update-pending', url: 'http://server.example/ram' };
    const none = await post(`${net.coreUrl}/core/v1/ues/${p.imsi}/push`, push);
    assert.equal(none.status, 401);
    assert.equal(none.json.cause, 'UNAUTHENTICATED');
    for (const role of ['operator', 'core']) {
      const wrong = await post(`${net.coreUrl}/core/v1/ues/${p.imsi}/push`, push, net.auth.bearer(role));
      assert.equal(wrong.status, 403, role);
    }
    const ok = await post(`${net.coreUrl}/core/v1/ues/${p.imsi}/push`, push, asProvisioner());
    assert.equal(ok.status, 202);
    const get = (headers: Record<string, string>) =>
      fetch(`${net.coreUrl}/core/v1/ues/${p.imsi}`, { headers }).then(async (r) => {
        await r.arrayBuffer();
        return r;
      });
    const anonymous = await get({});
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer realm="ltku"');
    for (const role of ['provisioner', 'core']) assert.equal((await get(net.auth.bearer(role))).status, 403);
    assert.equal((await get(net.auth.bearer('operator'))).status, 200);
    await detach(ue.channel, { iccid: p.iccid, coreUrl: net.coreUrl, attachToken: attached.attachToken! });
  });

  it('DESIGN.md 7: detach only with the token of the current attach (else 403, the UE stays attached)', async () => {
    const p = ue.image.profiles[1];
    const first = await attach(ue.channel, { iccid: p.iccid, coreUrl: net.coreUrl });
    const second = await attach(ue.channel, { iccid: p.iccid, coreUrl: net.coreUrl });
    assert.equal(second.state, 'attached');
    assert.notEqual(first.attachToken, second.attachToken, 'each attach has its own token');
    const tries: [string, unknown][] = [
      ['no token', { imsi: p.imsi }],
      ['wrong token', { imsi: p.imsi, attachToken: 'ab'.repeat(16) }],
      ["the previous attach's token", { imsi: p.imsi, attachToken: first.attachToken }],
      ['malformed token', { imsi: p.imsi, attachToken: 'not-hex' }],
      ['a principal token as attach token', { imsi: p.imsi, attachToken: net.auth.token('operator') }],
    ];
    for (const [what, body] of tries) {
      const r = await post(`${net.coreUrl}/core/v1/detach`, body);
      assert.equal(r.status, 403, what);
      assert.equal(r.json.cause, 'ATTACH_TOKEN_MISMATCH');
      assert.equal((await ueState(p.imsi)).state, 'attached', `${what}: the UE stays attached`);
    }
    // Another UE's token does not detach this one.
    const other = ue.image.profiles[0];
    const otherAttach = await attach(ue.channel, { iccid: other.iccid, coreUrl: net.coreUrl });
    const cross = await post(`${net.coreUrl}/core/v1/detach`, {
      imsi: p.imsi,
      attachToken: otherAttach.attachToken,
    });
    assert.equal(cross.status, 403);
    const events = (token?: string) =>
      fetch(`${net.coreUrl}/core/v1/ues/${p.imsi}/events`, {
        headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      }).then(async (r) => {
        await r.body?.cancel();
        return r;
      });
    const noToken = await events();
    assert.equal(noToken.status, 401);
    assert.equal(noToken.headers.get('www-authenticate'), 'Bearer realm="ltku"');
    assert.equal((await events(first.attachToken)).status, 403);
    assert.equal((await events(otherAttach.attachToken)).status, 403);
    const ok = await post(`${net.coreUrl}/core/v1/detach`, { imsi: p.imsi, attachToken: second.attachToken });
    assert.deepEqual([ok.status, ok.json], [200, { state: 'detached' }]);
    assert.equal((await ueState(p.imsi)).state, 'detached');
    const replay = await post(`${net.coreUrl}/core/v1/detach`, {
      imsi: p.imsi,
      attachToken: second.attachToken,
    });
    assert.equal(replay.status, 403, 'a token ends its attach once');
    await detach(ue.channel, {
      iccid: other.iccid,
      coreUrl: net.coreUrl,
      attachToken: otherAttach.attachToken!,
    });
  });
});
