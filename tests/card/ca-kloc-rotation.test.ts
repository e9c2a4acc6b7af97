// Issue 13: CA-KLOC rotation on the card (GPC 2.3 11.8 PUT KEY, 11.2 DELETE). Inside SCP11a opened with the old
// CA's OCE the host adds the new CA-KLOC key and deletes the old one; the old CA's OCE certificates are then
// refused at PERFORM SECURITY OPERATION, the new CA's accepted. A lost answer is recovered by repeating the
// command (PUT KEY: 9000 again; DELETE: 6A88, then 00E0 shows the key gone); a failed write at any point
// leaves the old or the new set of CA-KLOC keys, never none.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BRAINPOOL_P256R1,
  P256,
  SeededRandom,
  generateKeyPair,
  type EcKeyPair,
} from '../../src/crypto/index.js';
import {
  GetResponseChannel,
  StatusWordError,
  command,
  type CardChannel,
  type CommandApdu,
  type ResponseApdu,
} from '../../src/iso7816/index.js';
import { FixedClock } from '../../src/ports/index.js';
import {
  FileCardStore,
  MemoryCardStore,
  VirtualCard,
  WRITE_POINTS,
  encodeCardImage,
  loadCardImage,
  type CardStore,
} from '../../src/card/index.js';
import { openScp11, type Scp11Channel } from '../../src/gp/scp11/index.js';
import { getDataCommand } from '../../src/gp/get-data.js';
import { INS_DELETE, INS_PUT_KEY, TAG_CA_KLOC_IDS } from '../../src/gp/constants.js';
import { decodeCaKlocIdentifiers } from '../../src/gp/data-objects/index.js';
import {
  KeyManagementError,
  deleteKey,
  encodeDeleteKey,
  encodePutKeyEcPublic,
  putCaKlocKey,
  readCaKlocKeys,
} from '../../src/gp/key-management/index.js';
import { caKeyId } from '../../src/pki/index.js';
import { issueOce, makeImage, makePki, NOW, selectIsd, type Pki } from './support/fixture.js';

const KID_CA_KLOC = 0x10;
const OLD = 1;
const NEW = 2;

/** Drops the card's answer to the next command (the card has processed it): a lost answer. */
class LossyChannel implements CardChannel {
  dropNext = false;
  constructor(readonly inner: CardChannel) {}
  async transmit(c: CommandApdu): Promise<ResponseApdu> {
    const response = await this.inner.transmit(c);
    if (this.dropNext) {
      this.dropNext = false;
      throw new Error('answer lost');
    }
    return response;
  }
}

interface Rig {
  pki: Pki;
  card: VirtualCard;
  channel: LossyChannel;
  next: EcKeyPair;
  format: 'gp' | 'x509';
}

function rig(format: 'gp' | 'x509', seed: string, store: CardStore = new MemoryCardStore()): Rig {
  const rng = new SeededRandom(seed);
  const pki = makePki(rng, P256, format);
  const card = new VirtualCard(makeImage(pki, rng, { variants: ['a', 'b', 'c'] }), {
    store,
    clock: new FixedClock(NOW),
    rng,
  });
  const next = generateKeyPair(BRAINPOOL_P256R1, new SeededRandom(`${seed}-next-ca`));
  return { pki, card, channel: new LossyChannel(new GetResponseChannel(card)), next, format };
}

function oceOf(r: Rig, ca: EcKeyPair, serial: number) {
  const pair = generateKeyPair(P256, new SeededRandom(`oce-${serial}`));
  return { pair, certificate: issueOce(ca, pair, Uint8Array.of(serial), r.format) };
}

async function open(
  r: Rig,
  oce: { pair: EcKeyPair; certificate: Uint8Array },
  caKvn: number,
  variant: 'a' | 'c' = 'a',
): Promise<Scp11Channel> {
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
      caKlocReference: { kid: KID_CA_KLOC, kvn: caKvn },
    },
    new SeededRandom(`open-${caKvn}`),
  );
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

const kvns = (r: Rig) => r.card.image.caKloc.map((c) => c.kvn);
const newKey = (r: Rig, replaceKvn?: number) => ({
  kvn: NEW,
  curve: r.next.curve,
  publicKey: r.next.publicKey,
  ...(replaceKvn === undefined ? {} : { replaceKvn }),
});

