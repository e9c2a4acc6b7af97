// The ME's USIM access against the real virtual card: finding a profile's USIM by ICCID through EF.DIR, reading
// EF.IMSI, AUTHENTICATE's three outcomes; the EF codecs and the SSE parser as properties.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SeededRandom } from '../../src/crypto/index.js';
import { buildAuts, generateVector, milenage, resolveAuts } from '../../src/aka/index.js';
import { efImsi, iccidBytes } from '../../src/card/index.js';
import {
  authenticate,
  decodeEfIccid,
  decodeEfImsi,
  listUsimAids,
  selectUsim,
  SseParser,
  UsimError,
  type PushEvent,
} from '../../src/ue/index.js';
import { newCard } from '../core/support/network.js';

describe('USIM access (TS 102 221 13.1/13.2, TS 31.102 4.2.2, 7.1.2)', () => {
  it('lists the USIM AIDs of EF.DIR and selects each profile by its ICCID', async () => {
    const { image, channel } = newCard('usim-select', { profiles: 3 });
    const aids = await listUsimAids(channel);
    assert.deepEqual(
      aids,
      image.profiles.map((p) => p.usimAid),
    );
    for (const p of [...image.profiles].reverse()) {
      const s = await selectUsim(channel, p.iccid);
      assert.deepEqual(s, { aid: p.usimAid, iccid: p.iccid, imsi: p.imsi });
    }
    await assert.rejects(selectUsim(channel, '8900000000000000000'), UsimError);
  });

  it('AUTHENTICATE: RES/CK/IK for a fresh vector, AUTS for a replay, MAC failure for other keys', async () => {
    const { image, channel } = newCard('usim-auth');
    const p = image.profiles[0];
    await selectUsim(channel, p.iccid);
    const fns = milenage(p.keys.k, p.keys.opc);
    const rng = new SeededRandom('rands');
    const v = generateVector(fns, rng.randomBytes(16), 33n, Uint8Array.of(0x80, 0));
    const ok = await authenticate(channel, v.rand, v.autn);
    assert.deepEqual(ok, { kind: 'success', res: v.xres, ck: v.ck, ik: v.ik });
    const replay = await authenticate(channel, v.rand, v.autn);
    assert.equal(replay.kind, 'sync-failure');
    if (replay.kind === 'sync-failure') {
      assert.deepEqual(replay.auts, buildAuts(fns, v.rand, 33n));
      assert.deepEqual(resolveAuts(fns, v.rand, replay.auts), { sqnMs: 33n, macOk: true });
    }
    const other = milenage(rng.randomBytes(16), rng.randomBytes(16));
    const forged = generateVector(other, rng.randomBytes(16), 65n, Uint8Array.of(0x80, 0));
    assert.deepEqual(await authenticate(channel, forged.rand, forged.autn), { kind: 'mac-failure' });
  });

  it('EF.IMSI and EF.ICCID decode what the card encodes', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{15}$/), fc.stringMatching(/^[0-9]{19,20}$/), (imsi, iccid) => {
        assert.equal(decodeEfImsi(efImsi(imsi)), imsi);
        assert.equal(decodeEfIccid(iccidBytes(iccid)), iccid);
      }),
    );
    assert.throws(() => decodeEfImsi(Uint8Array.of(9, 0x09)), UsimError);
  });

  it('parses server-sent events however the stream is split', () => {
    const text =
      ': connected\n\nevent: key-update-pending\ndata: {"url":"http://s/ram"}\n\n: keep-alive\r\n\r\ndata: {"a":1}\n\n';
    fc.assert(
      fc.property(fc.array(fc.nat(text.length), { maxLength: 6 }), (cuts) => {
        const events: PushEvent[] = [];
        const parser = new SseParser((e) => events.push(e));
        const at = [0, ...[...cuts].sort((a, b) => a - b), text.length];
        for (let i = 1; i < at.length; i++) parser.push(text.slice(at[i - 1], at[i]));
        assert.deepEqual(events, [
          { type: 'key-update-pending', data: { url: 'http://s/ram' } },
          { type: 'message', data: { a: 1 } },
        ]);
      }),
    );
  });
});
