// DESIGN.md 4.5 on the card: the happy path, idempotent retry, and each check in its order (the first that
// applies decides), through a real SCP11a session.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { concatBytes, tlv, toHex } from '../../src/bytes/index.js';
import { keyCheckValue, SeededRandom } from '../../src/crypto/index.js';
import {
  command,
  decodeResponse,
  encodeCommand,
  GetResponseChannel,
  type CardChannel,
} from '../../src/iso7816/index.js';
import { generateVector, milenage, tuak } from '../../src/aka/index.js';
import {
  decodeKeyStatus,
  decodeKeyUpdateResult,
  encodeKeyStatusRequest,
  OUTCOME_APPLIED,
  OUTCOME_CHECK_VALUE_MISMATCH,
  OUTCOME_NEGOTIATION_MISMATCH,
  OUTCOME_REJECTED_BY_POLICY,
  OUTCOME_UNKNOWN_PROFILE,
  OUTCOME_UNSUPPORTED,
  OUTCOME_VERSION_NOT_NEWER,
} from '../../src/gp/key-update/index.js';
import { iccidBytes } from '../../src/card/index.js';
import {
  newKeys,
  openSession,
  readDigest,
  request,
  setup,
  storeData,
  type Setup,
} from './support/fixture.js';

const rng = new SeededRandom('keys');

async function session(s: Setup) {
  const scp = await openSession(s);
  const digest = await readDigest(scp);
  return { scp, digest };
}

async function authenticate(
  s: Setup,
  index: number,
  k: Uint8Array,
  opc: Uint8Array,
  sqn: bigint,
  tuakParams?: object,
) {
  const p = s.card.image.profiles[index];
  const fns = opc.length === 32 ? tuak(k, opc, tuakParams) : milenage(k, opc);
  const v = generateVector(fns, rng.randomBytes(16), sqn, Uint8Array.of(0x80, 0));
  await s.channel.transmit(command(0x00, 0xa4, 0x04, 0x04, p.usimAid, 256));
  const data = concatBytes(Uint8Array.of(16), v.rand, Uint8Array.of(v.autn.length), v.autn);
  const r = await s.channel.transmit(command(0x00, 0x88, 0x00, 0x81, data, 256));
  return { r, v };
}

describe('key update: applied', () => {
  it('applies new Milenage keys, answers BF71 00 with the new KCVs, and the USIM uses them', async () => {
    const s = setup();
    const p = s.image.profiles[0];
    const { scp, digest } = await session(s);
    const keys = newKeys(rng);
    const r = await storeData(scp, request(scp, p.iccid, keys, { digest }));
    assert.equal(r.sw, 0x9000);
    const result = decodeKeyUpdateResult(r.data);
    assert.equal(result.outcome, OUTCOME_APPLIED);
    assert.equal(result.keyVersion, 2);
    assert.deepEqual(result.checkValues, concatBytes(keyCheckValue(keys.k), keyCheckValue(keys.opc)));
    assert.deepEqual(result.iccid, iccidBytes(p.iccid));
    assert.equal(s.store.saves, 1);
    assert.deepEqual(s.store.image?.profiles[0].keys.k, keys.k);
    assert.deepEqual(s.card.image.profiles[1], s.image.profiles[1], 'the other profile is untouched');

    const status = await storeData(scp, encodeKeyStatusRequest(iccidBytes(p.iccid)));
    const st = decodeKeyStatus(status.data);
    assert.equal(st.keyVersion, 2);
    assert.deepEqual(st.lastTransactionId, new Uint8Array(16).fill(0x42));

    const { r: auth, v } = await authenticate(s, 0, keys.k, keys.opc, 33n);
    assert.equal(auth.sw, 0x9000);
    assert.equal(auth.data[0], 0xdb);
    assert.deepEqual(auth.data.subarray(2, 2 + v.xres.length), v.xres);
  });

  it('applies TUAK keys with parameters; AUTHENTICATE then uses the 16-byte MAC', async () => {
    const s = setup('tuak', { algorithm: 'tuak' });
    const p = s.image.profiles[1];
    const { scp, digest } = await session(s);
    const keys = { ...newKeys(rng, 32), parameters: { kind: 'tuak' as const, macLength: 16, resLength: 16 } };
    const r = await storeData(scp, request(scp, p.iccid, keys, { digest, keyVersion: 7 }));
    assert.equal(decodeKeyUpdateResult(r.data).outcome, OUTCOME_APPLIED);
    const { r: auth, v } = await authenticate(s, 1, keys.k, keys.opc, 65n, { macLength: 16, resLength: 16 });
    assert.equal(v.autn.length, 24);
    assert.equal(auth.sw, 0x9000);
    assert.deepEqual(auth.data.subarray(2, 18), v.xres);
  });

  it('answers a retried transaction id with the stored BF71, verbatim, without storing again', async () => {
    const s = setup();
    const p = s.image.profiles[0];
    const { scp, digest } = await session(s);
    const keys = newKeys(rng);
    const first = await storeData(scp, request(scp, p.iccid, keys, { digest }));
    // Same transaction id, now with an algorithm the card does not know (check 4 would say 04): check 3 decides.
    const again = await storeData(scp, request(scp, p.iccid, { ...keys, algorithm: 7 }, { digest }));
    assert.equal(toHex(again.data), toHex(first.data));
    assert.equal(s.store.saves, 1);
  });

  it('accepts a wrapped request split by ISO command chaining (one MAC over the whole command)', async () => {
    const s = setup();
    let blocks = 0;
    const relay: CardChannel = {
      transmit: async (c) => {
        if (c.ins !== 0xe2) return s.card.transmit(c);
        const half = c.data.length >> 1;
        const first = s.card.processApdu(
          encodeCommand({ ...c, cla: c.cla | 0x10, data: c.data.subarray(0, half), ne: undefined }),
        );
        assert.deepEqual(Array.from(first), [0x90, 0x00]);
        blocks = 2;
        return decodeResponse(s.card.processApdu(encodeCommand({ ...c, data: c.data.subarray(half) })));
      },
    };
    s.channel = new GetResponseChannel(relay);
    const { scp, digest } = await session(s);
    const r = await storeData(scp, request(scp, s.image.profiles[0].iccid, newKeys(rng), { digest }));
    assert.equal(blocks, 2);
    assert.equal(decodeKeyUpdateResult(r.data).outcome, OUTCOME_APPLIED);
  });
});

