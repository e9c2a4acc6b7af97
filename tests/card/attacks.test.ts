// The attack list of issue 5, each with its exact status word or outcome.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom, BRAINPOOL_P256R1, generateKeyPair } from '../../src/crypto/index.js';
import {
  StatusWordError,
  encodeCommand,
  command,
  type CardChannel,
  type CommandApdu,
} from '../../src/iso7816/index.js';
import { encodeControlReference, openScp11 } from '../../src/gp/scp11/index.js';
import { SecureChannelError } from '../../src/gp/index.js';
import { concatBytes, tlv } from '../../src/bytes/index.js';
import { FixedClock } from '../../src/ports/index.js';
import { MemoryCardStore, VirtualCard } from '../../src/card/index.js';
import {
  issueOce,
  makeImage,
  makePki,
  NOW,
  openSession,
  readDigest,
  request,
  selectIsd,
  setup,
  storeData,
  newKeys,
  type Setup,
} from './support/fixture.js';
import { decodeKeyUpdateResult } from '../../src/gp/key-update/index.js';
import { GetResponseChannel } from '../../src/iso7816/index.js';

const rng = new SeededRandom('attacks');

async function swOfHandshake(
  s: Setup,
  overrides: {
    certificates?: Uint8Array[];
    kvn?: number;
    aes?: 16 | 24 | 32;
    caKvn?: number;
    ocePair?: ReturnType<typeof generateKeyPair>;
  },
) {
  await selectIsd(s.channel);
  const keySet = s.card.image.keySets.find((k) => k.kvn === (overrides.kvn ?? 1))!;
  try {
    await openScp11(
      s.channel,
      {
        variant: 'a',
        kvn: keySet.kvn,
        curve: keySet.keyPair.curve,
        aesKeyLength: overrides.aes ?? 16,
        pkSdEcka: keySet.keyPair.publicKey,
        skOceEcka: overrides.ocePair ?? s.pki.oce,
        oceCertificates: overrides.certificates ?? [s.pki.oceCertificate],
        caKlocReference: { kid: 0x10, kvn: overrides.caKvn ?? 1 },
      },
      rng,
    );
    return 0x9000;
  } catch (e) {
    if (e instanceof StatusWordError) return e.sw;
    throw e;
  }
}

/** Records every command as it leaves for the card (the relay's view). */
class Recorder implements CardChannel {
  readonly sent: Uint8Array[] = [];
  constructor(readonly inner: CardChannel) {}
  transmit(c: CommandApdu) {
    this.sent.push(encodeCommand(c));
    return this.inner.transmit(c);
  }
}

describe('attacks on the handshake', () => {
  it('unknown CA-KLOC key reference -> 6A88', async () => {
    assert.equal(await swOfHandshake(setup(), { caKvn: 9 }), 0x6a88);
  });
  it('OCE certified by an untrusted CA -> 6982', async () => {
    const s = setup();
    const other = generateKeyPair(s.pki.kloc.curve, rng);
    assert.equal(
      await swOfHandshake(s, { certificates: [issueOce(other, s.pki.oce, Uint8Array.of(50), 'x509')] }),
      0x6982,
    );
  });
  it('bad signature -> 6982', async () => {
    const s = setup();
    const cert = s.pki.oceCertificate.slice();
    cert[cert.length - 1] ^= 0x01;
    assert.equal(await swOfHandshake(s, { certificates: [cert] }), 0x6982);
  });
  it('expired certificate -> 6982', async () => {
    const s = setup();
    const cert = issueOce(s.pki.kloc, s.pki.oce, Uint8Array.of(51), 'gp', {
      notAfter: new Date('2029-12-31T00:00:00Z'),
    });
    assert.equal(await swOfHandshake(s, { certificates: [cert] }), 0x6982);
  });
  it('not yet valid certificate -> 6982', async () => {
    const s = setup();
    const cert = issueOce(s.pki.kloc, s.pki.oce, Uint8Array.of(52), 'x509', {
      notBefore: new Date('2031-01-01T00:00:00Z'),
    });
    assert.equal(await swOfHandshake(s, { certificates: [cert] }), 0x6982);
  });
  it('wrong key usage (signature) -> 6982', async () => {
    const s = setup();
    const cert = issueOce(s.pki.kloc, s.pki.oce, Uint8Array.of(53), 'gp', { keyUsage: 'signature' });
    assert.equal(await swOfHandshake(s, { certificates: [cert] }), 0x6982);
  });
  it('revoked serial (card deny list) -> 6982', async () => {
    const s = setup();
    const serial = Uint8Array.of(99);
    const cert = issueOce(s.pki.kloc, s.pki.oce, serial, 'x509');
    const image = { ...s.image, denyList: [serial] };
    const card = new VirtualCard(image, { store: new MemoryCardStore(), clock: new FixedClock(NOW), rng });
    assert.equal(
      await swOfHandshake({ ...s, card, channel: new GetResponseChannel(card) }, { certificates: [cert] }),
      0x6982,
    );
  });
  it('curve mismatch (OCE certificate on brainpoolP256r1, key set on P-256) -> 6982', async () => {
    const s = setup();
    const bp = generateKeyPair(BRAINPOOL_P256R1, rng);
    const cert = issueOce(s.pki.kloc, bp, Uint8Array.of(54), 'x509');
    await selectIsd(s.channel);
    // The card accepts the chain itself (it is valid); MUTUAL AUTHENTICATE on the P-256 key set is refused.
    assert.equal((await s.channel.transmit(command(0x80, 0x2a, 0x01, 0x10, cert))).sw, 0x9000);
    const epk = generateKeyPair(s.pki.oce.curve, rng).publicKey;
    const data = concatBytes(encodeControlReference('a', 16), tlv(0x5f49, epk));
    assert.equal((await s.channel.transmit(command(0x80, 0x82, 0x01, 0x11, data, 256))).sw, 0x6982);
  });

  it('AES key length below the card policy -> 6985', async () => {
    const r = new SeededRandom('aes');
    const pki = makePki(r);
    const image = makeImage(pki, r, { minAesKeyLength: 32 });
    const card = new VirtualCard(image, { store: new MemoryCardStore(), clock: new FixedClock(NOW), rng: r });
    const s: Setup = {
      pki,
      image,
      card,
      store: new MemoryCardStore(),
      channel: new GetResponseChannel(card),
      rng: r,
    };
    assert.equal(await swOfHandshake(s, { aes: 16 }), 0x6985);
    assert.equal(await swOfHandshake(s, { aes: 32 }), 0x9000);
  });
});

