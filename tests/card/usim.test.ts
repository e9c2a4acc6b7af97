// TS 31.102 on the virtual card: EF.DIR, EF.ICCID, EF.IMSI, SELECT by full / truncated AID, AUTHENTICATE
// (success, sync failure with AUTS, MAC failure 9862) with SQN freshness (TS 33.102 Annex C).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  concatBytes,
  decodeSwappedBcd,
  decodeTlv,
  findTlv,
  children,
  toHex,
  fromHex,
} from '../../src/bytes/index.js';
import { SeededRandom } from '../../src/crypto/index.js';
import { command } from '../../src/iso7816/index.js';
import { generateVector, milenage, resolveAuts } from '../../src/aka/index.js';
import { efImsi } from '../../src/card/index.js';
import { setup } from './support/fixture.js';

const rng = new SeededRandom('usim');
const amf = Uint8Array.of(0x80, 0x00);

function authData(rand: Uint8Array, autn: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(rand.length), rand, Uint8Array.of(autn.length), autn);
}

describe('files', () => {
  it('EF.DIR lists one USIM AID per profile; EF.ICCID and EF.IMSI read back', async () => {
    const s = setup();
    const c = s.channel;
    assert.equal((await c.transmit(command(0x00, 0xa4, 0x00, 0x04, fromHex('3F00'), 256))).sw, 0x9000);
    assert.equal((await c.transmit(command(0x00, 0xa4, 0x00, 0x04, fromHex('2F00'), 256))).sw, 0x9000);
    for (let i = 0; i < s.image.profiles.length; i++) {
      const rec = await c.transmit(command(0x00, 0xb2, i + 1, 0x04, new Uint8Array(0), 256));
      assert.equal(rec.sw, 0x9000);
      const app = decodeTlv(rec.data.subarray(0, 2 + rec.data[1]));
      assert.deepEqual(findTlv(children(app), 0x4f)?.value, s.image.profiles[i].usimAid);
    }
    assert.equal((await c.transmit(command(0x00, 0xb2, 9, 0x04, new Uint8Array(0), 256))).sw, 0x6a83);
    await c.transmit(command(0x00, 0xa4, 0x00, 0x0c, fromHex('2FE2')));
    const iccid = await c.transmit(command(0x00, 0xb0, 0, 0, new Uint8Array(0), 10));
    assert.equal(decodeSwappedBcd(iccid.data), s.image.profiles[0].iccid);

    await c.transmit(command(0x00, 0xa4, 0x04, 0x04, s.image.profiles[1].usimAid, 256));
    await c.transmit(command(0x00, 0xa4, 0x00, 0x04, fromHex('6F07'), 256));
    const imsi = await c.transmit(command(0x00, 0xb0, 0, 0, new Uint8Array(0), 9));
    assert.deepEqual(imsi.data, efImsi(s.image.profiles[1].imsi));
    assert.equal(decodeSwappedBcd(imsi.data.subarray(1)).slice(1), s.image.profiles[1].imsi);
  });

  it('EF.IMSI encodes TS 31.102 4.2.2 (odd parity nibble 9)', () => {
    assert.equal(toHex(efImsi('001010123456789')), '080910101032547698');
  });

  it('SELECT by right-truncated AID: first, then next occurrence; unknown AID 6A82', async () => {
    const s = setup();
    const prefix = s.image.profiles[0].usimAid.subarray(0, 7);
    const first = await s.channel.transmit(command(0x00, 0xa4, 0x04, 0x04, prefix, 256));
    assert.equal(first.sw, 0x9000);
    assert.deepEqual(findTlv(children(decodeTlv(first.data)), 0x84)?.value, s.image.profiles[0].usimAid);
    const next = await s.channel.transmit(command(0x00, 0xa4, 0x04, 0x06, prefix, 256));
    assert.deepEqual(findTlv(children(decodeTlv(next.data)), 0x84)?.value, s.image.profiles[1].usimAid);
    assert.equal((await s.channel.transmit(command(0x00, 0xa4, 0x04, 0x06, prefix, 256))).sw, 0x6a82);
    assert.equal(
      (await s.channel.transmit(command(0x00, 0xa4, 0x04, 0x04, fromHex('A0000000090001'), 256))).sw,
      0x6a82,
    );
  });
});

describe('AUTHENTICATE', () => {
  async function select(s: ReturnType<typeof setup>, i = 0) {
    await s.channel.transmit(command(0x00, 0xa4, 0x04, 0x04, s.image.profiles[i].usimAid, 256));
  }

  it('answers RES, CK, IK for a fresh SQN, stores the SQN first, and refuses a replay with AUTS', async () => {
    const s = setup();
    await select(s);
    const p = s.image.profiles[0];
    const fns = milenage(p.keys.k, p.keys.opc);
    const v = generateVector(fns, rng.randomBytes(16), 32n + 1n, amf);
    const r = await s.channel.transmit(command(0x00, 0x88, 0x00, 0x81, authData(v.rand, v.autn), 256));
    assert.equal(r.sw, 0x9000);
    assert.equal(
      toHex(r.data),
      toHex(concatBytes(Uint8Array.of(0xdb, 8), v.xres, Uint8Array.of(16), v.ck, Uint8Array.of(16), v.ik)),
    );
    assert.equal(s.store.saves, 1);

    const replay = await s.channel.transmit(command(0x00, 0x88, 0x00, 0x81, authData(v.rand, v.autn), 256));
    assert.equal(replay.sw, 0x9000);
    assert.equal(replay.data[0], 0xdc);
    assert.equal(replay.data[1], 14);
    const resolved = resolveAuts(fns, v.rand, replay.data.subarray(2));
    assert.ok(resolved.macOk);
    assert.equal(resolved.sqnMs, 33n);
  });

  it('MAC failure -> 9862; wrong P2 (GSM context) -> 6A86; malformed data -> 6A80', async () => {
    const s = setup();
    await select(s, 1);
    const p = s.image.profiles[0]; // the other profile's keys
    const v = generateVector(milenage(p.keys.k, p.keys.opc), rng.randomBytes(16), 64n, amf);
    assert.equal(
      (await s.channel.transmit(command(0x00, 0x88, 0x00, 0x81, authData(v.rand, v.autn), 256))).sw,
      0x9862,
    );
    assert.equal(
      (await s.channel.transmit(command(0x00, 0x88, 0x00, 0x80, authData(v.rand, v.autn), 256))).sw,
      0x6a86,
    );
    assert.equal((await s.channel.transmit(command(0x00, 0x88, 0x00, 0x81, v.rand, 256))).sw, 0x6a80);
    assert.equal(s.store.saves, 0);
  });

  it('a store failure -> 6581 and the SQN is not consumed', async () => {
    const s = setup();
    await select(s);
    const p = s.image.profiles[0];
    const v = generateVector(milenage(p.keys.k, p.keys.opc), rng.randomBytes(16), 96n, amf);
    s.store.failNext = true;
    assert.equal(
      (await s.channel.transmit(command(0x00, 0x88, 0x00, 0x81, authData(v.rand, v.autn), 256))).sw,
      0x6581,
    );
    assert.equal(
      (await s.channel.transmit(command(0x00, 0x88, 0x00, 0x81, authData(v.rand, v.autn), 256))).data[0],
      0xdb,
    );
  });
});
