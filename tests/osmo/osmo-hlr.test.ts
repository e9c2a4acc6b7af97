// Live: a real osmo-hlr (1.5) started by startOsmoHlr in a temp dir, driven over CTRL and GSUP, its vectors
// checked against ltku's own Milenage and USIM SQN model. Skipped when osmo-hlr is not installed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../../src/bytes/index.js';
import {
  buildAuts,
  c2,
  c3,
  generateVector,
  IND_BITS,
  milenage,
  nextSqn,
  sqnAfterResync,
  UsimSqnArray,
  verifyAutn,
} from '../../src/aka/index.js';
import {
  CtrlClient,
  GMM_CAUSE,
  GsupClient,
  OsmoError,
  OsmoHlrSubscribers,
  osmoHlrInstalled,
  startOsmoHlr,
  type OsmoHlr,
  type UmtsAuthTuple,
} from '../../src/osmo/index.js';

const skip = osmoHlrInstalled() ? false : 'osmo-hlr is not installed (apt-get install osmo-hlr)';
const u8 = (n: number) => new Uint8Array(randomBytes(n));

describe('osmo-hlr in the loop', { skip }, () => {
  let dir: string;
  let hlr: OsmoHlr;
  let ctrl: CtrlClient;
  let gsup: GsupClient;
  let subs: OsmoHlrSubscribers;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ltku-osmo-hlr-'));
    hlr = await startOsmoHlr({ dir });
    ctrl = await CtrlClient.connect(hlr.ctrl);
    gsup = await GsupClient.connect(hlr.gsup, { unitName: 'ltku-test-msc' });
    subs = new OsmoHlrSubscribers(ctrl);
  });

  after(async () => {
    await gsup?.close();
    await ctrl?.close();
    await hlr?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('binds GSUP 4222, CTRL 4259 and VTY 4258 to one loopback address other than 127.0.0.1', () => {
    assert.match(hlr.ctrl.host, /^127\.0\.0\.(?!1$)\d+$/);
    assert.deepEqual([hlr.gsup.port, hlr.ctrl.port, hlr.vty.port], [4222, 4259, 4258]);
    assert.equal(hlr.gsup.host, hlr.ctrl.host);
    assert.equal(hlr.dir, dir);
  });

  it('creates a subscriber, sets Milenage K/OPc over CTRL and reads them back', async () => {
    const imsi = '001010000000101';
    const k = u8(16);
    const opc = u8(16);
    await subs.create(imsi);
    assert.equal(await subs.readAud3g(imsi), undefined);
    await subs.setAud3g(imsi, { algorithm: 'milenage', k, opc });
    const aud = await subs.readAud3g(imsi);
    assert.ok(aud);
    assert.equal(aud.algorithm, 'milenage');
    assert.equal(toHex(aud.k), toHex(k));
    assert.equal(toHex(aud.opc!), toHex(opc));
    assert.equal(aud.sqn, 0n);
    await assert.rejects(
      subs.create(imsi),
      (e: unknown) => e instanceof OsmoError && /already exists/.test(e.message),
    );
  });

  it("SendAuthInfo tuples equal ltku's Milenage for that K/OPc/RAND and SQN; SQN advances SEQ by one per vector", async () => {
    const imsi = '001010000000102';
    const k = u8(16);
    const opc = u8(16);
    await subs.create(imsi);
    await subs.setAud3g(imsi, { algorithm: 'milenage', k, opc });
    const tuples = await gsup.sendAuthInfo(imsi, { numVectors: 3 });
    assert.equal(tuples.length, 3);
    const fns = milenage(k, opc);
    let previous = 0n;
    let ind: number | undefined;
    for (const t of tuples) {
      const check = verifyAutn(fns, t.rand, t.autn);
      assert.ok(check.macOk, 'MAC-A verifies with our Milenage');
      ind ??= Number(check.sqn & ((1n << BigInt(IND_BITS)) - 1n));
      assert.equal(check.sqn, nextSqn(previous, IND_BITS, ind), 'SQN = SEQ+1 || IND');
      previous = check.sqn;
      const expected = generateVector(fns, t.rand, check.sqn, check.amf);
      assert.equal(toHex(t.xres), toHex(expected.xres));
      assert.equal(toHex(t.ck), toHex(expected.ck));
      assert.equal(toHex(t.ik), toHex(expected.ik));
      assert.equal(toHex(t.autn), toHex(expected.autn));
      // 3G-only subscriber: osmo-hlr adds the GSM values by the TS 33.102 6.8.1.2 conversions
      assert.equal(toHex(t.sres!), toHex(c2(t.xres)));
      assert.equal(toHex(t.kc!), toHex(c3(t.ck, t.ik)));
    }
    assert.equal((await subs.readAud3g(imsi))?.sqn, previous, 'osmo-hlr stored the last SQN it used');
    assert.equal(new Set(tuples.map((t) => toHex(t.rand))).size, 3, 'fresh RANDs');
  });

  it("a resync with AUTS from ltku's USIM model is accepted and the next AUTN carries the resynchronised SQN", async () => {
    const imsi = '001010000000103';
    const k = u8(16);
    const opc = u8(16);
    await subs.create(imsi);
    await subs.setAud3g(imsi, { algorithm: 'milenage', k, opc });
    const fns = milenage(k, opc);
    const [t] = await gsup.sendAuthInfo(imsi, { numVectors: 1 });
    const seen = verifyAutn(fns, t.rand, t.autn);
    assert.ok(seen.macOk);
    // The USIM has already seen a far higher SEQ in this IND slot (e.g. vectors of a restored HLR backup).
    const usim = new UsimSqnArray();
    usim.accept((5000n << BigInt(IND_BITS)) | (seen.sqn & 31n));
    assert.equal(usim.check(seen.sqn), 'stale', 'the USIM rejects the HLR SQN: sync failure');
    const sqnMs = usim.sqnMs();
    const auts = buildAuts(fns, t.rand, sqnMs);
    const after = await gsup.sendAuthInfo(imsi, { numVectors: 2, resync: { rand: t.rand, auts } });
    const first = verifyAutn(fns, after[0].rand, after[0].autn);
    assert.ok(first.macOk);
    const ind = Number(first.sqn & 31n);
    assert.equal(first.sqn, sqnAfterResync(sqnMs, IND_BITS, ind), 'SQN = SEQ_MS + 1 || IND');
    assert.equal(first.sqn >> BigInt(IND_BITS), 5001n);
    assert.equal(usim.check(first.sqn), 'fresh', 'the USIM now accepts the AUTN');
    usim.accept(first.sqn);
    const second = verifyAutn(fns, after[1].rand, after[1].autn);
    assert.equal(second.sqn, nextSqn(first.sqn, IND_BITS, ind));
    assert.equal(toHex(after[0].xres), toHex(generateVector(fns, after[0].rand, first.sqn, first.amf).xres));
  });

  it('an AUTS with a wrong MAC-S is refused with a GSUP error, and the SQN is not moved', async () => {
    const imsi = '001010000000104';
    const k = u8(16);
    const opc = u8(16);
    await subs.create(imsi);
    await subs.setAud3g(imsi, { algorithm: 'milenage', k, opc });
    const [t] = await gsup.sendAuthInfo(imsi, { numVectors: 1 });
    const before = (await subs.readAud3g(imsi))?.sqn;
    // AUTS built with another subscriber's keys: MAC-S fails at the HLR
    const forged = buildAuts(milenage(u8(16), u8(16)), t.rand, 1_000_000n << 5n);
    await assert.rejects(
      gsup.sendAuthInfo(imsi, { resync: { rand: t.rand, auts: forged } }),
      (e: unknown) => {
        assert.ok(e instanceof OsmoError);
        assert.equal(e.kind, 'gsup');
        assert.equal(typeof e.cause, 'number');
        assert.match(e.message, new RegExp(`IMSI ${imsi}`));
        return true;
      },
    );
    assert.equal((await subs.readAud3g(imsi))?.sqn, before);
  });

  it('an unknown IMSI gives a GSUP error naming the IMSI and the cause IMSI_UNKNOWN', async () => {
    await assert.rejects(gsup.sendAuthInfo('001019999999999'), (e: unknown) => {
      assert.ok(e instanceof OsmoError);
      assert.equal(e.kind, 'gsup');
      assert.equal(e.cause, GMM_CAUSE.IMSI_UNKNOWN);
      assert.match(e.message, /IMSI 001019999999999 .*IMSI_UNKNOWN \(0x02\)/);
      return true;
    });
  });

  it('a subscriber without auth data gets IMSI_UNKNOWN too (osmo-hlr 1.5 hlr.c rx_send_auth_info)', async () => {
    await subs.create('001010000000105');
    await assert.rejects(
      gsup.sendAuthInfo('001010000000105'),
      (e: unknown) => e instanceof OsmoError && e.cause === GMM_CAUSE.IMSI_UNKNOWN,
    );
  });

  it('osmo-hlr 1.5 CTRL does not accept TUAK in aud3g: a clear ctrl error, the Milenage data unchanged, no key in it', async () => {
    const imsi = '001010000000106';
    const k = u8(16);
    const opc = u8(16);
    await subs.create(imsi);
    await subs.setAud3g(imsi, { algorithm: 'milenage', k, opc });
    const tuakK = u8(32);
    const topc = u8(32);
    await assert.rejects(subs.setAud3g(imsi, { algorithm: 'tuak', k: tuakK, opc: topc }), (e: unknown) => {
      assert.ok(e instanceof OsmoError);
      assert.equal(e.kind, 'ctrl');
      assert.match(
        e.message,
        /TUAK is not supported by this osmo-hlr's CTRL interface .*Unknown auth algorithm\./,
      );
      for (const secret of [tuakK, topc, k, opc]) assert.ok(!e.message.includes(toHex(secret)));
      return true;
    });
    const aud = await subs.readAud3g(imsi);
    assert.equal(aud?.algorithm, 'milenage');
    assert.equal(toHex(aud!.k), toHex(k));
  });

  it('CTRL errors from osmo-hlr name the variable and its reason; bad K length is refused before sending', async () => {
    await assert.rejects(
      ctrl.get('subscriber.by-imsi-001019999999998.info'),
      (e: unknown) =>
        e instanceof OsmoError &&
        e.kind === 'ctrl' &&
        /GET subscriber\.by-imsi-001019999999998\.info .*failed: No such subscriber\./.test(e.message),
    );
    await assert.rejects(
      subs.setAud3g('001010000000101', { algorithm: 'milenage', k: u8(15), opc: u8(16) }),
      (e: unknown) => e instanceof OsmoError && /must be 16 bytes/.test(e.message),
    );
  });

  it('deletes a subscriber; SendAuthInfo then answers IMSI_UNKNOWN', async () => {
    const imsi = '001010000000107';
    await subs.create(imsi);
    await subs.setAud3g(imsi, { algorithm: 'milenage', k: u8(16), opc: u8(16) });
    assert.equal((await gsup.sendAuthInfo(imsi, { numVectors: 1 })).length, 1);
    await subs.delete(imsi);
    await assert.rejects(gsup.sendAuthInfo(imsi), (e: unknown) => e instanceof OsmoError && e.cause === 2);
  });

  it('concurrent SendAuthInfo for several IMSIs on one connection all match their own keys', async () => {
    const keys = new Map<string, { k: Uint8Array; opc: Uint8Array }>();
    for (let i = 0; i < 4; i++) {
      const imsi = `00101000000020${i}`;
      const k = u8(16);
      const opc = u8(16);
      keys.set(imsi, { k, opc });
      await subs.create(imsi);
      await subs.setAud3g(imsi, { algorithm: 'milenage', k, opc });
    }
    const requests = [...keys.keys()].flatMap((imsi) => [imsi, imsi]);
    const answers = await Promise.all(requests.map((imsi) => gsup.sendAuthInfo(imsi, { numVectors: 2 })));
    answers.forEach((tuples: UmtsAuthTuple[], i) => {
      const { k, opc } = keys.get(requests[i])!;
      for (const t of tuples) assert.ok(verifyAutn(milenage(k, opc), t.rand, t.autn).macOk);
    });
  });

  it('a bind address whose CTRL port a foreign process holds is refused with a process error, nothing started', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen({ host: '127.0.0.253', port: 4259 }, resolve));
    const dir3 = mkdtempSync(join(tmpdir(), 'ltku-osmo-hlr-'));
    try {
      await assert.rejects(
        startOsmoHlr({ dir: dir3, bindIp: '127.0.0.253' }),
        (e: unknown) =>
          e instanceof OsmoError && e.kind === 'process' && /127\.0\.0\.253: ports .* in use/.test(e.message),
      );
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
      rmSync(dir3, { recursive: true, force: true });
    }
  });

  it('a second instance gets its own address; its death rejects pending work; a restart keeps the database', async () => {
    const dir2 = mkdtempSync(join(tmpdir(), 'ltku-osmo-hlr-'));
    const other = await startOsmoHlr({ dir: dir2 });
    let again: OsmoHlr | undefined;
    try {
      assert.notEqual(other.ctrl.host, hlr.ctrl.host);
      const c = await CtrlClient.connect(other.ctrl, { timeoutMs: 30_000 });
      const s = new OsmoHlrSubscribers(c);
      await s.create('001010000000301');
      await s.setAud3g('001010000000301', { algorithm: 'milenage', k: u8(16), opc: u8(16) });
      await assert.rejects(
        startOsmoHlr({ dir: dir2, bindIp: other.ctrl.host }),
        (e: unknown) => e instanceof OsmoError && e.kind === 'process' && /osmo-hlr/.test(e.message),
      );
      const g = await GsupClient.connect(other.gsup, { timeoutMs: 30_000 });
      await other.stop();
      await other.stop(); // idempotent
      await assert.rejects(
        g.sendAuthInfo('001010000000301'),
        (e: unknown) => e instanceof OsmoError && e.kind === 'connection',
      );
      await assert.rejects(
        c.get('subscriber.by-imsi-001010000000301.info'),
        (e: unknown) => e instanceof OsmoError && e.kind === 'connection',
      );
      again = await startOsmoHlr({ dir: dir2 });
      const c2 = await CtrlClient.connect(again.ctrl);
      assert.equal((await new OsmoHlrSubscribers(c2).readAud3g('001010000000301'))?.algorithm, 'milenage');
      await c2.close();
    } finally {
      await other.stop();
      await again?.stop();
      rmSync(dir2, { recursive: true, force: true });
    }
  });
});
