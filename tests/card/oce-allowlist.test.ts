// Issue 13: the OCE certificate allowlist (GPC Amd F 7.5). An attacker holding a CA-KLOC key mints an OCE
// certificate the card does not list: refused at PERFORM SECURITY OPERATION (6982), no session, nothing stored.
// The list is replaced remotely inside SCP11a (STORE DATA A6{83} 70{93...}), persisted through the card store.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { P256, SeededRandom, generateKeyPair } from '../../src/crypto/index.js';
import { GetResponseChannel, StatusWordError, command, type CardChannel } from '../../src/iso7816/index.js';
import { FixedClock } from '../../src/ports/index.js';
import { MemoryCardStore, VirtualCard, decodeCardImage, encodeCardImage } from '../../src/card/index.js';
import { openScp11, type Scp11Channel } from '../../src/gp/scp11/index.js';
import { INS_STORE_DATA, P1_STORE_DATA_LAST_BERTLV } from '../../src/gp/constants.js';
import { encodeOceAllowlist } from '../../src/gp/data-objects/index.js';
import { issueOce, makeImage, makePki, NOW, selectIsd, type Pki } from './support/fixture.js';

const SW_SECURITY = 0x6982;
const ALLOWED = Uint8Array.of(0x01); // makePki's OCE certificate is the PKI's first serial
const ROGUE = Uint8Array.of(0x66);
const NEXT = Uint8Array.of(0x00, 0x9a); // an X.509 serial with its sign byte

interface AllowSetup {
  pki: Pki;
  card: VirtualCard;
  store: MemoryCardStore;
  channel: CardChannel;
}

function allowSetup(format: 'gp' | 'x509', allowlist: Uint8Array[] | undefined, seed: string): AllowSetup {
  const rng = new SeededRandom(seed);
  const pki = makePki(rng, P256, format);
  const image = makeImage(pki, rng, {
    variants: ['a', 'b', 'c'],
    ...(allowlist === undefined ? {} : { oceAllowlist: allowlist }),
  });
  const store = new MemoryCardStore();
  const card = new VirtualCard(image, { store, clock: new FixedClock(NOW), rng });
  return { pki, card, store, channel: new GetResponseChannel(card) };
}

async function open(
  s: AllowSetup,
  oce: { pair: ReturnType<typeof generateKeyPair>; certificate: Uint8Array },
  kvn = 1,
  variant: 'a' | 'c' = 'a',
): Promise<Scp11Channel> {
  await selectIsd(s.channel);
  const keySet = s.card.image.keySets.find(
    (k) => k.kvn === kvn && k.kid === (variant === 'a' ? 0x11 : 0x15),
  )!;
  return openScp11(
    s.channel,
    {
      variant,
      kvn,
      curve: keySet.keyPair.curve,
      aesKeyLength: 16,
      pkSdEcka: keySet.keyPair.publicKey,
      skOceEcka: oce.pair,
      oceCertificates: [oce.certificate],
      caKlocReference: { kid: 0x10, kvn: 1 },
    },
    new SeededRandom(`open-${kvn}`),
  );
}

async function swOf(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 0x9000;
  } catch (e) {
    if (e instanceof StatusWordError) return e.sw;
    throw e;
  }
}

function mint(s: AllowSetup, serial: Uint8Array, format: 'gp' | 'x509') {
  const pair = generateKeyPair(P256, new SeededRandom(`attacker-${serial[serial.length - 1]}`));
  return { pair, certificate: issueOce(s.pki.kloc, pair, serial, format) };
}

function storeAllowlist(channel: CardChannel, kid: number, kvn: number, serials: Uint8Array[]) {
  const data = encodeOceAllowlist({ keyReference: { kid, kvn }, serials });
  return channel.transmit(command(0x80, INS_STORE_DATA, P1_STORE_DATA_LAST_BERTLV, 0x00, data));
}

