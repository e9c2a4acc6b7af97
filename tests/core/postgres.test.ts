// The same attach flow with the HSS on PostgreSQL (tests/hss/backends.ts: 127.0.0.1:5432, database test, a
// schema of its own dropped at the end); skipped with a message only when PostgreSQL cannot be reached.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../src/crypto/index.js';
import { UsimSqnArray } from '../../src/aka/index.js';
import { attach } from '../../src/ue/index.js';
import { backends } from '../hss/backends.js';
import { cardOf, newCard, startNetwork, type Network } from './support/network.js';

const postgres = backends().find((b) => b.name === 'postgres')!;

describe('core attach with the HSS on PostgreSQL', { skip: postgres.skip }, () => {
  let net: Network;
  before(async () => {
    net = await startNetwork({ db: postgres.newDatabase(), seed: 'pg' });
  });
  after(async () => {
    await net.close();
    await postgres.cleanup();
  });

  it('attaches, resynchronises a card whose SQN is ahead, and rejects a clone', async () => {
    const ue = newCard('ue-pg');
    await net.provision(ue.image);
    const [p0, p1] = ue.image.profiles;
    const ok = await attach(ue.channel, { iccid: p0.iccid, coreUrl: net.coreUrl });
    assert.deepEqual([ok.state, ok.rounds], ['attached', ['success']]);

    const ahead = new UsimSqnArray();
    for (let ind = 0n; ind < 32n; ind++) ahead.accept((7000n << 5n) | ind);
    const pushed = cardOf({ ...ue.image, profiles: [{ ...p1, sqn: ahead.toJSON() }] });
    const resynced = await attach(pushed.channel, { iccid: p1.iccid, coreUrl: net.coreUrl });
    assert.deepEqual([resynced.state, resynced.rounds], ['attached', ['sync-failure', 'success']]);

    const other = new SeededRandom('pg-clone');
    const clone = cardOf({
      ...ue.image,
      profiles: [{ ...p0, keys: { ...p0.keys, k: other.randomBytes(16), opc: other.randomBytes(16) } }],
    });
    const rejected = await attach(clone.channel, { iccid: p0.iccid, coreUrl: net.coreUrl });
    assert.deepEqual([rejected.state, rejected.rounds], ['rejected', ['mac-failure', 'mac-failure']]);
  });
});