describe('attacks on the open channel', () => {
  async function recorded() {
    const s = setup();
    const recorder = new Recorder(s.card);
    s.channel = new GetResponseChannel(recorder);
    const scp = await openSession(s);
    return { s, scp, recorder };
  }
  const getData = command(0x80, 0xca, 0x00, 0xe0, new Uint8Array(0), 256);

  it('a MAC failure -> 6982 and the session ends', async () => {
    const { s, scp, recorder } = await recorded();
    await scp.transmit(getData);
    const last = recorder.sent[recorder.sent.length - 1].slice();
    last[last.length - 2] ^= 0x01; // inside the C-MAC (the byte before Le)
    assert.equal(s.card.processApdu(last).at(-2), 0x69);
    assert.equal(s.card.isd.session, undefined);
  });

  it('a replayed wrapped APDU -> 6982', async () => {
    const { s, scp, recorder } = await recorded();
    await scp.transmit(getData);
    const replay = recorder.sent[recorder.sent.length - 1];
    const r = s.card.processApdu(replay);
    assert.deepEqual(Array.from(r.subarray(-2)), [0x69, 0x82]);
  });

  // Issue 9, finding 9 (DESIGN.md 4.3): the card R-MACs every 9000; a host refuses one without.
  it('a relay answering a bare 9000 in place of the card is refused by the host, which ends its session', async () => {
    const s = setup();
    let fake = false;
    let delivered = 0;
    const relay: CardChannel = {
      transmit: async (c) => {
        if (!fake) return s.card.transmit(c);
        delivered++;
        return { data: new Uint8Array(0), sw: 0x9000 };
      },
    };
    s.channel = new GetResponseChannel(relay);
    const scp = await openSession(s);
    const storeNothing = command(0x80, 0xe2, 0x80, 0x00, new Uint8Array(0));
    const real = await scp.transmit(getData);
    assert.equal(real.sw, 0x9000, 'the real card answers under R-MAC');
    fake = true;
    await assert.rejects(
      scp.transmit(storeNothing),
      (e: unknown) =>
        e instanceof SecureChannelError &&
        e.reason === 'r-mac' &&
        /9000 came without its R-MAC/.test(e.message),
    );
    assert.equal(delivered, 1);
    assert.ok(scp.closed);
  });

  it('reordered wrapped APDUs -> 6982 (the relay holds A back and delivers B first)', async () => {
    const s = setup();
    let hold = false;
    const held: CommandApdu[] = [];
    const relay: CardChannel = {
      transmit: async (c) => {
        if (!hold) return s.card.transmit(c);
        held.push(c);
        // An error SW travels without R-MAC, so the host goes on (a bare 9000 would end its session).
        return { data: new Uint8Array(0), sw: 0x6f00 };
      },
    };
    s.channel = new GetResponseChannel(relay);
    const scp = await openSession(s);
    hold = true;
    assert.equal((await scp.transmit(getData)).sw, 0x6f00); // A, held back by the relay
    hold = false;
    const b = await scp.transmit(getData).then(
      (r) => r.sw,
      (e: unknown) => (e instanceof StatusWordError ? e.sw : -1),
    ); // B, delivered first
    assert.equal(held.length, 1);
    assert.equal(b, 0x6982);
    const a = await s.card.transmit(held[0]);
    assert.equal(a.sw, 0x6982, 'A afterwards finds the session ended');
  });

  it('STORE DATA in the clear while a session is open -> 6982 and the session ends', async () => {
    const { s } = await recorded();
    const r = await storeData(s.channel, new Uint8Array([0xbf, 0x72, 0x00]));
    assert.equal(r.sw, 0x6982);
    assert.equal(s.card.isd.session, undefined);
  });

  it('a request relayed after editing what the server read (digest of a downgraded BF30) -> 06', async () => {
    const s = setup();
    const scp = await openSession(s);
    const digest = (await readDigest(scp)).slice();
    digest[0] ^= 0xff;
    const r = await storeData(scp, request(scp, s.image.profiles[0].iccid, newKeys(rng), { digest }));
    assert.equal(decodeKeyUpdateResult(r.data).outcome, 0x06);
  });
});