describe('key update: each check of DESIGN.md 4.5 in its order', () => {
  async function outcome(
    s: Setup,
    build: (scp: Awaited<ReturnType<typeof session>>['scp'], digest: Uint8Array) => Uint8Array,
  ) {
    const { scp, digest } = await session(s);
    const r = await storeData(scp, build(scp, digest));
    return { r, result: r.sw === 0x9000 ? decodeKeyUpdateResult(r.data) : undefined };
  }
  const wrongDigest = new Uint8Array(32).fill(1);

  it('1: malformed (missing 86) beats an unknown ICCID -> 6A80, nothing stored', async () => {
    const s = setup();
    const { r } = await outcome(s, (scp) => {
      const full = request(scp, '8900000000000000000', newKeys(rng), { digest: wrongDigest });
      // drop the 86 TLV (34 bytes) and fix the outer length
      const inner = full.subarray(3);
      const without = inner.subarray(0, inner.length - 34);
      return tlv(0xbf70, without);
    });
    assert.equal(r.sw, 0x6a80);
    assert.equal(s.store.saves, 0);
  });

  it('2: unknown ICCID beats a wrong digest -> 01 without version or KCVs', async () => {
    const { result } = await outcome(setup(), (scp) =>
      request(scp, '8900000000000000000', newKeys(rng), { digest: wrongDigest }),
    );
    assert.equal(result?.outcome, OUTCOME_UNKNOWN_PROFILE);
    assert.equal(result?.keyVersion, undefined);
    assert.equal(result?.checkValues, undefined);
  });

  it('4: unsupported algorithm beats a wrong digest -> 04 with the current version and KCVs', async () => {
    const s = setup();
    const p = s.image.profiles[0];
    const { result } = await outcome(s, (scp) =>
      request(scp, p.iccid, { ...newKeys(rng), algorithm: 9 }, { digest: wrongDigest }),
    );
    assert.equal(result?.outcome, OUTCOME_UNSUPPORTED);
    assert.equal(result?.keyVersion, 1);
    assert.deepEqual(result?.checkValues, concatBytes(keyCheckValue(p.keys.k), keyCheckValue(p.keys.opc)));
  });

  it('4: an algorithm the card setting excludes -> 04', async () => {
    const s = setup();
    const image = { ...s.image, settings: { ...s.image.settings, akaAlgorithms: ['milenage' as const] } };
    const { VirtualCard } = await import('../../src/card/index.js');
    s.card = new VirtualCard(image, {
      store: s.store,
      clock: { now: () => new Date('2030-01-01') },
      rng: s.rng,
    });
    const { GetResponseChannel } = await import('../../src/iso7816/index.js');
    s.channel = new GetResponseChannel(s.card);
    const { result } = await outcome(s, (scp, digest) =>
      request(scp, s.image.profiles[0].iccid, newKeys(rng, 32), { digest }),
    );
    assert.equal(result?.outcome, OUTCOME_UNSUPPORTED);
  });

  it('5: a wrong digest beats a stale version -> 06', async () => {
    const s = setup();
    const { result } = await outcome(s, (scp) =>
      request(scp, s.image.profiles[0].iccid, newKeys(rng), { digest: wrongDigest, keyVersion: 1 }),
    );
    assert.equal(result?.outcome, OUTCOME_NEGOTIATION_MISMATCH);
  });

  it('6: a stale version beats a wrong check value -> 02', async () => {
    const s = setup();
    const { result } = await outcome(s, (scp, digest) =>
      request(scp, s.image.profiles[0].iccid, newKeys(rng), {
        digest,
        keyVersion: 1,
        checkValues: new Uint8Array(6),
      }),
    );
    assert.equal(result?.outcome, OUTCOME_VERSION_NOT_NEWER);
    assert.equal(s.store.saves, 0);
  });

  it('7: a wrong check value beats a policy violation -> 03', async () => {
    const s = setup();
    const same = new Uint8Array(16).fill(5);
    const { result } = await outcome(s, (scp, digest) =>
      request(
        scp,
        s.image.profiles[0].iccid,
        { k: same, opc: same },
        { digest, checkValues: new Uint8Array(6) },
      ),
    );
    assert.equal(result?.outcome, OUTCOME_CHECK_VALUE_MISMATCH);
  });

  for (const [name, keys] of [
    ['K all one byte value', (_s: Setup) => ({ k: new Uint8Array(16).fill(7), opc: rng.randomBytes(16) })],
    ['OPc all one byte value', (_s: Setup) => ({ k: rng.randomBytes(16), opc: new Uint8Array(16) })],
    [
      'K equal to OPc',
      (_s: Setup) => {
        const k = rng.randomBytes(16);
        return { k, opc: k.slice() };
      },
    ],
    [
      'new K equal to the current K',
      (s: Setup) => ({ k: s.image.profiles[0].keys.k, opc: rng.randomBytes(16) }),
    ],
  ] as const) {
    it(`8: policy, ${name} -> 05`, async () => {
      const s = setup();
      const { result } = await outcome(s, (scp, digest) =>
        request(scp, s.image.profiles[0].iccid, keys(s), { digest }),
      );
      assert.equal(result?.outcome, OUTCOME_REJECTED_BY_POLICY);
      assert.equal(s.store.saves, 0);
    });
  }

  it('9: a store failure -> 6581, nothing changed; the retry then applies', async () => {
    const s = setup();
    const { scp, digest } = await session(s);
    const keys = newKeys(rng);
    s.store.failNext = true;
    const failed = await storeData(scp, request(scp, s.image.profiles[0].iccid, keys, { digest }));
    assert.equal(failed.sw, 0x6581);
    assert.deepEqual(s.card.image, s.image);
    const retried = await storeData(scp, request(scp, s.image.profiles[0].iccid, keys, { digest }));
    assert.equal(decodeKeyUpdateResult(retried.data).outcome, OUTCOME_APPLIED);
  });
});