// GPC Amd F 7.4.2: the KVN of the CA-KLOC key whose identifier (SHA-1 of its point) is that of `ca`
async function caKlocKvnOf(channel: CardChannel, ca: EcKeyPair): Promise<number | undefined> {
  const ff33 = await channel.transmit(getDataCommand(TAG_CA_KLOC_IDS));
  assert.equal(ff33.sw, 0x9000);
  const want = caKeyId(ca.publicKey);
  return decodeCaKlocIdentifiers(ff33.data).find((i) => Buffer.compare(i.keyId, want) === 0)?.kvn;
}

for (const format of ['gp', 'x509'] as const) {
  describe(`CA-KLOC rotation (${format} OCE certificates)`, () => {
    it('add the new CA-KLOC, delete the old: old-CA OCE refused at PSO, new-CA OCE found via FF33 and accepted', async () => {
      const r = rig(format, `rotate-${format}`);
      const scp = await open(r, { pair: r.pki.oce, certificate: r.pki.oceCertificate }, OLD);
      await putCaKlocKey(scp, newKey(r));
      assert.deepEqual(kvns(r), [OLD, NEW]);
      assert.deepEqual(await readCaKlocKeys(scp), [
        { kvn: OLD, curveId: P256.gpId },
        { kvn: NEW, curveId: BRAINPOOL_P256R1.gpId },
      ]);
      await deleteKey(scp, { kid: KID_CA_KLOC, kvn: OLD });
      assert.deepEqual(kvns(r), [NEW]);

      // the old CA's OCE: its KVN is gone (6A88); sent under the new KVN its chain does not validate (6982)
      await selectIsd(r.channel);
      const old = r.pki.oceCertificate;
      assert.equal((await r.channel.transmit(command(0x80, 0x2a, OLD, KID_CA_KLOC, old))).sw, 0x6a88);
      assert.equal((await r.channel.transmit(command(0x80, 0x2a, NEW, KID_CA_KLOC, old))).sw, 0x6982);
      assert.equal(await swOf(open(r, { pair: r.pki.oce, certificate: old }, OLD)), 0x6a88);
      assert.equal(await swOf(open(r, { pair: r.pki.oce, certificate: old }, NEW)), 0x6982);
      // an OCE certificate freshly minted by the old CA key fares no better
      assert.equal(await swOf(open(r, oceOf(r, r.pki.kloc, 0x41), NEW)), 0x6982);
      assert.equal(r.card.isd.session, undefined);

      // the new CA's OCE: its CA-KLOC reference read from FF33
      const kvn = await caKlocKvnOf(r.channel, r.next);
      assert.equal(kvn, NEW);
      assert.equal(await caKlocKvnOf(r.channel, r.pki.kloc), undefined);
      for (const variant of ['a', 'c'] as const) {
        await open(r, oceOf(r, r.next, 0x42), kvn!, variant);
        const session = (r.card as VirtualCard).isd.session;
        assert.equal(session?.info.kid, variant === 'a' ? 0x11 : 0x15);
      }
    });

    it('PUT KEY with P1 = old KVN replaces the old key in one write', async () => {
      const store = new MemoryCardStore();
      const r2 = rig(format, `replace-${format}`, store);
      const scp = await open(r2, { pair: r2.pki.oce, certificate: r2.pki.oceCertificate }, OLD);
      await putCaKlocKey(scp, newKey(r2, OLD));
      assert.deepEqual(kvns(r2), [NEW]);
      assert.equal(store.saves, 1);
      assert.deepEqual(
        store.image!.caKloc.map((c) => c.kvn),
        [NEW],
      );
      assert.equal(
        await swOf(open(r2, { pair: r2.pki.oce, certificate: r2.pki.oceCertificate }, OLD)),
        0x6a88,
      );
      await open(r2, oceOf(r2, r2.next, 0x43), NEW);
      assert.ok(r2.card.isd.session);
    });
  });
}

