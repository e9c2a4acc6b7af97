// ISO/IEC 7816-4 5.1 command/response APDU codec: the seven cases byte for byte, round trips, malformed input.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fromHex, toHex } from '../../src/bytes/index.js';
import {
  ApduError,
  decodeCommand,
  decodeResponse,
  encodeCommand,
  encodeResponse,
  isScriptSuccess,
  type CommandApdu,
} from '../../src/iso7816/index.js';

const EMPTY = new Uint8Array(0);
const header = { cla: 0x80, ins: 0xca, p1: 0x00, p2: 0x66 };

describe('command APDU cases (ISO/IEC 7816-4 5.1 table 1)', () => {
  const cases: [string, CommandApdu, string][] = [
    ['1', { ...header, data: EMPTY }, '80ca0066'],
    ['2S', { ...header, data: EMPTY, ne: 256 }, '80ca006600'],
    ['2S Ne 5', { ...header, data: EMPTY, ne: 5 }, '80ca006605'],
    ['3S', { ...header, data: Uint8Array.of(1, 2) }, '80ca0066020102'],
    ['4S', { ...header, data: Uint8Array.of(1, 2), ne: 256 }, '80ca006602010200'],
    ['2E', { ...header, data: EMPTY, ne: 65536, extended: true }, '80ca0066000000'],
    ['3E', { ...header, data: Uint8Array.of(7), extended: true }, '80ca006600000107'],
    ['4E', { ...header, data: Uint8Array.of(7), ne: 300, extended: true }, '80ca006600000107012c'],
  ];
  for (const [name, cmd, hex] of cases) {
    it(`case ${name}: ${hex}`, () => {
      assert.equal(toHex(encodeCommand(cmd)), hex);
      const back = decodeCommand(fromHex(hex));
      assert.equal(toHex(back.data), toHex(cmd.data));
      assert.equal(back.ne, cmd.ne);
      assert.equal(back.extended === true, cmd.extended === true);
    });
  }

  it('long data or a large Ne switch to extended length fields by themselves', () => {
    const long = encodeCommand({ ...header, data: new Uint8Array(256) });
    assert.equal(toHex(long.subarray(4, 7)), '000100');
    assert.equal(toHex(encodeCommand({ ...header, data: EMPTY, ne: 257 })), '80ca0066000101');
  });

  it('round trip (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        fc.uint8Array({ maxLength: 600 }),
        fc.option(fc.integer({ min: 1, max: 65536 }), { nil: undefined }),
        fc.boolean(),
        ([cla, ins, p1, p2], data, ne, extended) => {
          const cmd: CommandApdu = { cla, ins, p1, p2, data, ne, ...(extended ? { extended } : {}) };
          const back = decodeCommand(encodeCommand(cmd));
          assert.deepEqual([back.cla, back.ins, back.p1, back.p2], [cla, ins, p1, p2]);
          assert.equal(toHex(back.data), toHex(data));
          assert.equal(back.ne, ne);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('malformed command APDUs are ApduErrors, never anything else (property)', () => {
    // too short for a header; Lc 3 with 2 bytes; extended Lc 0; extended Lc that disagrees with the data
    for (const hex of ['', '80ca00', '80ca0066030102', '80ca0066000000ff', '80ca006600000301']) {
      assert.throws(() => decodeCommand(fromHex(hex)), ApduError, hex);
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          const cmd = decodeCommand(bytes);
          // whatever decodes is a valid command again
          assert.equal(toHex(decodeCommand(encodeCommand(cmd)).data), toHex(cmd.data));
        } catch (e) {
          assert.ok(e instanceof ApduError, String(e));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('refuses to encode values that are not bytes or out of range', () => {
    assert.throws(() => encodeCommand({ ...header, cla: 0x100, data: EMPTY }), ApduError);
    assert.throws(() => encodeCommand({ ...header, data: EMPTY, ne: 0 }), ApduError);
    assert.throws(() => encodeCommand({ ...header, data: EMPTY, ne: 65537 }), ApduError);
    assert.throws(() => encodeCommand({ ...header, data: new Uint8Array(65536) }), ApduError);
  });
});

describe('response APDU', () => {
  it('data then SW1 SW2; shorter than 2 bytes is an ApduError', () => {
    assert.equal(toHex(encodeResponse({ data: Uint8Array.of(0xab), sw: 0x6a88 })), 'ab6a88');
    const r = decodeResponse(fromHex('0102039000'));
    assert.equal(toHex(r.data), '010203');
    assert.equal(r.sw, 0x9000);
    assert.throws(() => decodeResponse(Uint8Array.of(0x90)), ApduError);
  });

  it('script success: 9000, 61xx, 62xx, 63xx continue a remote script; errors stop it (TS 102 226 5.2.1)', () => {
    for (const sw of [0x9000, 0x6110, 0x6200, 0x63c1])
      assert.equal(isScriptSuccess(sw), true, sw.toString(16));
    for (const sw of [0x6982, 0x6a80, 0x6581, 0x6f00, 0x9001])
      assert.equal(isScriptSuccess(sw), false, sw.toString(16));
  });
});
