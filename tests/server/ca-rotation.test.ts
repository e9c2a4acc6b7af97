// Issue 13: after `ltku pki rotate` the server holds OCE credentials of both CA-KLOC generations and, per card,
// presents the one whose CA-KLOC the card lists in FF33: a key update succeeds with a card that trusts only
// the old CA-KLOC and with one that trusts only the new one.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SeededRandom, keyCheckValue } from '../../src/crypto/index.js';
import { decodeCertificate } from '../../src/pki/index.js';
import { FixedClock } from '../../src/ports/index.js';
import { isScriptSuccess, type CardChannel, type CommandApdu } from '../../src/iso7816/index.js';
import {
  DEFAULT_POLICY,
  KeyUpdateSession,
  SessionError,
  type KeyUpdateOrder,
  type SessionConfig,
  type SessionOutcome,
} from '../../src/server/index.js';
import { loadServerPki } from '../../src/cli/commands/server/support/server-pki.js';
import { loadCaKey, loadIndex } from '../../src/cli/commands/pki/support/pki-dir.js';
import { NOW, setup } from '../card/support/fixture.js';
import { runPki } from '../pki/run-pki.js';

async function drive(session: KeyUpdateSession, channel: CardChannel): Promise<SessionOutcome> {
  let commands: CommandApdu[] = session.start();
  for (;;) {
    const responses = [];
    for (const c of commands) {
      const r = await channel.transmit(c);
      responses.push(r);
      if (!isScriptSuccess(r.sw)) break;
    }
    const step = await session.next({ executed: responses.length, responses });
    if (step.kind === 'done') return step.outcome;
    commands = step.commands;
  }
}

describe('server with a rotated CA-KLOC (issue 13)', () => {
  let dir: string;
  let trust: ReturnType<typeof loadServerPki>;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ltku-server-rotation-'));
    // the fixture's cards and server live at 2030: certificates valid long enough
    const ok = async (argv: string[]) => {
      const r = await runPki(argv);
      assert.equal(r.code, 0, r.stderr);
    };
    const oce = (out: string) =>
      ok([
        'issue',
        '--dir',
        dir,
        '--role',
        'oce',
        '--format',
        'gp',
        '--days',
        '36500',
        '--out',
        join(dir, out),
      ]);
    await ok(['init', '--dir', dir, '--days', '36500']);
    await oce('oce-g1');
    await ok(['rotate', '--dir', dir, '--days', '36500']);
    await oce('oce-g2');
    trust = loadServerPki(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A card personalised from the PKI directory's CA-KLCC, trusting only the CA-KLOC in `caFile`. */
  function card(seed: string, caFile: string) {
    const index = loadIndex(dir);
    const ca = decodeCertificate(readFileSync(join(dir, caFile)));
    let serial = 100;
    return setup(seed, {
      issuer: {
        keyPair: loadCaKey(dir, index, 'klcc'),
        name: { organization: 'ltku', commonName: index.cas.klcc.name },
        nextSerial: () => Uint8Array.of(serial++),
      },
      trustedOceCas: [{ curve: ca.curve, publicKey: ca.publicKey, name: 'CA-KLOC' }],
    });
  }

  function config(oce: SessionConfig['oce']): SessionConfig {
    return {
      ...trust,
      oce,
      policy: DEFAULT_POLICY,
      clock: new FixedClock(NOW),
      rng: new SeededRandom('server-rotation'),
    };
  }

  function order(s: ReturnType<typeof setup>): KeyUpdateOrder & { keys: { k: Uint8Array; opc: Uint8Array } } {
    const r = new SeededRandom(`keys-${s.image.eid}`);
    const keys = { k: r.randomBytes(16), opc: r.randomBytes(16) };
    return {
      iccid: s.image.profiles[0].iccid,
      algorithm: 'milenage',
      keyVersion: 2,
      transactionId: r.randomBytes(16),
      openKeys: () => ({ k: keys.k.slice(), opc: keys.opc.slice() }),
      recover: false,
      keys,
    };
  }

  async function keyUpdate(s: ReturnType<typeof setup>, oce: SessionConfig['oce']) {
    const o = order(s);
    const outcome = await drive(
      new KeyUpdateSession(s.image.eid, o, config(oce), { beforeRequest: async () => {} }),
      s.channel,
    );
    return { outcome, keys: o.keys };
  }

  it('holds both generations on P-256, the new one first', () => {
    const index = loadIndex(dir);
    assert.equal(trust.oce.length, 2);
    assert.deepEqual(
      trust.oce.map((o) => Buffer.from(decodeCertificate(o.certificates[0]).issuerKeyId!).toString('hex')),
      [index.cas.kloc.keyId, index.previous!.kloc![0].keyId],
    );
  });

  for (const [label, caFile] of [
    ['only the old CA-KLOC', 'ca-kloc.crt'],
    ['only the new CA-KLOC', 'ca-kloc-g2.crt'],
  ] as const) {
    it(`updates the keys of a card that trusts ${label}`, async () => {
      const s = card(`rotation-${caFile}`, caFile);
      const { outcome, keys } = await keyUpdate(s, trust.oce);
      assert.deepEqual(outcome, { kind: 'applied', keyVersion: 2, viaStatus: false });
      const profile = s.card.image.profiles[0];
      assert.equal(profile.keyVersion, 2);
      assert.deepEqual(keyCheckValue(profile.keys.k), keyCheckValue(keys.k));
    });
  }

  it('without the old generation the server cannot serve an old-only card (the choice is what makes it work)', async () => {
    const s = card('rotation-old-only', 'ca-kloc.crt');
    const newOnly = trust.oce.slice(0, 1);
    const { outcome } = await keyUpdate(s, newOnly);
    assert.equal(outcome.kind, 'failed');
    if (outcome.kind === 'failed') {
      assert.ok(outcome.error instanceof SessionError);
      assert.match(outcome.error.message, /FF33 has no matching key id/);
      assert.equal(outcome.authenticated, false);
    }
    assert.equal(s.card.image.profiles[0].keyVersion, 1, 'the card kept its keys');
  });
});
