import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../src/bytes/index.js';
import {
  CtrlClient,
  decodeCcm,
  decodeCtrl,
  decodeGsupMessage,
  decodeOsmoPayload,
  encodeCcm,
  encodeCtrl,
  encodeGsupMessage,
  encodeIpaFrame,
  encodeOsmoFrame,
  GMM_CAUSE,
  GsupClient,
  IPA_EXT_CTRL,
  IPA_EXT_GSUP,
  IPA_STREAM_CCM,
  IPA_STREAM_OSMO,
  OsmoError,
  OsmoHlrSubscribers,
  sendAuthInfoError,
  sendAuthInfoResult,
  type CtrlMessage,
  type IpaFrame,
  type UmtsAuthTuple,
} from '../../src/osmo/index.js';
import { FakePeer } from './fake-peer.js';

const kindIs = (kind: string, pattern: RegExp) => (e: unknown) =>
  e instanceof OsmoError && e.kind === kind && pattern.test(e.message);

function ctrlOf(frame: IpaFrame): CtrlMessage {
  assert.equal(frame.stream, IPA_STREAM_OSMO);
  const { ext, data } = decodeOsmoPayload(frame.payload);
  assert.equal(ext, IPA_EXT_CTRL);
  return decodeCtrl(data);
}
const ctrlFrame = (m: CtrlMessage) => encodeOsmoFrame(IPA_EXT_CTRL, encodeCtrl(m));
const ctrlText = (s: string) => encodeOsmoFrame(IPA_EXT_CTRL, new TextEncoder().encode(s));

