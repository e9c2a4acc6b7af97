import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../src/crypto/index.js';
import { FixedClock } from '../../src/ports/index.js';
import { CertificateError, trustAnchor } from '../../src/pki/index.js';
import { StaticSecretCache } from '../../src/gp/index.js';
import { MemoryCardStore, VirtualCard } from '../../src/card/index.js';
import { GetResponseChannel, isScriptSuccess, type CardChannel } from '../../src/iso7816/index.js';
import {
  DEFAULT_POLICY,
  KeyUpdateSession,
  prepareSessionConfig,
  type SessionConfig,
} from '../../src/server/index.js';
import { NOW, setup } from '../card/support/fixture.js';

function configOf(s: ReturnType<typeof setup>): SessionConfig {
  return {
    oce: [{ keyPair: s.pki.oce, certificates: [s.pki.oceCertificate] }],
    cardIssuers: [trustAnchor(s.pki.klcc.curve, s.pki.klcc.publicKey)],
    policy: DEFAULT_POLICY,
    clock: new FixedClock(NOW),
    rng: new SeededRandom('server'),
  };
}

async function update(
  s: ReturnType<typeof setup>,
  config: SessionConfig,
  channel: CardChannel,
  keyVersion: number,
) {
  const r = new SeededRandom(`keys-${keyVersion}`);
  const session = new KeyUpdateSession(
    s.image.eid,
    {
      iccid: s.image.profiles[0].iccid,
      algorithm: 'milenage',
      keyVersion,
      transactionId: r.randomBytes(16),
      openKeys: () => ({ k: r.randomBytes(16), opc: r.randomBytes(16) }),
      recover: false,
    },
    config,
    { beforeRequest: async () => {} },
  );
  let commands = session.start();
  for (;;) {
    const responses = [];
    for (const c of commands) {
      const answer = await channel.transmit(c);
      responses.push(answer);
      if (!isScriptSuccess(answer.sw)) break;
    }
    const step = await session.next({ executed: responses.length, responses });
    if (step.kind === 'done') return step.outcome;
    commands = step.commands;
  }
}

describe('session configuration prepared once', () => {
  it('decodes each OCE chain once and gives every session the same ShSs cache', async () => {
    const s = setup('session-config-1');
    const config = prepareSessionConfig(configOf(s));
    assert.equal(prepareSessionConfig(config), config, 'a prepared config is taken as it is');
    assert.deepEqual(config.oce[0].chain[0].raw, s.pki.oceCertificate);
    assert.equal(config.staticSecrets.size, 0);
    const cardSecrets = new StaticSecretCache();
    for (const keyVersion of [2, 3]) {
      // a fresh card object each time, sharing its ShSs cache (as the bench does)
      const card = new VirtualCard(s.card.image, {
        store: new MemoryCardStore(),
        clock: new FixedClock(NOW),
        rng: new SeededRandom(`card-${keyVersion}`),
        staticSecrets: cardSecrets,
      });
      const outcome = await update(s, config, new GetResponseChannel(card), keyVersion);
      assert.equal(outcome.kind, 'applied');
      s.card = card;
    }
    assert.equal(config.staticSecrets.size, 1, 'one (SK.OCE.ECKA, PK.SD.ECKA) pair');
    assert.equal(cardSecrets.size, 1, 'one (SK.SD.ECKA, PK.OCE.ECKA) pair');
  });

  it('keeps a given ShSs cache and refuses an OCE certificate that does not decode', () => {
    const s = setup('session-config-2');
    const staticSecrets = new StaticSecretCache(8);
    assert.equal(prepareSessionConfig({ ...configOf(s), staticSecrets }).staticSecrets, staticSecrets);
    const broken = {
      ...configOf(s),
      oce: [{ keyPair: s.pki.oce, certificates: [Uint8Array.of(0x30, 0x01)] }],
    };
    assert.throws(() => prepareSessionConfig(broken), CertificateError);
  });
});