describe('CA-KLOC rotation: lost answers', () => {
  it('a repeated PUT KEY answers 9000 again; a repeated DELETE 6A88, and 00E0 shows the key gone', async () => {
    const store = new MemoryCardStore();
    const r = rig('x509', 'lost', store);
    let scp = await open(r, { pair: r.pki.oce, certificate: r.pki.oceCertificate }, OLD);
    r.channel.dropNext = true;
    await assert.rejects(putCaKlocKey(scp, newKey(r)), /answer lost/);
    assert.deepEqual(kvns(r), [OLD, NEW]);
    // the host does not know: it opens a new session and sends the same PUT KEY
    scp = await open(r, { pair: r.pki.oce, certificate: r.pki.oceCertificate }, OLD);
    await putCaKlocKey(scp, newKey(r));
    assert.deepEqual(kvns(r), [OLD, NEW]);
    assert.equal(store.saves, 1);

    r.channel.dropNext = true;
    await assert.rejects(deleteKey(scp, { kid: KID_CA_KLOC, kvn: OLD }), /answer lost/);
    assert.deepEqual(kvns(r), [NEW]);
    // the old CA's OCE no longer opens a session: the host uses the new CA's
    scp = await open(r, oceOf(r, r.next, 0x44), NEW);
    const again = await deleteKey(scp, { kid: KID_CA_KLOC, kvn: OLD }).catch((e: unknown) => e);
    assert.ok(again instanceof KeyManagementError);
    assert.equal(again.reason, 'not-found');
    assert.equal(again.sw, 0x6a88);
    assert.deepEqual(
      (await readCaKlocKeys(scp)).map((k) => k.kvn),
      [NEW],
    );
    assert.equal(store.saves, 2);
    // a replace repeated after it happened: 9000, nothing written
    await putCaKlocKey(scp, newKey(r, OLD));
    assert.equal(store.saves, 2);
  });
});

