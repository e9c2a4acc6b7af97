import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom, keyCheckValue } from '../../src/crypto/index.js';
import { FixedClock } from '../../src/ports/index.js';
import { trustAnchor } from '../../src/pki/index.js';
import { isScriptSuccess, type CardChannel, type CommandApdu } from '../../src/iso7816/index.js';
import { INS_STORE_DATA, OUTCOME_VERSION_NOT_NEWER } from '../../src/gp/index.js';
import {
  DEFAULT_POLICY,
  KeyUpdateSession,
  type KeyUpdateOrder,
  type PlainKeys,
  type SessionConfig,
  type SessionOutcome,
} from '../../src/server/index.js';
import { NOW, setup } from '../card/support/fixture.js';

async function run(channel: CardChannel, commands: CommandApdu[]) {
  const responses = [];
  for (const c of commands) {
    const r = await channel.transmit(c);
    responses.push(r);
    if (!isScriptSuccess(r.sw)) break;
  }
  return { executed: responses.length, responses };
}

function configOf(s: ReturnType<typeof setup>, overrides: Partial<SessionConfig> = {}): SessionConfig {
  return {
    oce: [{ keyPair: s.pki.oce, certificates: [s.pki.oceCertificate] }],
    cardIssuers: [trustAnchor(s.pki.klcc.curve, s.pki.klcc.publicKey)],
    policy: DEFAULT_POLICY,
    clock: new FixedClock(NOW),
    rng: new SeededRandom('server'),
    ...overrides,
  };
}

/** An order whose keys are copies of `keys` (the session wipes what it opens). */
function orderOf(
  s: ReturnType<typeof setup>,
  fields: Partial<KeyUpdateOrder> = {},
): KeyUpdateOrder & { keys: PlainKeys } {
  const r = new SeededRandom('new-keys');
  const transactionId = r.randomBytes(16);
  const keys = { k: r.randomBytes(16), opc: r.randomBytes(16) };
  return {
    iccid: s.image.profiles[0].iccid,
    algorithm: 'milenage',
    keyVersion: 2,
    transactionId,
    openKeys: () => ({ k: keys.k.slice(), opc: keys.opc.slice() }),
    recover: false,
    keys,
    ...fields,
  };
}

async function drive(
  session: KeyUpdateSession,
  channel: CardChannel,
): Promise<{ outcome: SessionOutcome; scripts: number; staged: number }> {
  let commands = session.start();
  for (;;) {
    const step = await session.next(await run(channel, commands));
    if (step.kind === 'done') return { outcome: step.outcome, scripts: session.scripts, staged: 0 };
    commands = step.commands;
  }
}

describe('key-update session (scripts against a virtual card)', () => {
  it('updates the keys in 3 scripts after reading, with the suite chosen by policy', async () => {
    const s = setup('session-1');
    const order = orderOf(s);
    let staged = 0;
    const session = new KeyUpdateSession(s.image.eid, order, configOf(s), {
      beforeRequest: async () => {
        staged++;
      },
    });
    const { outcome, scripts } = await drive(session, s.channel);
    assert.deepEqual(outcome, { kind: 'applied', keyVersion: 2, viaStatus: false });
    assert.equal(scripts, 3);
    assert.equal(staged, 1);
    assert.equal(session.suite?.curve.name, 'P-256');
    assert.equal(session.suite?.aesKeyLength, 32);
    const profile = s.card.image.profiles[0];
    assert.equal(profile.keyVersion, 2);
    assert.deepEqual(keyCheckValue(profile.keys.k), keyCheckValue(order.keys.k));
  });

  it('recovers with BF72 when the card already applied the transaction', async () => {
    const s = setup('session-2');
    const order = orderOf(s);
    const hooks = { beforeRequest: async () => {} };
    await drive(new KeyUpdateSession(s.image.eid, order, configOf(s), hooks), s.channel);
    const again = await drive(
      new KeyUpdateSession(s.image.eid, { ...order, recover: true }, configOf(s), hooks),
      s.channel,
    );
    assert.deepEqual(again.outcome, { kind: 'applied', keyVersion: 2, viaStatus: true });
    assert.equal(again.scripts, 3);
  });

  it('recovers with BF72 then BF70 when the card never got the request', async () => {
    const s = setup('session-3');
    const order = orderOf(s, { recover: true });
    const r = await drive(
      new KeyUpdateSession(s.image.eid, order, configOf(s), { beforeRequest: async () => {} }),
      s.channel,
    );
    assert.deepEqual(r.outcome, { kind: 'applied', keyVersion: 2, viaStatus: false });
    assert.equal(r.scripts, 4);
    assert.equal(s.card.image.profiles[0].keyVersion, 2);
  });

  it('reports the card refusing a version that is not newer', async () => {
    const s = setup('session-4');
    const r = await drive(
      new KeyUpdateSession(s.image.eid, orderOf(s, { keyVersion: 1 }), configOf(s), {
        beforeRequest: async () => {},
      }),
      s.channel,
    );
    assert.equal(r.outcome.kind, 'refused');
    assert.equal(r.outcome.kind === 'refused' && r.outcome.outcome, OUTCOME_VERSION_NOT_NEWER);
    assert.equal(s.card.image.profiles[0].keyVersion, 1);
  });

  it('fails before any request when the EID is not the one in CERT.SD.ECKA', async () => {
    const s = setup('session-5');
    let staged = 0;
    const r = await drive(
      new KeyUpdateSession('89049032123451234512345678901234', orderOf(s), configOf(s), {
        beforeRequest: async () => {
          staged++;
        },
      }),
      s.channel,
    );
    assert.equal(r.outcome.kind, 'failed');
    assert.ok(r.outcome.kind === 'failed' && /EID/.test(r.outcome.error.message));
    assert.equal(r.outcome.kind === 'failed' && r.outcome.requestSent, false);
    assert.equal(staged, 0);
    assert.equal(s.card.image.profiles[0].keyVersion, 1);
  });

  it('fails when the card certificate is revoked', async () => {
    const s = setup('session-6');
    const serials = s.image.keySets.map((k) => k.certificates[0]).map((c) => c);
    const { decodeCertificate } = await import('../../src/pki/index.js');
    const r = await drive(
      new KeyUpdateSession(
        s.image.eid,
        orderOf(s),
        configOf(s, { revokedCardSerials: serials.map((c) => decodeCertificate(c).serial) }),
        { beforeRequest: async () => {} },
      ),
      s.channel,
    );
    assert.equal(r.outcome.kind, 'failed');
    assert.equal(r.outcome.kind === 'failed' && r.outcome.error.failure, 'certificate');
  });
});

