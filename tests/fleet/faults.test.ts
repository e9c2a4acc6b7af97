// The fleet's fault injection and statistics as units: faults are a function of seed and card only, strike at the
// rate asked, and do what they say (a dropped answer after the server saw the POST, a BF71 POST that never
// leaves, a card write that does not happen and a card that answers nothing after it); nearest-rank percentiles.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryCardStore, type CardImage } from '../../src/card/index.js';
import {
  checkFaultSettings,
  CardPowerLoss,
  CrashingCardStore,
  faultsOfCard,
  faultyFetch,
  FleetConfigError,
  fleetProfileIds,
  percentile,
  PowerLossChannel,
  summarise,
  POST_BF71,
  type FaultKind,
} from '../../src/fleet/index.js';
import { luhnCheckDigit } from '../../src/card/index.js';

const ALL: FaultKind[] = ['drop-after-post', 'lose-bf71', 'card-crash'];

describe('fleet faults', () => {
  it('depend on the seed and the card only, and strike near the rate asked', () => {
    const s = { kinds: ALL, rate: 0.1, seed: 'unit' };
    assert.deepEqual(faultsOfCard(s, 17), faultsOfCard(s, 17));
    const cards = Array.from({ length: 4000 }, (_, i) => faultsOfCard(s, i));
    const drops = cards.filter((c) => c.dropAfterPost !== undefined).length;
    const bf71 = cards.filter((c) => c.loseBf71).length;
    const crash = cards.filter((c) => c.cardCrash).length;
    for (const n of [drops, bf71, crash]) assert.ok(n > 280 && n < 520, `about 400 of 4000: ${n}`);
    const posts = new Set(cards.flatMap((c) => (c.dropAfterPost === undefined ? [] : [c.dropAfterPost])));
    assert.deepEqual([...posts].sort(), [0, 1, 2, 3], 'every POST of a key update gets dropped after');
    assert.notDeepEqual(
      cards.slice(0, 200),
      Array.from({ length: 200 }, (_, i) => faultsOfCard({ ...s, seed: 'other' }, i)),
    );
    assert.equal(faultsOfCard({ ...s, rate: 0 }, 3).cardCrash, false);
    assert.equal(faultsOfCard({ kinds: ['card-crash'], rate: 1, seed: 'x' }, 3).loseBf71, false);
  });

  it('refuses settings out of range, naming them', () => {
    assert.throws(() => checkFaultSettings({ kinds: ALL, rate: 1.5, seed: 'x' }), FleetConfigError);
    assert.throws(() => checkFaultSettings({ kinds: ALL, rate: Number.NaN, seed: 'x' }), /fault rate/);
    assert.throws(
      () => checkFaultSettings({ kinds: ['meteor' as FaultKind], rate: 0.1, seed: 'x' }),
      /"meteor" is not one of/,
    );
    assert.throws(() => checkFaultSettings({ kinds: ALL, rate: 0.1, dropAfterPost: 4, seed: 'x' }), /0\.\.3/);
  });

  it('drop-after-post: the server sees POST k, the UE loses its answer; later POSTs go through', async () => {
    const seen: number[] = [];
    let n = 0;
    const inner = (async () => {
      seen.push(n++);
      return new Response('ok');
    }) as typeof fetch;
    const f = faultyFetch(inner, { dropAfterPost: 1, loseBf71: false, cardCrash: false });
    await f('http://x/');
    await assert.rejects(f('http://x/'), /dropped after POST 1/);
    await f('http://x/');
    assert.deepEqual(seen, [0, 1, 2], 'the dropped POST reached the server');
  });

  it('lose-bf71: the POST carrying BF71 never reaches the server, once', async () => {
    let reached = 0;
    const inner = (async () => {
      reached++;
      return new Response('ok');
    }) as typeof fetch;
    const f = faultyFetch(inner, { loseBf71: true, cardCrash: false });
    for (let i = 0; i < POST_BF71; i++) await f('http://x/');
    await assert.rejects(f('http://x/'), /BF71/);
    assert.equal(reached, POST_BF71);
    await f('http://x/');
    assert.equal(reached, POST_BF71 + 1, 'the resumed session gets through');
  });

  it('card-crash: the armed write does not happen and the card answers nothing until powered on', async () => {
    const inner = new MemoryCardStore();
    const store = new CrashingCardStore(inner);
    const image = { eid: 'x' } as unknown as CardImage;
    store.save(image);
    assert.equal(inner.saves, 1);
    store.arm();
    assert.throws(() => store.save(image), CardPowerLoss);
    assert.equal(inner.saves, 1, 'the write did not happen');
    const card = { transmit: async () => ({ data: new Uint8Array(0), sw: 0x6581 }) };
    const channel = new PowerLossChannel(card, store);
    await assert.rejects(
      channel.transmit({ cla: 0, ins: 0xa4, p1: 0, p2: 0, data: new Uint8Array(0) }),
      CardPowerLoss,
    );
    store.powerOn();
    assert.equal(
      (await channel.transmit({ cla: 0, ins: 0xa4, p1: 0, p2: 0, data: new Uint8Array(0) })).sw,
      0x6581,
    );
    store.save(image);
    assert.equal(inner.saves, 2, 'one crash only');
  });
});

describe('fleet numbering and statistics', () => {
  it('numbers IMSIs and ICCIDs (Luhn) without collisions', () => {
    const n = { imsiPrefix: '00101', firstMsin: 0 };
    assert.deepEqual(fleetProfileIds(n, 0), {
      imsi: '001010000000000',
      iccid: '890100000000000000' + luhnCheckDigit('890100000000000000'),
    });
    const ids = Array.from({ length: 10_000 }, (_, i) => fleetProfileIds(n, i));
    assert.equal(new Set(ids.map((x) => x.imsi)).size, 10_000);
    assert.equal(new Set(ids.map((x) => x.iccid)).size, 10_000);
    assert.ok(ids.every((x) => x.iccid.length === 19 && x.imsi.length === 15));
    assert.throws(() => fleetProfileIds({ imsiPrefix: '001010', firstMsin: 999_999_999 }, 1), /MSIN/);
  });

  it('nearest-rank percentiles', () => {
    const v = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentile(v, 50), 50);
    assert.equal(percentile(v, 95), 95);
    assert.equal(percentile(v, 99), 99);
    assert.equal(percentile([7], 99), 7);
    assert.ok(Number.isNaN(percentile([], 50)));
    assert.deepEqual(summarise([3, 1, 2]), { count: 3, p50: 2, p95: 3, p99: 3, max: 3 });
  });
});
