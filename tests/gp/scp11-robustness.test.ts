// Bad input never crashes either engine: random bytes where the card expects PSO / authenticate data or
// wrapped commands, and where the OCE expects the card's answer, give a status word or a clear error.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { concatBytes, tlv } from '../../src/bytes/index.js';
import { P256, SeededRandom, generateKeyPair } from '../../src/crypto/index.js';
import {
  INS_INTERNAL_AUTHENTICATE,
  INS_MUTUAL_AUTHENTICATE,
  KID_SCP11B,
  SecureChannelError,
  encodeControlReference,
  openScp11,
} from '../../src/gp/index.js';
import { StatusWordError, type CommandApdu } from '../../src/iso7816/index.js';
import { pkiFor, securityDomain } from './helpers/fixtures.js';
import { oceParams } from './helpers/oce.js';

const isSw = (e: unknown) => e instanceof StatusWordError;

describe('card engine robustness', () => {
  const pki = pkiFor(P256);

  it('random PERFORM SECURITY OPERATION blocks: 9000 or a status word', () => {
    const sd = securityDomain(pki);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 255 }),
        fc.uint8Array({ maxLength: 300 }),
        (p1, p2, data) => {
          try {
            const r = sd.performSecurityOperation({ cla: 0x80, ins: 0x2a, p1, p2, data });
            assert.equal(r.sw, 0x9000);
          } catch (e) {
            assert.ok(isSw(e), String(e));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('random authenticate commands: a status word, never a crash', () => {
    const sd = securityDomain(pki);
    const epk = generateKeyPair(P256, new SeededRandom('robust')).publicKey;
    const valid = concatBytes(encodeControlReference('b', 16), tlv(0x5f49, epk));
    fc.assert(
      fc.property(
        fc.constantFrom(INS_MUTUAL_AUTHENTICATE, INS_INTERNAL_AUTHENTICATE),
        fc.integer({ min: 0, max: 255 }),
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          // valid data with one byte changed
          fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 1, max: 255 })).map(([at, x]) => {
            const d = Uint8Array.from(valid);
            d[at] ^= x;
            return d;
          }),
        ),
        (ins, kvn, data) => {
          try {
            const r = sd.authenticate({ cla: 0x80, ins, p1: kvn, p2: KID_SCP11B, data });
            assert.equal(r.sw, 0x9000);
          } catch (e) {
            assert.ok(isSw(e), String(e));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('random wrapped commands: 6982 and the session ends', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (data, extended) => {
        const sd = securityDomain(pki);
        const epk = generateKeyPair(P256, new SeededRandom('wrapped')).publicKey;
        sd.authenticate({
          cla: 0x80,
          ins: INS_INTERNAL_AUTHENTICATE,
          p1: 1,
          p2: KID_SCP11B,
          data: concatBytes(encodeControlReference('b', 16), tlv(0x5f49, epk)),
        });
        const cmd: CommandApdu = {
          cla: 0x84,
          ins: 0xe2,
          p1: 0x91,
          p2: 0,
          data,
          ...(extended ? { extended: true } : {}),
        };
        assert.throws(
          () => sd.session!.unwrapCommand(cmd),
          (e: unknown) => isSw(e) && (e as StatusWordError).sw === 0x6982,
        );
        assert.equal(sd.session, undefined);
      }),
      { numRuns: 100 },
    );
  });
});

describe('OCE robustness', () => {
  const pki = pkiFor(P256);
  it('a random answer to INTERNAL AUTHENTICATE is a SecureChannelError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 150 }), async (data) => {
        const channel = { transmit: async () => ({ data, sw: 0x9000 }) };
        await assert.rejects(
          openScp11(channel, oceParams(pki, 'b'), new SeededRandom('x')),
          SecureChannelError,
        );
      }),
      { numRuns: 100 },
    );
  });
});
