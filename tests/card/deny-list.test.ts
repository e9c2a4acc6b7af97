// Issue 13, revocation published to cards: inside an authenticated SCP11a/c session the server adds serials to
// the card's deny list or replaces it (STORE DATA BF74). Afterwards an OCE certificate whose serial is denied is
// refused at PERFORM SECURITY OPERATION with 6982 although its chain validates. Outside SCP11: 6982; malformed:
// 6A80; a failed write: 6581 and the old list, and a write stopped at any point leaves the old or the new list.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../../src/bytes/index.js';
import { P256, SeededRandom, generateKeyPair } from '../../src/crypto/index.js';
import { GetResponseChannel, StatusWordError, command, type CardChannel } from '../../src/iso7816/index.js';
import { FixedClock } from '../../src/ports/index.js';
import {
  FileCardStore,
  MemoryCardStore,
  VirtualCard,
  WRITE_POINTS,
  decodeCardImage,
  encodeCardImage,
  loadCardImage,
  type CardStore,
} from '../../src/card/index.js';
import { openScp11, type Scp11Channel } from '../../src/gp/scp11/index.js';
import { INS_STORE_DATA, P1_STORE_DATA_LAST_BERTLV } from '../../src/gp/constants.js';
import { encodeDenyListUpdate } from '../../src/gp/data-objects/index.js';
import { KeyManagementError, updateDenyList } from '../../src/gp/key-management/index.js';
import { issueOce, makeImage, makePki, NOW, selectIsd, type Pki } from './support/fixture.js';

const SW_SECURITY = 0x6982;
const REVOKED = Uint8Array.of(0x66);
const OTHER = Uint8Array.of(0x00, 0x9a); // an X.509 serial with its sign byte

interface Rig {
  pki: Pki;
  card: VirtualCard;
  channel: CardChannel;
}

function rig(format: 'gp' | 'x509', seed: string, store: CardStore = new MemoryCardStore()): Rig {
  const rng = new SeededRandom(seed);
  const pki = makePki(rng, P256, format);
  const image = makeImage(pki, rng, { variants: ['a', 'b', 'c'] });
  const card = new VirtualCard(image, { store, clock: new FixedClock(NOW), rng });
  return { pki, card, channel: new GetResponseChannel(card) };
}

type Oce = { pair: ReturnType<typeof generateKeyPair>; certificate: Uint8Array };

async function open(r: Rig, oce: Oce, variant: 'a' | 'c' = 'a'): Promise<Scp11Channel> {
  await selectIsd(r.channel);
  const keySet = r.card.image.keySets.find((k) => k.kvn === 1 && k.kid === (variant === 'a' ? 0x11 : 0x15))!;
  return openScp11(
    r.channel,
    {
      variant,
      kvn: 1,
      curve: keySet.keyPair.curve,
      aesKeyLength: 16,
      pkSdEcka: keySet.keyPair.publicKey,
      skOceEcka: oce.pair,
      oceCertificates: [oce.certificate],
      caKlocReference: { kid: 0x10, kvn: 1 },
    },
    new SeededRandom('open'),
  );
}

const own = (r: Rig): Oce => ({ pair: r.pki.oce, certificate: r.pki.oceCertificate });

/** An OCE certificate signed by the card's real CA-KLOC key: its chain validates. */
function mint(r: Rig, serial: Uint8Array, format: 'gp' | 'x509'): Oce {
  const pair = generateKeyPair(P256, new SeededRandom(`oce-${toHex(serial)}`));
  return { pair, certificate: issueOce(r.pki.kloc, pair, serial, format) };
}

async function swOf(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 0x9000;
  } catch (e) {
    if (e instanceof StatusWordError || e instanceof KeyManagementError) return e.sw;
    throw e;
  }
}

async function psoSw(r: Rig, oce: Oce): Promise<number> {
  await selectIsd(r.channel);
  return (await r.channel.transmit(command(0x80, 0x2a, 0x01, 0x10, oce.certificate))).sw;
}

const listOf = (serials: readonly Uint8Array[]) => serials.map(toHex);