describe('CtrlClient against a scripted peer', () => {
  it('matches replies by id whatever their order; TRAPs and unknown ids are ignored', async () => {
    const peer = await FakePeer.start();
    const ctrl = await CtrlClient.connect(peer.at);
    const a = ctrl.get('a.b');
    const b = ctrl.set('c.d', 'v1');
    const frames = await peer.frameCount(2);
    const [ga, sb] = frames.map(ctrlOf);
    assert.deepEqual(ga, { type: 'GET', id: ga.id, variable: 'a.b' });
    assert.deepEqual(sb, { type: 'SET', id: sb.id, variable: 'c.d', value: 'v1' });
    assert.notEqual(ga.id, sb.id);
    peer.send(ctrlFrame({ type: 'TRAP', id: '0', variable: 'a.b', value: 'trap' }));
    peer.send(ctrlFrame({ type: 'GET_REPLY', id: '999', variable: 'a.b', value: 'stray' }));
    peer.send(ctrlFrame({ type: 'SET_REPLY', id: sb.id, variable: 'c.d', value: 'OK' }));
    peer.send(ctrlFrame({ type: 'GET_REPLY', id: ga.id, variable: 'a.b', value: 'value a' }));
    assert.equal(await b, 'OK');
    assert.equal(await a, 'value a');
    await ctrl.close();
    await peer.close();
  });

  it('ERROR names the variable and reason, never the SET value; ERROR err hits the oldest request', async () => {
    const peer = await FakePeer.start();
    const ctrl = await CtrlClient.connect(peer.at);
    const secret = '000102030405060708090a0b0c0d0e0f';
    const p = ctrl.set('subscriber.by-imsi-001010000000001.aud3g', `milenage,${secret},OPC,${secret}`);
    const [m] = (await peer.frameCount(1)).map(ctrlOf);
    peer.send(ctrlFrame({ type: 'ERROR', id: m.id, reason: 'Invalid KI.' }));
    await assert.rejects(p, (e: unknown) => {
      assert.ok(e instanceof OsmoError);
      assert.equal(e.kind, 'ctrl');
      assert.match(e.message, /CTRL SET subscriber\.by-imsi-001010000000001\.aud3g .* failed: Invalid KI\.$/);
      assert.ok(!e.message.includes(secret));
      return true;
    });
    const q1 = ctrl.get('x.one');
    const q2 = ctrl.get('x.two');
    const [, m1, m2] = (await peer.frameCount(3)).map(ctrlOf);
    peer.send(ctrlText('ERROR err Request malformed'));
    await assert.rejects(q1, kindIs('ctrl', /GET x\.one .*Request malformed/));
    peer.send(ctrlFrame({ type: 'GET_REPLY', id: m2.id, variable: 'x.two', value: '2' }));
    assert.equal(await q2, '2');
    assert.notEqual(m1.id, m2.id);
    await ctrl.close();
    await peer.close();
  });

  it('a reply for another variable or verb is an error, not a wrong value', async () => {
    const peer = await FakePeer.start();
    const ctrl = await CtrlClient.connect(peer.at);
    const p = ctrl.get('x.y');
    const [m] = (await peer.frameCount(1)).map(ctrlOf);
    peer.send(ctrlFrame({ type: 'GET_REPLY', id: m.id, variable: 'x.z', value: '1' }));
    await assert.rejects(p, kindIs('ctrl', /answered by GET_REPLY for x\.z/));
    await ctrl.close();
    await peer.close();
  });

  it('timeout: a request without a reply fails with kind timeout naming the variable', async () => {
    const peer = await FakePeer.start();
    const ctrl = await CtrlClient.connect(peer.at, { timeoutMs: 150 });
    await assert.rejects(
      ctrl.get('slow.var'),
      kindIs('timeout', /CTRL GET slow\.var .*no reply within 150 ms/),
    );
    // a late reply is ignored, the client still works
    const [m] = (await peer.frameCount(1)).map(ctrlOf);
    peer.send(ctrlFrame({ type: 'GET_REPLY', id: m.id, variable: 'slow.var', value: 'late' }));
    const p = ctrl.get('next.var');
    const [, n] = (await peer.frameCount(2)).map(ctrlOf);
    peer.send(ctrlFrame({ type: 'GET_REPLY', id: n.id, variable: 'next.var', value: 'on time' }));
    assert.equal(await p, 'on time');
    await ctrl.close();
    await peer.close();
  });

  it('dropped connection rejects every pending request and later calls, with kind connection', async () => {
    const peer = await FakePeer.start();
    const ctrl = await CtrlClient.connect(peer.at, { timeoutMs: 30_000 });
    const a = ctrl.get('a.a');
    const b = ctrl.set('b.b', '1');
    await peer.frameCount(2);
    peer.socket!.destroy();
    await assert.rejects(a, kindIs('connection', /CTRL GET a\.a .*closed/));
    await assert.rejects(b, kindIs('connection', /CTRL SET b\.b .*closed/));
    await assert.rejects(ctrl.get('c.c'), kindIs('connection', /closed/));
    await peer.close();
  });

  it('a connection dropped inside a frame says so', async () => {
    const peer = await FakePeer.start();
    const ctrl = await CtrlClient.connect(peer.at, { timeoutMs: 30_000 });
    const a = ctrl.get('a.a');
    await peer.frameCount(1);
    peer.send(fromHex('0020ee00474554'));
    await new Promise((r) => setTimeout(r, 20));
    peer.socket!.destroy();
    await assert.rejects(a, kindIs('connection', /closed inside a frame \(7 bytes buffered\)/));
    await peer.close();
  });

  it('a malformed CTRL message from the server fails the connection with a ctrl error', async () => {
    const peer = await FakePeer.start();
    const ctrl = await CtrlClient.connect(peer.at, { timeoutMs: 30_000 });
    const a = ctrl.get('a.a');
    await peer.frameCount(1);
    peer.send(ctrlText('BOGUS 1 a.a x'));
    await assert.rejects(a, kindIs('ctrl', /unknown CTRL message type "BOGUS"/));
    await peer.close();
  });

  it('answers PING with PONG', async () => {
    const peer = await FakePeer.start();
    const ctrl = await CtrlClient.connect(peer.at);
    peer.send(encodeIpaFrame(IPA_STREAM_CCM, encodeCcm({ type: 'ping' })));
    const [f] = await peer.frameCount(1);
    assert.equal(toHex(encodeIpaFrame(f.stream, f.payload)), '0001fe01');
    await ctrl.close();
    await peer.close();
  });

  it('connecting to a closed port is a connection error naming the endpoint', async () => {
    const peer = await FakePeer.start();
    const at = peer.at;
    await peer.close();
    await assert.rejects(
      CtrlClient.connect(at),
      kindIs('connection', new RegExp(`cannot connect CTRL to 127\\.0\\.0\\.1:${at.port}`)),
    );
  });

  it('OsmoHlrSubscribers sends the variables of the osmo-hlr manual and reads info-aud back', async () => {
    const peer = await FakePeer.start();
    const ctrl = await CtrlClient.connect(peer.at);
    const subs = new OsmoHlrSubscribers(ctrl);
    const k = fromHex('c01ffedc1cadaeac1d1f1edacac1ab0a');
    const opc = fromHex('fb2a3d1b360f599abab99db8669f8308');
    const p = subs.setAud3g('901991234567891', { algorithm: 'milenage', k, opc });
    const [m] = (await peer.frameCount(1)).map(ctrlOf);
    assert.deepEqual(m, {
      type: 'SET',
      id: m.id,
      variable: 'subscriber.by-imsi-901991234567891.aud3g',
      value: 'milenage,c01ffedc1cadaeac1d1f1edacac1ab0a,OPC,fb2a3d1b360f599abab99db8669f8308',
    });
    peer.send(
      ctrlFrame({ type: 'SET_REPLY', id: m.id, variable: m.type === 'SET' ? m.variable : '', value: 'OK' }),
    );
    await p;
    const r = subs.readAud3g('901991234567891');
    const [, g] = (await peer.frameCount(2)).map(ctrlOf);
    assert.equal(g.type === 'GET' && g.variable, 'subscriber.by-imsi-901991234567891.info-aud');
    peer.send(
      ctrlText(
        `GET_REPLY ${g.id} subscriber.by-imsi-901991234567891.info-aud \naud3g.algo\tMILENAGE\naud3g.k\tc01ffedc1cadaeac1d1f1edacac1ab0a\naud3g.opc\tfb2a3d1b360f599abab99db8669f8308\naud3g.ind_bitlen\t5\naud3g.sqn\t33`,
      ),
    );
    const aud = await r;
    assert.ok(aud);
    assert.equal(aud.algorithm, 'milenage');
    assert.equal(toHex(aud.k), toHex(k));
    assert.equal(toHex(aud.opc!), toHex(opc));
    assert.equal(aud.sqn, 33n);
    const none = subs.readAud3g('901991234567892');
    const [, , n] = (await peer.frameCount(3)).map(ctrlOf);
    peer.send(ctrlText(`GET_REPLY ${n.id} subscriber.by-imsi-901991234567892.info-aud `));
    assert.equal(await none, undefined);
    await assert.rejects(subs.create('12a'), kindIs('ctrl', /not 6 to 15 decimal digits/));
    await ctrl.close();
    await peer.close();
  });
});

