// Issue 13: card key pinning at the server. An attacker holding the CA-KLCC key can mint a CERT.SD.ECKA for a
// real EID with its own key: the chain validates, but the key is not the card's pin, so the session is refused
// before the card counts as authenticated (attempt counted, alarm raised, job pending, no key moves).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SeededRandom } from '../../src/crypto/index.js';
import { GetResponseChannel } from '../../src/iso7816/index.js';
import { FixedClock } from '../../src/ports/index.js';
import { cardKeyPin, sameCardKeyPin } from '../../src/pki/index.js';
import { MemoryCardStore, VirtualCard, subscribersFile, type CardImage } from '../../src/card/index.js';
import { parsePersonalisationFile } from '../../src/hss/index.js';
import { runRamSession } from '../../src/ue/ram-agent.js';
import {
  Inventory,
  PostgresJobStore,
  ServerConfigError,
  SqliteJobStore,
  openJobStore,
  parseInventoryFile,
  type CardPinStore,
} from '../../src/server/index.js';
import { NOW, makeImage, makePki } from '../card/support/fixture.js';
import { runCli } from '../helpers/cli.js';
import { assertKeysUntouched, newJob, tempDir, world, type World } from './support/world.js';
import { PG_BASE, pgSkip } from './support/pg.js';

const PAST_ANY_BACKOFF_MS = 5 * 60_000 + 1;

/** The attacker's card: the real EID, its own SD keys, certified by the real (compromised) CA-KLCC. */
function forgedCard(w: World, seed: string): VirtualCard {
  const forged = makeImage(w.s.pki, new SeededRandom(seed), { eid: w.s.image.eid });
  const image: CardImage = { ...w.s.image, keySets: forged.keySets };
  for (const [i, ks] of image.keySets.entries()) {
    assert.notDeepEqual(ks.keyPair.publicKey, w.s.image.keySets[i].keyPair.publicKey, 'another SD key');
  }
  return new VirtualCard(image, {
    store: new MemoryCardStore(),
    clock: new FixedClock(NOW),
    rng: new SeededRandom(`${seed}-card`),
  });
}

async function runAgainst(w: World, card: VirtualCard): Promise<void> {
  await runRamSession({
    url: w.server.ramUrl,
    eid: w.s.image.eid,
    channel: new GetResponseChannel(card),
  }).catch(() => undefined);
}

async function alarmsMetric(w: World): Promise<string> {
  return w.server.metrics.registry.getSingleMetricAsString('ltku_server_security_alarms_total');
}

describe('card key pinning (issue 13)', () => {
  it('refuses a card certificate a compromised CA-KLCC minted for a real EID; the real card then completes', async () => {
    const w = await world('pin-1');
    try {
      const profile = w.s.image.profiles[0];
      const job = await newJob(w, { iccid: profile.iccid });
      const attacker = forgedCard(w, 'pin-1-attacker');
      await runAgainst(w, attacker);
      const view = await w.server.jobs.get(job.id);
      assert.equal(view.state, 'pending');
      assert.equal(view.attempts, 1);
      // The chain validated (else the failure would be 'certificate'): only the pin stopped it.
      assert.match(view.lastAttemptError ?? '', /^card-pin: /, view.lastAttemptError);
      assert.equal(view.securityAlarm, true);
      assert.equal(w.server.jobs.securityAlarms, 1);
      assert.match(await alarmsMetric(w), /ltku_server_security_alarms_total 1\b/);
      const alarms = w.logs.filter((l) => l.includes('"card-pin-mismatch"'));
      assert.equal(alarms.length, 1);
      assert.match(alarms[0], /"event":"security-alarm"/);
      await assertKeysUntouched(w, attacker.image.profiles[0].keyVersion, profile.imsi);
      assert.equal(w.s.card.image.profiles[0].keyVersion, 1);
      // The real card, past the backoff, gets its update.
      w.clock.advance(PAST_ANY_BACKOFF_MS);
      await runRamSession({ url: w.server.ramUrl, eid: w.s.image.eid, channel: w.s.channel });
      const done = await w.server.jobs.get(job.id);
      assert.equal(done.state, 'completed');
      assert.equal(done.attempts, 1);
      assert.equal(w.s.card.image.profiles[0].keyVersion, 2);
      assert.equal((await w.hss.getSubscriber(profile.imsi)).activeVersion, 2);
    } finally {
      await w.close();
    }
  });

  it('refuses a card without a pin under the default policy (attempt counted, no alarm)', async () => {
    const w = await world('pin-2', { unpinned: true });
    try {
      const profile = w.s.image.profiles[0];
      const job = await newJob(w, { iccid: profile.iccid });
      await runAgainst(w, w.s.card);
      const view = await w.server.jobs.get(job.id);
      assert.equal(view.state, 'pending');
      assert.equal(view.attempts, 1);
      assert.match(view.lastAttemptError ?? '', /^card-unpinned: /, view.lastAttemptError);
      assert.equal(view.securityAlarm, false);
      assert.equal(w.server.jobs.securityAlarms, 0);
      await assertKeysUntouched(w, w.s.card.image.profiles[0].keyVersion, profile.imsi);
    } finally {
      await w.close();
    }
  });

  it('tofu: pins the first card seen and then refuses another key for its EID', async () => {
    const store = new SqliteJobStore(':memory:');
    const w = await world('pin-3', { unpinned: true, store, session: { unpinnedCards: 'tofu' } });
    try {
      const eid = w.s.image.eid;
      const [first, second] = w.s.image.profiles;
      assert.equal(await store.cardPin(eid), undefined);
      const job1 = await newJob(w, { iccid: first.iccid });
      await runRamSession({ url: w.server.ramUrl, eid, channel: w.s.channel });
      assert.equal((await w.server.jobs.get(job1.id)).state, 'completed');
      const pinned = await store.cardPin(eid);
      assert.ok(pinned !== undefined, 'the first card was pinned');
      assert.ok(
        w.s.image.keySets.some((ks) =>
          sameCardKeyPin(pinned, cardKeyPin(ks.kid, ks.kvn, ks.keyPair.publicKey)),
        ),
        'with the key of one of its key sets',
      );

      const job2 = await newJob(w, { iccid: second.iccid });
      const attacker = forgedCard(w, 'pin-3-attacker');
      await runAgainst(w, attacker);
      const view = await w.server.jobs.get(job2.id);
      assert.equal(view.state, 'pending');
      assert.equal(view.attempts, 1);
      assert.match(view.lastAttemptError ?? '', /^card-pin: /, view.lastAttemptError);
      assert.equal(view.securityAlarm, true);
      assert.equal(w.server.jobs.securityAlarms, 1);
      assert.ok(sameCardKeyPin((await store.cardPin(eid)) as typeof pinned, pinned), 'the pin stays');
      await assertKeysUntouched(w, attacker.image.profiles[1].keyVersion, second.imsi);
      w.clock.advance(PAST_ANY_BACKOFF_MS);
      await runRamSession({ url: w.server.ramUrl, eid, channel: w.s.channel });
      assert.equal((await w.server.jobs.get(job2.id)).state, 'completed');
    } finally {
      await w.close();
    }
  });
});

