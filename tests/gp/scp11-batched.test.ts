// beginScp11 / finishScp11: the OCE handshake in two steps for a batched transport (all commands in one script,
// the card's answers later), on every curve; eSK.OCE.ECKA is wiped after finish and on abandon.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BRAINPOOL_P512R1,
  P256,
  P521,
  SeededRandom,
  generateKeyPair,
  type Curve,
} from '../../src/crypto/index.js';
import {
  SecureChannelError,
  abandonScp11,
  beginScp11,
  finishScp11,
  openScp11,
  type Scp11Variant,
} from '../../src/gp/index.js';
import {
  GetResponseChannel,
  SW_OK,
  StatusWordError,
  encodeCommand,
  type CardChannel,
  type CommandApdu,
  type ResponseApdu,
} from '../../src/iso7816/index.js';
import { toHex } from '../../src/bytes/index.js';
import { pkiFor, securityDomain, type Pki } from './helpers/fixtures.js';
import { echoResponse, oceParams } from './helpers/oce.js';
import { TestCard } from './helpers/test-card.js';

const echo = (plain: CommandApdu): ResponseApdu => ({
  data: echoResponse(plain.data, plain.p1, plain.p2),
  sw: SW_OK,
});

function cardFor(pki: Pki): CardChannel {
  return new GetResponseChannel(new TestCard(securityDomain(pki), { extended: true, app: echo }));
}

/** Runs a batch as a script would: in order, stopping at the first status word that is not 9000. */
async function runBatch(card: CardChannel, commands: readonly CommandApdu[]): Promise<ResponseApdu[]> {
  const out: ResponseApdu[] = [];
  for (const c of commands) {
    const r = await card.transmit(c);
    out.push(r);
    if (r.sw !== SW_OK) break;
  }
  return out;
}

const pkis = new Map<string, Pki>();
const pkiOf = (curve: Curve): Pki => {
  let pki = pkis.get(curve.name);
  if (pki === undefined) pkis.set(curve.name, (pki = pkiFor(curve)));
  return pki;
};

describe('SCP11 handshake in two steps (batched transport)', () => {
  for (const curve of [P256, P521, BRAINPOOL_P512R1]) {
    for (const variant of ['a', 'b', 'c'] as Scp11Variant[]) {
      it(`SCP11${variant} on ${curve.name}: one batch, then a working channel`, async () => {
        const pki = pkiOf(curve);
        const card = cardFor(pki);
        const { pkSdEcka, ...params } = oceParams(pki, variant, 32);
        const { commands, state } = beginScp11(params, new SeededRandom(`batched-${variant}`));
        const responses = await runBatch(card, commands);
        const scp = finishScp11(state, responses, pkSdEcka, card);
        assert.equal(state.eskOceEcka, undefined, 'eSK.OCE.ECKA dropped');
        const r = await scp.transmit({ cla: 0x80, ins: 0xca, p1: 2, p2: 0x33, data: Uint8Array.of(1, 2, 3) });
        assert.equal(toHex(r.data), '0302013333');
      });
    }
  }

  it('sends exactly what openScp11 sends with the same randomness', async () => {
    const pki = pkiOf(P256);
    const sent: string[] = [];
    const card = cardFor(pki);
    const recording: CardChannel = {
      transmit(c) {
        sent.push(toHex(encodeCommand(c)));
        return card.transmit(c);
      },
    };
    (await openScp11(recording, oceParams(pki, 'a'), new SeededRandom('same'))).close();
    const { commands, state } = beginScp11(oceParams(pki, 'a'), new SeededRandom('same'));
    abandonScp11(state);
    assert.deepEqual(
      commands.map((c) => toHex(encodeCommand(c))),
      sent,
    );
  });

  it('wipes eSK.OCE.ECKA after finish and on abandon; a state finishes once', async () => {
    const pki = pkiOf(P256);
    const card = cardFor(pki);
    const { pkSdEcka, ...params } = oceParams(pki, 'a');
    const first = beginScp11(params, new SeededRandom('wipe-1'));
    const esk = first.state.eskOceEcka;
    assert.ok(esk !== undefined && esk.privateKey.some((b) => b !== 0));
    const responses = await runBatch(card, first.commands);
    finishScp11(first.state, responses, pkSdEcka, card).close();
    assert.ok(
      esk.privateKey.every((b) => b === 0),
      'wiped after finish',
    );
    assert.throws(
      () => finishScp11(first.state, responses, pkSdEcka, card),
      (e) => e instanceof SecureChannelError && e.reason === 'parameters',
    );

    const second = beginScp11(params, new SeededRandom('wipe-2'));
    const esk2 = second.state.eskOceEcka;
    abandonScp11(second.state);
    assert.ok(esk2 !== undefined && esk2.privateKey.every((b) => b === 0), 'wiped on abandon');
    assert.equal(second.state.eskOceEcka, undefined);
  });

  it('checks the receipt against PK.SD.ECKA, and wipes eSK.OCE.ECKA when it fails', async () => {
    const pki = pkiOf(P256);
    const other = generateKeyPair(P256, new SeededRandom('not the card'));
    const card = cardFor(pki);
    const { pkSdEcka: _, ...params } = oceParams(pki, 'a');
    const { commands, state } = beginScp11(params, new SeededRandom('receipt'));
    const esk = state.eskOceEcka;
    const responses = await runBatch(card, commands);
    assert.throws(
      () => finishScp11(state, responses, other.publicKey, card),
      (e) => e instanceof SecureChannelError && e.reason === 'receipt',
    );
    assert.ok(esk !== undefined && esk.privateKey.every((b) => b === 0));
  });

  it('names the command the card refused, or the one it did not execute', async () => {
    const pki = pkiOf(P256);
    const { pkSdEcka, ...params } = oceParams(pki, 'a');
    const refused = beginScp11(params, new SeededRandom('sw'));
    const sw = refused.commands.map((): ResponseApdu => ({ data: new Uint8Array(0), sw: SW_OK }));
    sw[sw.length - 1] = { data: new Uint8Array(0), sw: 0x6982 };
    assert.throws(
      () => finishScp11(refused.state, sw, pkSdEcka, cardFor(pki)),
      (e) => e instanceof StatusWordError && e.sw === 0x6982 && /MUTUAL AUTHENTICATE/.test(e.message),
    );
    const missing = beginScp11(params, new SeededRandom('missing'));
    assert.throws(
      () => finishScp11(missing.state, sw.slice(0, -1), pkSdEcka, cardFor(pki)),
      (e) => e instanceof SecureChannelError && e.reason === 'malformed',
    );
  });
});