// GSUP: the peer plays osmo-hlr: ID_GET first, then answers.
const ID_GET = fromHex('0011fe04 0108 0107 0102 0103 0104 0105 0101 0100'.replace(/ /g, ''));
const IMSI = '001010000000001';
const tuple = (b: number): UmtsAuthTuple => ({
  rand: new Uint8Array(16).fill(b),
  xres: new Uint8Array(8).fill(b + 1),
  ck: new Uint8Array(16).fill(b + 2),
  ik: new Uint8Array(16).fill(b + 3),
  autn: new Uint8Array(16).fill(b + 4),
});
const gsupFrame = (bytes: Uint8Array) => encodeOsmoFrame(IPA_EXT_GSUP, bytes);

async function hlrPeer(): Promise<FakePeer> {
  return FakePeer.start((_peer, socket) => socket.write(ID_GET));
}

describe('GsupClient against a scripted HLR', () => {
  it('answers ID_GET with ID_RESP carrying the unit name (as unit name and serial number) before any request', async () => {
    const peer = await hlrPeer();
    const gsup = await GsupClient.connect(peer.at, { unitName: 'ltku-test' });
    const [resp] = await peer.frameCount(1);
    assert.equal(resp.stream, IPA_STREAM_CCM);
    const m = decodeCcm(resp.payload);
    assert.equal(m.type, 'id_resp');
    const ids = m.type === 'id_resp' ? m.identities : [];
    assert.deepEqual(
      ids.map((i) => [i.tag, i.value]),
      [
        [8, ''],
        [7, ''],
        [2, ''],
        [3, ''],
        [4, ''],
        [5, ''],
        [1, 'ltku-test'],
        [0, 'ltku-test'],
      ],
    );
    await gsup.close();
    await peer.close();
  });

  it('SendAuthInfo: request bytes, result tuples; answers matched per IMSI in order', async () => {
    const peer = await hlrPeer();
    const gsup = await GsupClient.connect(peer.at);
    const a = gsup.sendAuthInfo(IMSI, { numVectors: 2 });
    const b = gsup.sendAuthInfo('001010000000002');
    const c = gsup.sendAuthInfo(IMSI, { numVectors: 1 });
    const frames = await peer.frameCount(4);
    const requests = frames.slice(1).map((f) => decodeGsupMessage(decodeOsmoPayload(f.payload).data));
    assert.deepEqual(
      requests.map((r) => [r.messageType, r.imsi]),
      [
        [0x08, IMSI],
        [0x08, '001010000000002'],
        [0x08, IMSI],
      ],
    );
    assert.equal(
      toHex(decodeOsmoPayload(frames[1].payload).data),
      '08' + '0108' + '00010100000000f1' + '520102' + '0a0101',
    );
    peer.send(gsupFrame(encodeGsupMessage(sendAuthInfoResult('001010000000002', [tuple(0x50)]))));
    peer.send(gsupFrame(encodeGsupMessage(sendAuthInfoResult(IMSI, [tuple(0x10), tuple(0x20)]))));
    peer.send(gsupFrame(encodeGsupMessage(sendAuthInfoResult(IMSI, [tuple(0x30)]))));
    assert.deepEqual(
      (await a).map((t) => t.rand[0]),
      [0x10, 0x20],
    );
    assert.deepEqual(
      (await b).map((t) => t.rand[0]),
      [0x50],
    );
    assert.deepEqual(
      (await c).map((t) => toHex(t.autn)),
      [toHex(tuple(0x30).autn)],
    );
    await gsup.close();
    await peer.close();
  });

  it('SendAuthInfo Error: OsmoError gsup with .cause, the cause name and the IMSI', async () => {
    const peer = await hlrPeer();
    const gsup = await GsupClient.connect(peer.at);
    const p = gsup.sendAuthInfo(IMSI);
    await peer.frameCount(2);
    peer.send(gsupFrame(encodeGsupMessage(sendAuthInfoError(IMSI, GMM_CAUSE.IMSI_UNKNOWN))));
    await assert.rejects(p, (e: unknown) => {
      assert.ok(e instanceof OsmoError);
      assert.equal(e.kind, 'gsup');
      assert.equal(e.cause, 2);
      assert.match(e.message, /IMSI 001010000000001 .*IMSI_UNKNOWN \(0x02\)/);
      return true;
    });
    await gsup.close();
    await peer.close();
  });

  it('unknown message type from the HLR fails the connection with a gsup error naming the type', async () => {
    const peer = await hlrPeer();
    const gsup = await GsupClient.connect(peer.at);
    const p = gsup.sendAuthInfo(IMSI);
    await peer.frameCount(2);
    peer.send(gsupFrame(fromHex('7f010800010100000000f1')));
    await assert.rejects(p, kindIs('gsup', /IMSI 001010000000001: unknown GSUP message type 0x7f/));
    await assert.rejects(gsup.sendAuthInfo(IMSI), kindIs('gsup', /unknown GSUP message type/));
    await peer.close();
  });

  it('bad IE lengths in an answer fail the connection with a gsup error', async () => {
    const peer = await hlrPeer();
    const gsup = await GsupClient.connect(peer.at);
    const p = gsup.sendAuthInfo(IMSI);
    await peer.frameCount(2);
    peer.send(gsupFrame(fromHex('0a010800010100000000f10362201001')));
    await assert.rejects(p, kindIs('gsup', /IE 0x03 declares 98 bytes but 3 remain/));
    await peer.close();
  });

  it('a wrong-length tuple rejects that request only', async () => {
    const peer = await hlrPeer();
    const gsup = await GsupClient.connect(peer.at);
    const p = gsup.sendAuthInfo(IMSI);
    await peer.frameCount(2);
    peer.send(gsupFrame(fromHex('0a010800010100000000f1' + '0312' + '2010' + '00'.repeat(16))));
    await assert.rejects(p, kindIs('gsup', /auth tuple without RES/));
    const q = gsup.sendAuthInfo(IMSI);
    await peer.frameCount(3);
    peer.send(gsupFrame(encodeGsupMessage(sendAuthInfoResult(IMSI, [tuple(1)]))));
    assert.equal((await q).length, 1);
    await gsup.close();
    await peer.close();
  });

  it('timeout: kind timeout naming the IMSI; the connection is closed as answers can no longer be matched', async () => {
    const peer = await hlrPeer();
    const gsup = await GsupClient.connect(peer.at, { timeoutMs: 150 });
    await assert.rejects(
      gsup.sendAuthInfo(IMSI),
      kindIs('timeout', /SendAuthInfo for IMSI 001010000000001 .*no answer within 150 ms/),
    );
    await assert.rejects(
      gsup.sendAuthInfo(IMSI),
      kindIs('connection', /closed by the client after a SendAuthInfo timeout/),
    );
    await peer.close();
  });

  it('dropped connection rejects pending requests with kind connection', async () => {
    const peer = await hlrPeer();
    const gsup = await GsupClient.connect(peer.at, { timeoutMs: 30_000 });
    const a = gsup.sendAuthInfo(IMSI);
    const b = gsup.sendAuthInfo('001010000000002');
    await peer.frameCount(3);
    peer.socket!.destroy();
    await assert.rejects(a, kindIs('connection', /IMSI 001010000000001: GSUP connection to .* closed/));
    await assert.rejects(b, kindIs('connection', /IMSI 001010000000002/));
    await peer.close();
  });

  it('a server that never sends ID_GET makes connect time out, one that hangs up makes it fail', async () => {
    const silent = await FakePeer.start();
    await assert.rejects(
      GsupClient.connect(silent.at, { timeoutMs: 150 }),
      kindIs('timeout', /no IPA ID_GET within 150 ms/),
    );
    await silent.close();
    const rude = await FakePeer.start((_p, socket) => socket.destroy());
    await assert.rejects(GsupClient.connect(rude.at, { timeoutMs: 5000 }), kindIs('connection', /closed/));
    await rude.close();
  });

  it('a bad IMSI is refused before anything is sent', async () => {
    const peer = await hlrPeer();
    const gsup = await GsupClient.connect(peer.at);
    await assert.rejects(gsup.sendAuthInfo('00101'), kindIs('gsup', /not 6 to 15 decimal digits/));
    await gsup.close();
    await peer.close();
  });
});
