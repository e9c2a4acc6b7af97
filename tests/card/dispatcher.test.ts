// ISO/IEC 7816-4 at the APDU level: cases, extended lengths, chaining, 61xx / GET RESPONSE, clear SWs for
// malformed input, and a fuzz run: never a crash, never a hang.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromHex, toHex } from '../../src/bytes/index.js';
import { ApduDispatcher } from '../../src/card/index.js';
import { silentLogger } from '../../src/ports/index.js';
import { setup, openSession } from './support/fixture.js';

function echo(): ApduDispatcher {
  return new ApduDispatcher((cmd) => {
    if (cmd.ins === 0x01) throw new Error('boom with secret 00112233');
    if (cmd.ins === 0x02) return { data: new Uint8Array(600).fill(7), sw: 0x9000 };
    return { data: cmd.data, sw: 0x9000 };
  }, silentLogger);
}

const hex = (d: ApduDispatcher, h: string) => toHex(d.process(fromHex(h))).toUpperCase();

describe('ApduDispatcher', () => {
  it('handles cases 1-4 short and extended', () => {
    const d = echo();
    assert.equal(hex(d, '00100000'), '9000');
    assert.equal(hex(d, '0010000000'), '9000');
    assert.equal(hex(d, '0010000002AABB'), 'AABB9000');
    assert.equal(hex(d, '0010000002AABB00'), 'AABB9000');
    assert.equal(hex(d, '001000000000020000'.slice(0, 8) + '000002AABB0000'), 'AABB9000');
  });

  it('answers 6700 for inconsistent lengths and 6E00 / 6881 for classes it does not serve', () => {
    const d = echo();
    assert.equal(hex(d, '001000'), '6700');
    assert.equal(hex(d, '0010000005AABB'), '6700');
    assert.equal(hex(d, 'FF100000'), '6E00');
    assert.equal(hex(d, 'A0A40000'), '6E00');
    assert.equal(hex(d, '01100000'), '6881');
    assert.equal(hex(d, '40100000'), '6881');
  });

  it('chains commands (CLA b5) and rejects an interrupted chain with 6883', () => {
    const d = echo();
    assert.equal(hex(d, '1010000002AABB'), '9000');
    assert.equal(hex(d, '0010000002CCDD00'), 'AABBCCDD9000');
    assert.equal(hex(d, '1010000001AA'), '9000');
    assert.equal(hex(d, '0020000001BB'), '6883');
  });

  it('delivers long answers in 61xx chunks and GET RESPONSE', () => {
    const d = echo();
    const first = d.process(fromHex('0002000000'));
    assert.equal(first.length, 258);
    assert.equal(toHex(first.subarray(256)), '6100');
    const second = d.process(fromHex('00C0000000'));
    assert.equal(toHex(second.subarray(256)), '6158');
    const third = d.process(fromHex('00C0000058'));
    assert.equal(third.length, 90);
    assert.equal(toHex(third.subarray(88)), '9000');
    assert.equal(hex(d, '00C0000000'), '6985');
    assert.equal(d.process(fromHex('00020000000000')).length, 602, 'extended Le 0000 = 65536');
  });

  it('maps an unexpected exception to 6F00 without leaking it', () => {
    const logged: unknown[] = [];
    const logger = { ...silentLogger, error: (o: unknown) => logged.push(o) } as typeof silentLogger;
    const d = new ApduDispatcher(() => {
      throw new Error('secret 00112233');
    }, logger);
    assert.equal(hex(d, '00010000'), '6F00');
    assert.ok(!JSON.stringify(logged).includes('00112233'));
  });

  it('fuzz: any bytes to a whole card (also inside an SCP11 session) give a response with a status word', async () => {
    const s = setup('fuzz');
    await openSession(s);
    const aid = s.image.profiles[0].usimAid;
    const selects = [
      Uint8Array.from([0x00, 0xa4, 0x04, 0x04, aid.length, ...aid, 0x00]),
      Uint8Array.from([0x00, 0xa4, 0x04, 0x00, 0x08, 0xa0, 0, 0, 1, 0x51, 0, 0, 0, 0x00]),
      Uint8Array.from([0x00, 0xa4, 0x00, 0x04, 0x02, 0x3f, 0x00]),
    ];
    const apdu = fc.oneof(
      fc.constantFrom(...selects),
      fc.uint8Array({ maxLength: 300 }),
      fc
        .record({
          cla: fc.constantFrom(0x00, 0x80, 0x84, 0x10, 0x90, 0x94, 0x01, 0xa0, 0xff),
          ins: fc.constantFrom(0xa4, 0xb0, 0xb2, 0xc0, 0xca, 0xe2, 0x2a, 0x82, 0x88, 0xf2, 0x70, 0x00),
          p1: fc.integer({ min: 0, max: 255 }),
          p2: fc.integer({ min: 0, max: 255 }),
          data: fc.uint8Array({ maxLength: 270 }),
          le: fc.option(fc.integer({ min: 0, max: 255 })),
        })
        .map(({ cla, ins, p1, p2, data, le }) => {
          const body =
            data.length === 0
              ? []
              : data.length > 255
                ? [0, data.length >> 8, data.length & 0xff, ...data]
                : [data.length, ...data];
          return Uint8Array.from([cla, ins, p1, p2, ...body, ...(le === null ? [] : [le])]);
        }),
    );
    fc.assert(
      fc.property(fc.array(apdu, { maxLength: 8 }), (apdus) => {
        for (const a of apdus) {
          const r = s.card.processApdu(a);
          assert.ok(r.length >= 2);
          assert.notEqual(toHex(r.subarray(-2)), '6f00', `6F00 for ${toHex(a)}`);
        }
      }),
      { numRuns: 400 },
    );
  });
});