describe('CA-KLOC rotation: failed writes', () => {
  it('MemoryCardStore failure at PUT KEY and at DELETE: 6581, the set unchanged, never none', async () => {
    const store = new MemoryCardStore();
    const r = rig('gp', 'fail', store);
    const scp = await open(r, { pair: r.pki.oce, certificate: r.pki.oceCertificate }, OLD);
    const before = encodeCardImage(r.card.image);
    store.failNext = true;
    const put = await putCaKlocKey(scp, newKey(r)).catch((e: unknown) => e);
    assert.ok(put instanceof KeyManagementError && put.reason === 'memory' && put.sw === 0x6581);
    assert.equal(encodeCardImage(r.card.image), before);
    assert.equal(store.saves, 0);
    await putCaKlocKey(scp, newKey(r));
    store.failNext = true;
    assert.equal(await swOf(deleteKey(scp, { kid: KID_CA_KLOC, kvn: OLD })), 0x6581);
    assert.deepEqual(kvns(r), [OLD, NEW]);
    assert.deepEqual(
      store.image!.caKloc.map((c) => c.kvn),
      [OLD, NEW],
    );
    store.failNext = true;
    assert.equal(await swOf(putCaKlocKey(scp, { ...newKey(r, OLD), kvn: 3 })), 0x6581);
    assert.deepEqual(kvns(r), [OLD, NEW]);
  });

  for (const point of WRITE_POINTS) {
    it(`FileCardStore stopped at ${point}: the file holds the old or the new CA-KLOC set`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'ltku-ca-kloc-'));
      try {
        const path = join(dir, 'card.json');
        let armed = false;
        const store = new FileCardStore(path, (p) => {
          if (armed && p === point) {
            armed = false;
            throw new Error(`stopped at ${p}`);
          }
        });
        const r = rig('x509', `file-${point}`, store);
        store.save(r.card.image);
        const scp = await open(r, { pair: r.pki.oce, certificate: r.pki.oceCertificate }, OLD);
        const onFile = () => loadCardImage(path).caKloc.map((c) => c.kvn);

        armed = true;
        const put = await swOf(putCaKlocKey(scp, newKey(r)));
        const afterPut = onFile();
        assert.ok(
          [[OLD], [OLD, NEW]].some((s) => JSON.stringify(s) === JSON.stringify(afterPut)),
          `${afterPut}`,
        );
        // the card answered 6581 and kept its old set in memory
        assert.equal(put, 0x6581);
        assert.deepEqual(kvns(r), [OLD]);
        await putCaKlocKey(scp, newKey(r));
        assert.deepEqual(onFile(), [OLD, NEW]);

        armed = true;
        assert.equal(await swOf(deleteKey(scp, { kid: KID_CA_KLOC, kvn: OLD })), 0x6581);
        const afterDelete = onFile();
        assert.ok(
          [[OLD, NEW], [NEW]].some((s) => JSON.stringify(s) === JSON.stringify(afterDelete)),
          `${afterDelete}`,
        );
        assert.deepEqual(kvns(r), [OLD, NEW]);
        // a repeat completes it (or finds it done on a card restarted from the file)
        await deleteKey(scp, { kid: KID_CA_KLOC, kvn: OLD });
        assert.deepEqual(onFile(), [NEW]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

describe('CA-KLOC rotation: refusals', () => {
  const put = (p1: number, data: Uint8Array) => command(0x80, INS_PUT_KEY, p1, KID_CA_KLOC, data);
  const del = (kvn: number) => command(0x80, INS_DELETE, 0, 0, encodeDeleteKey({ kid: KID_CA_KLOC, kvn }));

  it('outside SCP11, or in SCP11b: 6982, nothing changed', async () => {
    const store = new MemoryCardStore();
    const r = rig('x509', 'outside', store);
    const data = encodePutKeyEcPublic({ kvn: NEW, curveId: r.next.curve.gpId, publicKey: r.next.publicKey });
    await selectIsd(r.channel);
    assert.equal((await r.channel.transmit(put(0, data))).sw, 0x6982);
    assert.equal((await r.channel.transmit(del(OLD))).sw, 0x6982);
    await selectIsd(r.channel);
    const sdB = r.card.image.keySets.find((k) => k.kid === 0x13)!;
    const scpB = await openScp11(
      r.channel,
      {
        variant: 'b',
        kvn: sdB.kvn,
        curve: sdB.keyPair.curve,
        aesKeyLength: 16,
        pkSdEcka: sdB.keyPair.publicKey,
      },
      new SeededRandom('b'),
    );
    const e = await putCaKlocKey(scpB, newKey(r)).catch((x: unknown) => x);
    assert.ok(e instanceof KeyManagementError && e.reason === 'security' && e.sw === 0x6982);
    assert.equal((await scpB.transmit(del(OLD))).sw, 0x6982);
    assert.deepEqual(kvns(r), [OLD]);
    assert.equal(store.saves, 0);
  });

  it('the last CA-KLOC 6985; unknown KVN 6A88; malformed, unknown curve, off-curve point, KVN taken 6A80', async () => {
    const store = new MemoryCardStore();
    const r = rig('gp', 'refuse', store);
    const scp = await open(r, { pair: r.pki.oce, certificate: r.pki.oceCertificate }, OLD);
    const last = await deleteKey(scp, { kid: KID_CA_KLOC, kvn: OLD }).catch((e: unknown) => e);
    assert.ok(last instanceof KeyManagementError && last.reason === 'conditions' && last.sw === 0x6985);
    assert.equal(await swOf(deleteKey(scp, { kid: KID_CA_KLOC, kvn: 9 })), 0x6a88);
    const deleteLast = command(0x80, INS_DELETE, 0, 0x01, encodeDeleteKey({ kid: KID_CA_KLOC, kvn: OLD }));
    assert.equal((await scp.transmit(deleteLast)).sw, 0x6985); // yubikit's delete_last: still refused
    assert.equal((await scp.transmit({ ...deleteLast, p2: 0x80 })).sw, 0x6a86);
    assert.equal(await swOf(deleteKey(scp, { kid: 0x11, kvn: 1 })), 0x6985); // SCP11 key sets stay
    assert.equal(await swOf(putCaKlocKey(scp, { ...newKey(r), replaceKvn: 9 })), 0x6a88);
    const taken = { kvn: OLD, curve: r.next.curve, publicKey: r.next.publicKey };
    assert.equal(await swOf(putCaKlocKey(scp, taken)), 0x6a80);
    const offCurve = Uint8Array.from(r.next.publicKey);
    offCurve[offCurve.length - 1] ^= 1;
    assert.equal(await swOf(putCaKlocKey(scp, { ...newKey(r), publicKey: offCurve })), 0x6a80);
    const unknownCurve = encodePutKeyEcPublic({ kvn: NEW, curveId: 0x42, publicKey: r.next.publicKey });
    assert.equal((await scp.transmit(put(0, unknownCurve))).sw, 0x6a80);
    const wrongCurve = encodePutKeyEcPublic({ kvn: NEW, curveId: P256.gpId, publicKey: r.next.publicKey });
    assert.equal((await scp.transmit(put(0, wrongCurve))).sw, 0x6a80);
    assert.equal((await scp.transmit(put(0, Uint8Array.of(NEW, 0xb0, 0x01)))).sw, 0x6a80);
    assert.equal(
      (await scp.transmit(command(0x80, INS_DELETE, 0, 0, Uint8Array.of(0xd0, 0x01, 0x10)))).sw,
      0x6a80,
    );
    assert.deepEqual(kvns(r), [OLD]);
    assert.equal(store.saves, 0);
  });
});
