// Issue 12: the osmo-hlr HSS role's refusals and failures, each naming the subscriber and the cause: CTRL ERROR
// replies (an IMSI osmo-hlr does not know), a connection dropped or refused, TUAK (which osmo-hlr's CTRL cannot
// hold) refused at staging, before any key reaches the card; abort has nothing to undo.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { HssRoleError, OsmoHlrHss, type KeyTransition } from '../../src/server/index.js';
import { osmoSkip, startTestHlr, type TestHlr } from '../helpers/osmo-hlr.js';

const IMSI = '001010123456789';

function transition(algorithm: 'milenage' | 'tuak' = 'milenage'): KeyTransition {
  return {
    keyVersion: 2,
    transactionId: new Uint8Array(16).fill(1),
    algorithm,
    openKeys: () => ({
      k: new Uint8Array(16).fill(0x11),
      opc: new Uint8Array(algorithm === 'tuak' ? 32 : 16).fill(0x22),
    }),
  };
}

function isRoleError(kind: HssRoleError['kind'], ...mentions: RegExp[]) {
  return (e: unknown) => {
    assert.ok(e instanceof HssRoleError, `an HssRoleError, got ${String(e)}`);
    assert.equal(e.kind, kind, e.message);
    for (const m of mentions) assert.match(e.message, m);
    return true;
  };
}

describe('osmo-hlr HSS role: a real osmo-hlr refuses', { skip: osmoSkip }, () => {
  let hlr: TestHlr;
  let hss: OsmoHlrHss;
  before(async () => {
    hlr = await startTestHlr();
    hss = new OsmoHlrHss({ ctrl: hlr.hlr.ctrl });
  });
  after(() => hlr?.close());

  it('an unknown IMSI (CTRL ERROR "No such subscriber"): read, stage and commit name it', async () => {
    await assert.rejects(hss.subscriber(IMSI), isRoleError('unknown-subscriber', new RegExp(IMSI)));
    await assert.rejects(hss.stage(IMSI, transition()), isRoleError('unknown-subscriber', new RegExp(IMSI)));
    await assert.rejects(
      hss.commit(IMSI, transition()),
      isRoleError('unknown-subscriber', new RegExp(IMSI), /writing the new keys/),
    );
  });

  it('stage checks the subscriber and writes nothing; commit writes and reads back; abort changes nothing', async () => {
    await hlr.subscribers((s) => s.create(IMSI));
    assert.deepEqual(await hss.subscriber(IMSI), { imsi: IMSI, algorithm: null, activeVersion: null });
    await hss.stage(IMSI, transition());
    assert.equal(await hlr.subscribers((s) => s.readAud3g(IMSI)), undefined, 'no keys after staging');
    await hss.commit(IMSI, transition());
    const keys = await hlr.subscribers((s) => s.readAud3g(IMSI));
    assert.deepEqual([keys?.k, keys?.opc], [new Uint8Array(16).fill(0x11), new Uint8Array(16).fill(0x22)]);
    await hss.abort(IMSI, new Uint8Array(16).fill(1));
    assert.deepEqual((await hlr.subscribers((s) => s.readAud3g(IMSI)))?.k, new Uint8Array(16).fill(0x11));
    assert.deepEqual(await hss.listCandidates(), []);
  });

  it('refuses TUAK at staging (osmo-hlr CTRL takes a 16-byte OPc only), before BF70 could carry it', async () => {
    await assert.rejects(
      hss.stage(IMSI, transition('tuak')),
      isRoleError('unsupported', new RegExp(IMSI), /Milenage/),
    );
  });
});

describe('osmo-hlr HSS role: transport failures', () => {
  let dropper: Server;
  before(async () => {
    dropper = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => dropper.listen(0, '127.0.0.1', resolve));
  });
  after(() => new Promise<void>((resolve) => dropper.close(() => resolve())));

  it('a dropped connection fails the operation naming the IMSI and the endpoint', async () => {
    const { port } = dropper.address() as AddressInfo;
    const hss = new OsmoHlrHss({ ctrl: { host: '127.0.0.1', port }, timeoutMs: 2000 });
    await assert.rejects(
      hss.commit(IMSI, transition()),
      isRoleError('failed', new RegExp(`IMSI ${IMSI}`), new RegExp(`127\\.0\\.0\\.1:${port}`)),
    );
    await assert.rejects(hss.stage(IMSI, transition()), isRoleError('failed', new RegExp(`IMSI ${IMSI}`)));
  });

  it('a refused connection too; and a value that is not an IMSI never reaches CTRL', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const hss = new OsmoHlrHss({ ctrl: { host: '127.0.0.1', port }, timeoutMs: 2000 });
    await assert.rejects(hss.subscriber(IMSI), isRoleError('failed', new RegExp(`IMSI ${IMSI}`)));
    await assert.rejects(hss.subscriber('001 01.aud3g'), isRoleError('failed', /is not an IMSI/));
  });
});