for (const format of ['gp', 'x509'] as const) {
  describe(`OCE allowlist (${format} OCE certificates)`, () => {
    it('refuses an OCE certificate minted with the CA-KLOC key but not listed: 6982 at PSO, no session, no change', async () => {
      const s = allowSetup(format, [ALLOWED], `rogue-${format}`);
      const before = encodeCardImage(s.card.image);
      const rogue = mint(s, ROGUE, format);
      await selectIsd(s.channel);
      const pso = await s.channel.transmit(command(0x80, 0x2a, 0x01, 0x10, rogue.certificate));
      assert.equal(pso.sw, SW_SECURITY);
      for (const variant of ['a', 'c'] as const) {
        assert.equal(await swOf(open(s, rogue, 1, variant)), SW_SECURITY);
      }
      assert.equal(s.card.isd.session, undefined);
      // and it cannot change the list for itself
      assert.equal((await storeAllowlist(s.channel, 0x11, 1, [ROGUE])).sw, SW_SECURITY);
      assert.equal(s.store.saves, 0);
      assert.equal(encodeCardImage(s.card.image), before);
    });

    it('accepts the listed OCE; an absent list accepts any chain-valid OCE', async () => {
      const s = allowSetup(format, [ALLOWED], `ok-${format}`);
      const scp = await open(s, { pair: s.pki.oce, certificate: s.pki.oceCertificate });
      assert.equal(s.card.isd.session?.info.kid, 0x11);
      assert.ok(scp);
      const open_ = allowSetup(format, undefined, `open-${format}`);
      assert.equal(
        open_.card.image.keySets.some((k) => k.oceAllowlist !== undefined),
        false,
      );
      await open(open_, mint(open_, ROGUE, format));
      assert.ok(open_.card.isd.session);
    });

    it('SCP11a restricted, SCP11c open: PSO passes, the restricted key set refuses at authenticate', async () => {
      const s = allowSetup(format, undefined, `mixed-${format}`);
      const scp = await open(s, { pair: s.pki.oce, certificate: s.pki.oceCertificate });
      assert.equal((await storeAllowlist(scp, 0x11, 1, [ALLOWED])).sw, 0x9000);
      const rogue = mint(s, ROGUE, format);
      assert.equal(await swOf(open(s, rogue, 1)), SW_SECURITY);
      await open(s, rogue, 1, 'c'); // KID 15 has no list
      assert.equal(s.card.isd.session?.info.kid, 0x15);
    });

    it('a remote update inside SCP11a replaces the list: old serial refused, new accepted, persisted', async () => {
      const s = allowSetup(format, [ALLOWED], `update-${format}`);
      const scp = await open(s, { pair: s.pki.oce, certificate: s.pki.oceCertificate });
      const sd = s.card.image.keySets.filter((k) => k.kid !== 0x13);
      for (const k of sd) assert.equal((await storeAllowlist(scp, k.kid, k.kvn, [NEXT])).sw, 0x9000);
      assert.equal(s.store.saves, sd.length);
      const stored = decodeCardImage(encodeCardImage(s.store.image!));
      for (const k of stored.keySets.filter((x) => x.kid !== 0x13)) {
        assert.deepEqual(k.oceAllowlist, [NEXT]);
      }
      assert.equal(stored.keySets.find((x) => x.kid === 0x13)!.oceAllowlist, undefined);

      assert.equal(await swOf(open(s, { pair: s.pki.oce, certificate: s.pki.oceCertificate })), SW_SECURITY);
      const next = mint(s, NEXT.subarray(1), format); // the same serial without its sign byte in 7F21
      await open(s, next);
      assert.ok(s.card.isd.session);

      // an empty list clears the restriction: any chain-valid OCE again
      const scp2 = await open(s, next);
      for (const k of sd) assert.equal((await storeAllowlist(scp2, k.kid, k.kvn, [])).sw, 0x9000);
      assert.equal(
        s.card.image.keySets.some((k) => k.oceAllowlist !== undefined),
        false,
      );
      await open(s, mint(s, ROGUE, format));
      assert.ok(s.card.isd.session);
    });
  });
}