describe('key-update session: card authentication (DESIGN.md 7)', () => {
  it('reports the authentication after the receipt verified, before the request; failures say before or after', async () => {
    const s = setup('session-7');
    const calls: string[] = [];
    const session = new KeyUpdateSession(s.image.eid, orderOf(s), configOf(s), {
      authenticated: async ({ certificate }) => {
        calls.push(`authenticated ${certificate.eid}`);
      },
      beforeRequest: async ({ afterStatus }) => {
        calls.push(`beforeRequest ${afterStatus}`);
      },
    });
    const { outcome } = await drive(session, s.channel);
    assert.equal(outcome.kind, 'applied');
    assert.deepEqual(calls, [`authenticated ${s.image.eid}`, 'beforeRequest false']);
    assert.equal(session.authenticated, true);

    // EID mismatch: the card never authenticated for this EID; the hook is not called.
    const other = setup('session-8');
    let told = 0;
    const r = await drive(
      new KeyUpdateSession('89049032123451234512345678901234', orderOf(other), configOf(other), {
        authenticated: async () => {
          told++;
        },
        beforeRequest: async () => {},
      }),
      other.channel,
    );
    assert.equal(told, 0);
    assert.equal(r.outcome.kind === 'failed' && r.outcome.authenticated, false);
  });

  it('an error SW to STORE DATA (no R-MAC) is a failure after authentication that decides nothing', async () => {
    const s = setup('session-9');
    // The relay answers the secured STORE DATA with 6A80 itself (error SWs carry no R-MAC, DESIGN.md 4.3).
    const relay: CardChannel = {
      transmit: async (c) =>
        c.ins === INS_STORE_DATA ? { data: new Uint8Array(0), sw: 0x6a80 } : s.channel.transmit(c),
    };
    const r = await drive(
      new KeyUpdateSession(s.image.eid, orderOf(s), configOf(s), { beforeRequest: async () => {} }),
      relay,
    );
    assert.equal(r.outcome.kind, 'failed');
    assert.ok(r.outcome.kind === 'failed' && r.outcome.authenticated && r.outcome.requestSent);
    assert.equal(s.card.image.profiles[0].keyVersion, 1);
  });

  it('asks BF72 first when beforeRequest says another session sent BF70 already', async () => {
    const s = setup('session-10');
    const decisions: boolean[] = [];
    const r = await drive(
      new KeyUpdateSession(s.image.eid, orderOf(s), configOf(s), {
        beforeRequest: async ({ afterStatus }) => {
          decisions.push(afterStatus);
          return afterStatus ? 'update' : 'status';
        },
      }),
      s.channel,
    );
    assert.deepEqual(decisions, [false, true]);
    assert.deepEqual(r.outcome, { kind: 'applied', keyVersion: 2, viaStatus: false });
    assert.equal(r.scripts, 4);
  });
});