describe('STORE DATA framing', () => {
  it('outside SCP11 -> 6982; other P1/P2 inside -> 6A86; BF72 of an unknown ICCID -> 6A88; other data -> 6A80', async () => {
    const s = setup();
    await s.channel.transmit(
      command(0x00, 0xa4, 0x04, 0x00, Uint8Array.of(0xa0, 0, 0, 1, 0x51, 0, 0, 0), 256),
    );
    const plain = await storeData(s.channel, encodeKeyStatusRequest(iccidBytes(s.image.profiles[0].iccid)));
    assert.equal(plain.sw, 0x6982);
    const { scp } = await session(s);
    assert.equal(
      (await storeData(scp, encodeKeyStatusRequest(iccidBytes(s.image.profiles[0].iccid)), 0x90)).sw,
      0x6a86,
    );
    assert.equal((await storeData(scp, encodeKeyStatusRequest(new Uint8Array(10)))).sw, 0x6a88);
    assert.equal((await storeData(scp, tlv(0xbf71, Uint8Array.of()))).sw, 0x6a80);
    const status = decodeKeyStatus(
      (await storeData(scp, encodeKeyStatusRequest(iccidBytes(s.image.profiles[0].iccid)))).data,
    );
    assert.equal(status.lastTransactionId, undefined);
    assert.equal(status.keyVersion, 1);
  });
});