for (const format of ['gp', 'x509'] as const) {
  describe(`deny list update inside SCP11 (${format} OCE certificates)`, () => {
    it('an added serial is refused at PSO with 6982 although its chain validates; persisted; other OCEs pass', async () => {
      const store = new MemoryCardStore();
      const r = rig(format, `add-${format}`, store);
      const revoked = mint(r, REVOKED, format);
      assert.equal(await psoSw(r, revoked), 0x9000); // valid chain, not yet denied
      await open(r, revoked); // and a session opens with it

      const scp = await open(r, own(r));
      await updateDenyList(scp, [REVOKED], 'add');
      assert.deepEqual(listOf(r.card.image.denyList), ['66']);
      assert.equal(store.saves, 1);
      assert.deepEqual(listOf(decodeCardImage(encodeCardImage(store.image!)).denyList), ['66']);

      assert.equal(await psoSw(r, revoked), SW_SECURITY);
      for (const variant of ['a', 'c'] as const)
        assert.equal(await swOf(open(r, revoked, variant)), SW_SECURITY);
      assert.equal(r.card.isd.session, undefined);

      // adding again (a repeat after a lost answer) changes nothing; another serial joins
      const scp2 = await open(r, own(r), 'c');
      await updateDenyList(scp2, [REVOKED, OTHER], 'add');
      assert.deepEqual(listOf(r.card.image.denyList), ['66', '009a']);
      await open(r, own(r)); // the updating OCE itself is not denied
      assert.ok(r.card.isd.session);

      // a card restarted from the stored image keeps refusing
      const restarted = new VirtualCard(decodeCardImage(encodeCardImage(store.image!)), {
        store,
        clock: new FixedClock(NOW),
        rng: new SeededRandom('restart'),
      });
      const r2: Rig = { ...r, card: restarted, channel: new GetResponseChannel(restarted) };
      assert.equal(await psoSw(r2, revoked), SW_SECURITY);
      assert.equal(await psoSw(r2, mint(r, OTHER.subarray(1), format)), SW_SECURITY);
    });

    it('replace: the new list is the whole list; an empty replace clears it', async () => {
      const r = rig(format, `replace-${format}`);
      const revoked = mint(r, REVOKED, format);
      const other = mint(r, OTHER, format);
      const scp = await open(r, own(r));
      await updateDenyList(scp, [REVOKED], 'add');
      await updateDenyList(scp, [OTHER], 'replace');
      assert.deepEqual(listOf(r.card.image.denyList), ['009a']);
      assert.equal(await psoSw(r, revoked), 0x9000);
      assert.equal(await psoSw(r, other), SW_SECURITY);

      const scp2 = await open(r, own(r));
      await updateDenyList(scp2, [], 'replace');
      assert.deepEqual(r.card.image.denyList, []);
      assert.equal(await psoSw(r, other), 0x9000);
    });

    it('denying the OCE that sent the update: its next session is refused', async () => {
      const r = rig(format, `self-${format}`);
      const scp = await open(r, own(r));
      const serial = Uint8Array.of(0x01); // makePki's OCE certificate is the PKI's first serial
      await updateDenyList(scp, [serial], 'add');
      assert.equal(await swOf(open(r, own(r))), SW_SECURITY);
    });
  });
}

describe('deny list update: refusals', () => {
  const store = (data: Uint8Array) => command(0x80, INS_STORE_DATA, P1_STORE_DATA_LAST_BERTLV, 0, data);
  const update = encodeDenyListUpdate({ mode: 'add', serials: [REVOKED] });

  it('outside SCP11 6982 (nothing stored); malformed 6A80; a failed write 6581 and the old list', async () => {
    const memory = new MemoryCardStore();
    const r = rig('x509', 'refusals', memory);
    await selectIsd(r.channel);
    assert.equal((await r.channel.transmit(store(update))).sw, SW_SECURITY);
    assert.deepEqual(r.card.image.denyList, []);
    assert.equal(memory.saves, 0);

    const scp = await open(r, own(r));
    for (const bad of [
      Uint8Array.of(0xbf, 0x74, 0x03, 0x81, 0x01, 0x09), // unknown mode
      Uint8Array.of(0xbf, 0x74, 0x05, 0x81, 0x01, 0x01, 0x94, 0x00), // not a 93 serial
      Uint8Array.of(0xbf, 0x74, 0x05, 0x81), // truncated
    ]) {
      assert.equal((await scp.transmit(store(bad))).sw, 0x6a80);
    }
    assert.equal(await swOf(updateDenyList(scp, [REVOKED], 'add')), 0x9000);
    memory.failNext = true;
    const failed = await updateDenyList(scp, [OTHER], 'replace').catch((e: unknown) => e);
    assert.ok(failed instanceof KeyManagementError && failed.reason === 'memory' && failed.sw === 0x6581);
    assert.deepEqual(listOf(r.card.image.denyList), ['66']);
    assert.deepEqual(listOf(memory.image!.denyList), ['66']);
    assert.equal(memory.saves, 1);
  });

  it('an SCP11b session (no OCE authentication) is refused with 6982', async () => {
    const r = rig('x509', 'scp11b');
    await selectIsd(r.channel);
    const keySet = r.card.image.keySets.find((k) => k.kid === 0x13)!;
    const scp = await openScp11(
      r.channel,
      {
        variant: 'b',
        kvn: keySet.kvn,
        curve: keySet.keyPair.curve,
        aesKeyLength: 16,
        pkSdEcka: keySet.keyPair.publicKey,
      },
      new SeededRandom('open-b'),
    );
    assert.equal(await swOf(updateDenyList(scp, [REVOKED], 'add')), SW_SECURITY);
    assert.deepEqual(r.card.image.denyList, []);
  });

  for (const point of WRITE_POINTS) {
    it(`FileCardStore stopped at ${point}: the file holds the old or the new list, the card the old`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'ltku-deny-list-'));
      try {
        const path = join(dir, 'card.json');
        let armed = false;
        const file = new FileCardStore(path, (p) => {
          if (armed && p === point) {
            armed = false;
            throw new Error(`stopped at ${p}`);
          }
        });
        const r = rig('x509', `file-${point}`, file);
        file.save(r.card.image);
        const scp = await open(r, own(r));
        await updateDenyList(scp, [REVOKED], 'add');
        const onFile = () => listOf(loadCardImage(path).denyList).join(',');

        armed = true;
        assert.equal(await swOf(updateDenyList(scp, [OTHER], 'replace')), 0x6581);
        assert.ok(['66', '009a'].includes(onFile()), onFile());
        assert.deepEqual(listOf(r.card.image.denyList), ['66']);
        // the same update again completes it
        await updateDenyList(scp, [OTHER], 'replace');
        assert.equal(onFile(), '009a');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