describe('OCE allowlist update: refusals', () => {
  it('outside a session 6982; SCP11b key set or unknown key set 6A88; malformed 6A80; a failed write changes nothing', async () => {
    const s = allowSetup('x509', [ALLOWED], 'refusals');
    await selectIsd(s.channel);
    assert.equal((await storeAllowlist(s.channel, 0x11, 1, [NEXT])).sw, SW_SECURITY);
    const scp = await open(s, { pair: s.pki.oce, certificate: s.pki.oceCertificate });
    assert.equal((await storeAllowlist(scp, 0x13, 1, [NEXT])).sw, 0x6a88);
    assert.equal((await storeAllowlist(scp, 0x11, 9, [NEXT])).sw, 0x6a88);
    const bad = Uint8Array.of(0xa6, 0x04, 0x83, 0x02, 0x11, 0x01, 0x70, 0x02, 0x94, 0x00);
    assert.equal(
      (await scp.transmit(command(0x80, INS_STORE_DATA, P1_STORE_DATA_LAST_BERTLV, 0, bad))).sw,
      0x6a80,
    );
    s.store.failNext = true;
    assert.equal((await storeAllowlist(scp, 0x11, 1, [NEXT])).sw, 0x6581);
    assert.deepEqual(s.card.image.keySets.find((k) => k.kid === 0x11 && k.kvn === 1)!.oceAllowlist, [
      ALLOWED,
    ]);
    assert.equal(s.store.saves, 0);
  });
});

// The KID 10 form (yubikit store_allowlist(KeyRef(0x10, kvn), serials)): the list sits on the CA-KLOC key and
// every certificate of the OCE chain it validates must be listed, checked at PERFORM SECURITY OPERATION.
async function openChain(s: AllowSetup, pair: ReturnType<typeof generateKeyPair>, chain: Uint8Array[]) {
  await selectIsd(s.channel);
  const keySet = s.card.image.keySets.find((k) => k.kvn === 1 && k.kid === 0x11)!;
  return openScp11(
    s.channel,
    {
      variant: 'a',
      kvn: 1,
      curve: keySet.keyPair.curve,
      aesKeyLength: 16,
      pkSdEcka: keySet.keyPair.publicKey,
      skOceEcka: pair,
      oceCertificates: chain,
      caKlocReference: { kid: 0x10, kvn: 1 },
    },
    new SeededRandom('open-chain'),
  );
}

function caKlocSetup(format: 'gp' | 'x509', allowlist: Uint8Array[] | undefined, seed: string): AllowSetup {
  const rng = new SeededRandom(seed);
  const pki = makePki(rng, P256, format);
  const image = makeImage(pki, rng, {
    variants: ['a', 'b', 'c'],
    ...(allowlist === undefined ? {} : { caKlocOceAllowlist: allowlist }),
  });
  const store = new MemoryCardStore();
  const card = new VirtualCard(image, { store, clock: new FixedClock(NOW), rng });
  return { pki, card, store, channel: new GetResponseChannel(card) };
}