describe('card key pins in the personalisation file', () => {
  const rng = new SeededRandom('pin-file');
  const image = makeImage(makePki(rng), rng);
  const file = subscribersFile(image) as Record<string, unknown>;

  it('records SHA-256 of each key set PK.SD.ECKA; the server inventory and the HSS import read the file', () => {
    const entries = parseInventoryFile(JSON.stringify(file));
    const pins = new Inventory(entries).pinsOf(image.eid);
    assert.equal(pins.length, image.keySets.length);
    for (const ks of image.keySets) {
      assert.ok(pins.some((p) => sameCardKeyPin(p, cardKeyPin(ks.kid, ks.kvn, ks.keyPair.publicKey))));
    }
    assert.equal(parsePersonalisationFile(JSON.stringify(file)).subscribers.length, image.profiles.length);
  });

  it('reads files written before pinning (no pins) and names a malformed pin field', () => {
    const old = { ...file, cardKeyPins: undefined };
    const entries = parseInventoryFile(JSON.stringify(old));
    assert.equal(entries[0].cardKeyPins, undefined);
    assert.deepEqual(new Inventory(entries).pinsOf(image.eid), []);
    const bad = { ...file, cardKeyPins: [{ kid: 0x11, kvn: 1, pkSdEckaSha256: 'abcd' }] };
    assert.throws(
      () => parseInventoryFile(JSON.stringify(bad), 'f.json'),
      (e: Error) => e instanceof ServerConfigError && /cardKeyPins\[0\]\.pkSdEckaSha256/.test(e.message),
    );
    assert.throws(
      () => parseInventoryFile(JSON.stringify({ ...file, cardKeyPins: [{ kid: 300, kvn: 1 }] })),
      /cardKeyPins\[0\]: kid and kvn/,
    );
  });
});

/** First writer wins, and the pin survives a restart. */
async function pinStoreContract(
  store: CardPinStore,
  reopen: () => Promise<CardPinStore & { close(): Promise<void> }>,
) {
  const eid = '89049032123451234512345678901235';
  const a = cardKeyPin(0x11, 1, Uint8Array.of(4, 1, 2, 3));
  const b = cardKeyPin(0x11, 1, Uint8Array.of(4, 9, 9, 9));
  assert.equal(await store.cardPin(eid), undefined);
  assert.ok(sameCardKeyPin(await store.pinCard(eid, a, NOW.toISOString()), a));
  assert.ok(sameCardKeyPin(await store.pinCard(eid, b, NOW.toISOString()), a), 'the first pin stays');
  const again = await reopen();
  try {
    assert.ok(sameCardKeyPin((await again.cardPin(eid)) as typeof a, a));
  } finally {
    await again.close();
  }
}

describe('first-use pin store', () => {
  it('SQLite: first writer wins; kept across a reopen', async () => {
    const path = join(tempDir('ltku-pins-'), 'server.sqlite');
    const store = new SqliteJobStore(path);
    try {
      await pinStoreContract(store, async () => new SqliteJobStore(path));
    } finally {
      await store.close();
    }
  });

  it('PostgreSQL: first writer wins; kept across a reopen', { skip: pgSkip }, async () => {
    const url = `${PG_BASE}?schema=server_pins_${process.pid}`;
    const store = (await openJobStore(url)) as PostgresJobStore;
    try {
      await pinStoreContract(store, async () => (await openJobStore(url)) as PostgresJobStore);
    } finally {
      await store.dropSchema();
      await store.close();
    }
  });
});

describe('ltku server serve --unpinned-cards', () => {
  it('takes refuse or tofu only', async () => {
    const r = await runCli([
      'server',
      'serve',
      '--pki',
      join(tempDir('ltku-pins-cli-'), 'pki'),
      '--hss',
      'http://127.0.0.1:1',
      '--unpinned-cards',
      'maybe',
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--unpinned-cards: expected refuse or tofu/);
  });
});
