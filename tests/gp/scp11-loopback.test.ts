// OCE and card engines in one process: every variant x curve x AES key length opens a channel and exchanges
// wrapped commands and responses both ways (short and extended APDUs, ISO chaining, 61xx, empty commands).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { toHex } from '../../src/bytes/index.js';
import { CURVES, SeededRandom } from '../../src/crypto/index.js';
import {
  AES_KEY_LENGTHS,
  SECURITY_LEVEL_AUTHENTICATED,
  openScp11,
  type Scp11Variant,
} from '../../src/gp/index.js';
import { ChainingChannel, GetResponseChannel, SW_OK, type CardChannel } from '../../src/iso7816/index.js';
import { pkiFor, securityDomain } from './helpers/fixtures.js';
import { echoResponse, oceParams } from './helpers/oce.js';
import { TestCard } from './helpers/test-card.js';

const VARIANTS: Scp11Variant[] = ['a', 'b', 'c'];

function card(curveIndex: number, extended: boolean, macLength: 8 | 16 = 8) {
  const pki = pkiFor(CURVES[curveIndex]);
  const sd = securityDomain(pki, { macLength });
  const testCard = new TestCard(sd, {
    extended,
    app: (plain) => ({ data: echoResponse(plain.data, plain.p1, plain.p2), sw: SW_OK }),
  });
  // The host stack: secure messaging over GET RESPONSE over chaining (short transports) or straight (extended).
  const transport: CardChannel = extended
    ? new GetResponseChannel(testCard)
    : new GetResponseChannel(new ChainingChannel(testCard));
  return { pki, sd, testCard, transport };
}

describe('SCP11 loopback: every variant x curve x AES key length', () => {
  for (const [curveIndex, curve] of CURVES.entries()) {
    for (const variant of VARIANTS) {
      for (const aes of AES_KEY_LENGTHS) {
        it(`SCP11${variant} ${curve.name} AES-${aes * 8}`, async () => {
          // A short-APDU transport: long commands ISO-chained, long responses through 61xx / GET RESPONSE.
          const { pki, sd, testCard, transport } = card(curveIndex, false);
          const scp = await openScp11(
            transport,
            oceParams(pki, variant, aes),
            new SeededRandom(`${variant}${curve.name}${aes}`),
          );
          const session = sd.session;
          assert.ok(session !== undefined);
          assert.equal(toHex(scp.sessionKeys.sEnc), toHex(session.sessionKeys.sEnc));
          assert.equal(scp.sessionKeys.sEnc.length, aes);
          assert.equal((session.securityLevel & SECURITY_LEVEL_AUTHENTICATED) !== 0, variant !== 'b');
          const exchange = async (data: Uint8Array, p1: number, p2: number) => {
            const r = await scp.transmit({ cla: 0x80, ins: 0xe2, p1, p2, data, ne: 256 });
            assert.equal(r.sw, SW_OK);
            assert.equal(
              toHex(testCard.received.at(-1)!.data),
              toHex(data),
              `card received ${data.length} bytes`,
            );
            assert.equal(
              toHex(r.data),
              toHex(echoResponse(data, p1, p2)),
              `response to ${data.length} bytes`,
            );
          };
          for (const size of [0, 1, 15, 16, 239, 240, 600]) {
            await exchange(
              Uint8Array.from({ length: size }, (_, i) => (i * 7 + size) & 0xff),
              size % 200,
              0x5a,
            );
          }
          await fc.assert(
            fc.asyncProperty(
              fc.uint8Array({ maxLength: 600 }),
              fc.integer({ min: 0, max: 255 }),
              fc.integer({ min: 0, max: 255 }),
              exchange,
            ),
            { numRuns: 4 },
          );
          assert.ok(testCard.chainedBlocks > 0 && testCard.getResponses > 0, 'chaining and 61xx were used');
          const key = Uint8Array.from({ length: 32 }, (_, i) => i);
          assert.equal(toHex(session.unwrapKey(scp.wrapKey(key))), toHex(key), 'S-DEK wrap / unwrap');
        });
      }
    }
  }
});

describe('SCP11 loopback properties', () => {
  it('random payloads both ways, short (chaining, 61xx) and extended transports, both empty-command forms', async () => {
    const exchange = fc.record({
      data: fc.uint8Array({ maxLength: 700 }),
      p1: fc.integer({ min: 0, max: 255 }),
      p2: fc.integer({ min: 0, max: 255 }),
      ne: fc.constantFrom(undefined, 256),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: CURVES.length - 1 }),
        fc.constantFrom<Scp11Variant>('a', 'b', 'c'),
        fc.constantFrom(...AES_KEY_LENGTHS),
        fc.boolean(),
        fc.constantFrom<8 | 16>(8, 16),
        fc.constantFrom<'no-data' | 'padding-block'>('no-data', 'padding-block'),
        fc.array(exchange, { minLength: 1, maxLength: 4 }),
        async (curveIndex, variant, aes, extended, macLength, emptyCommand, exchanges) => {
          const { pki, testCard, transport } = card(curveIndex, extended, macLength);
          const scp = await openScp11(
            transport,
            oceParams(pki, variant, aes, { macLength, emptyCommand }),
            new SeededRandom(`${curveIndex}`),
          );
          for (const e of exchanges) {
            const r = await scp.transmit({
              cla: 0x80,
              ins: 0xca,
              p1: e.p1,
              p2: e.p2,
              data: e.data,
              ne: e.ne,
            });
            assert.equal(r.sw, SW_OK);
            assert.equal(toHex(testCard.received.at(-1)!.data), toHex(e.data));
            assert.equal(toHex(r.data), toHex(echoResponse(e.data, e.p1, e.p2)));
          }
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe('SCP11 host refusals', () => {
  it('a command too long to wrap is refused without advancing the counter: the session stays usable', async () => {
    const { pki, testCard, transport } = card(0, true);
    const scp = await openScp11(transport, oceParams(pki, 'a', 16), new SeededRandom('too-long'));
    const tooLong = new Uint8Array(65535 - 8);
    await assert.rejects(scp.transmit({ cla: 0x80, ins: 0xca, p1: 0, p2: 0, data: tooLong }), /too long/);
    assert.equal(scp.closed, false);
    const data = Uint8Array.of(1, 2, 3);
    const r = await scp.transmit({ cla: 0x80, ins: 0xca, p1: 1, p2: 2, data, ne: 256 });
    assert.equal(r.sw, SW_OK);
    assert.equal(toHex(testCard.received.at(-1)!.data), toHex(data));
    assert.equal(toHex(r.data), toHex(echoResponse(data, 1, 2)));
  });
});