for (const format of ['gp', 'x509'] as const) {
  describe(`OCE allowlist on the CA-KLOC key, KID 10 (${format} OCE certificates)`, () => {
    it('a remote STORE DATA on KID 10 inside SCP11a restricts PSO: rogue 6982, listed OCE accepted, survives a reload', async () => {
      const s = caKlocSetup(format, undefined, `kid10-${format}`);
      const scp = await open(s, { pair: s.pki.oce, certificate: s.pki.oceCertificate });
      assert.equal((await storeAllowlist(scp, 0x10, 1, [ALLOWED])).sw, 0x9000);
      assert.equal(s.store.saves, 1);
      assert.deepEqual(s.card.image.caKloc[0].oceAllowlist, [ALLOWED]);
      assert.equal(
        s.card.image.keySets.some((k) => k.oceAllowlist !== undefined),
        false,
      );

      const rogue = mint(s, ROGUE, format); // signed by the same CA-KLOC key, serial not listed
      await selectIsd(s.channel);
      const pso = await s.channel.transmit(command(0x80, 0x2a, 0x01, 0x10, rogue.certificate));
      assert.equal(pso.sw, SW_SECURITY);
      for (const variant of ['a', 'c'] as const) {
        assert.equal(await swOf(open(s, rogue, 1, variant)), SW_SECURITY);
      }
      assert.equal(s.card.isd.session, undefined);
      const allowed = await open(s, { pair: s.pki.oce, certificate: s.pki.oceCertificate });
      assert.ok(allowed);
      assert.notEqual(s.card.isd.session, undefined);

      // reload from the store: the list persists on the CA-KLOC entry
      const stored = decodeCardImage(encodeCardImage(s.store.image!));
      assert.deepEqual(stored.caKloc[0].oceAllowlist, [ALLOWED]);
      const rng = new SeededRandom(`reload-${format}`);
      const card = new VirtualCard(stored, { store: s.store, clock: new FixedClock(NOW), rng });
      const r: AllowSetup = { ...s, card, channel: new GetResponseChannel(card) };
      assert.equal(await swOf(open(r, rogue)), SW_SECURITY);
      const scp2 = await open(r, { pair: s.pki.oce, certificate: s.pki.oceCertificate });
      assert.ok(r.card.isd.session);

      // an empty list on KID 10 clears it; an unknown CA-KLOC KVN is 6A88
      assert.equal((await storeAllowlist(scp2, 0x10, 9, [ALLOWED])).sw, 0x6a88);
      assert.equal((await storeAllowlist(scp2, 0x10, 1, [])).sw, 0x9000);
      assert.equal(r.card.image.caKloc[0].oceAllowlist, undefined);
      await open(r, rogue);
      assert.ok(r.card.isd.session);
    });

    it('personalised with the list (card create form): rogue refused at PSO, listed OCE accepted', async () => {
      const s = caKlocSetup(format, [ALLOWED], `kid10-create-${format}`);
      assert.deepEqual(s.card.image.caKloc[0].oceAllowlist, [ALLOWED]);
      const rogue = mint(s, ROGUE, format);
      await selectIsd(s.channel);
      assert.equal(
        (await s.channel.transmit(command(0x80, 0x2a, 0x01, 0x10, rogue.certificate))).sw,
        SW_SECURITY,
      );
      await open(s, { pair: s.pki.oce, certificate: s.pki.oceCertificate });
      assert.ok(s.card.isd.session);
    });
  });
}

describe('OCE allowlist on the CA-KLOC key: every chain certificate must be listed', () => {
  it('an intermediate missing from the list is refused (6982) even when the leaf is listed; all listed passes', async () => {
    const INTERMEDIATE = Uint8Array.of(0x42);
    const LEAF = Uint8Array.of(0x43);
    const build = (list: Uint8Array[]) => {
      const s = caKlocSetup('gp', list, 'kid10-chain');
      const inter = generateKeyPair(P256, new SeededRandom('kid10-intermediate'));
      const chain = [
        issueOce(s.pki.kloc, inter, INTERMEDIATE, 'gp', { keyUsage: 'signature' }),
        issueOce(inter, s.pki.oce, LEAF, 'gp'),
      ];
      return { s, chain };
    };
    const leafOnly = build([LEAF]);
    assert.equal(await swOf(openChain(leafOnly.s, leafOnly.s.pki.oce, leafOnly.chain)), SW_SECURITY);
    assert.equal(leafOnly.s.card.isd.session, undefined);
    const both = build([INTERMEDIATE, LEAF]);
    await openChain(both.s, both.s.pki.oce, both.chain);
    assert.equal(both.s.card.isd.session?.info.kid, 0x11);
  });
});
