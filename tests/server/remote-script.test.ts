import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromHex, toHex } from '../../src/bytes/index.js';
import {
  RemoteScriptError,
  decodeCommandScript,
  decodeResponseScript,
  encodeCommandScript,
  encodeResponseScript,
  encodeCommand,
  isScriptSuccess,
  type CommandApdu,
} from '../../src/iso7816/index.js';

const commandArb: fc.Arbitrary<CommandApdu> = fc
  .record({
    cla: fc.integer({ min: 0, max: 255 }),
    ins: fc.integer({ min: 0, max: 255 }),
    p1: fc.integer({ min: 0, max: 255 }),
    p2: fc.integer({ min: 0, max: 255 }),
    data: fc.uint8Array({ maxLength: 600 }),
    ne: fc.option(fc.integer({ min: 1, max: 256 }), { nil: undefined }),
  })
  .map((c) => ({ ...c, ...(c.ne === undefined ? { ne: undefined } : {}) }));

describe('ETSI TS 102 226 expanded remote scripts', () => {
  it('encodes a command script as AE 80 {22 len C-APDU}... 00 00', () => {
    const script = encodeCommandScript([
      { cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x00, data: fromHex('A000000151000000'), ne: 256 },
      { cla: 0x80, ins: 0xca, p1: 0x00, p2: 0xe0, data: new Uint8Array(0), ne: 256 },
    ]);
    assert.equal(toHex(script), 'ae80220e00a4040008a00000015100000000220580ca00e0000000');
  });

  it('encodes a response script with 80 01 n first', () => {
    const script = encodeResponseScript([
      { data: fromHex('0102'), sw: 0x9000 },
      { data: new Uint8Array(0), sw: 0x6a88 },
    ]);
    assert.equal(toHex(script), 'af80800102230401029000230 26a880000'.replace(/ /g, ''));
  });

  it('round-trips command scripts (property)', () => {
    fc.assert(
      fc.property(fc.array(commandArb, { maxLength: 8 }), (commands) => {
        const decoded = decodeCommandScript(encodeCommandScript(commands));
        assert.deepEqual(decoded.map(encodeCommand), commands.map(encodeCommand));
      }),
      { numRuns: 200 },
    );
  });

  it('round-trips response scripts (property)', () => {
    const responseArb = fc.record({
      data: fc.uint8Array({ maxLength: 400 }),
      sw: fc.integer({ min: 0, max: 0xffff }),
    });
    fc.assert(
      fc.property(fc.array(responseArb, { maxLength: 8 }), (responses) => {
        const decoded = decodeResponseScript(encodeResponseScript(responses));
        assert.equal(decoded.executed, responses.length);
        assert.deepEqual(
          decoded.responses.map((r) => [toHex(r.data), r.sw]),
          responses.map((r) => [toHex(r.data), r.sw]),
        );
      }),
      { numRuns: 200 },
    );
  });

  const malformed: [string, string, RegExp][] = [
    ['empty body', '', /empty input/],
    ['wrong outer tag', 'af800000', /expected tag AE/],
    ['definite length', 'ae0422020000', /indefinite length/],
    ['missing end-of-contents', 'ae802204', /./],
    ['item that is not a C-APDU', 'ae8023029000 0000', /expected 22/],
    ['C-APDU shorter than a header', 'ae80220200a40000', /C-APDU 1/],
    ['Lc not matching', 'ae80220600a4040005a00000', /C-APDU 1: Lc/],
    ['trailing bytes', 'ae80000000', /trailing/],
  ];
  for (const [name, hex, pattern] of malformed) {
    it(`rejects a command script with ${name}`, () => {
      assert.throws(
        () => decodeCommandScript(fromHex(hex.replace(/ /g, ''))),
        (e: unknown) => e instanceof RemoteScriptError && pattern.test(e.message),
      );
    });
  }

  it('rejects a response script whose count disagrees or is missing', () => {
    assert.throws(
      () => decodeResponseScript(fromHex('af808001022302900000 00'.replace(/ /g, ''))),
      /80 says 2/,
    );
    assert.throws(
      () => decodeResponseScript(fromHex('af802302900000 00'.replace(/ /g, ''))),
      /must start with 80 01/,
    );
    assert.throws(() => decodeResponseScript(fromHex('af8080010123019000 00'.replace(/ /g, ''))), /R-APDU 1/);
    assert.throws(() => decodeResponseScript(fromHex('ae800000')), RemoteScriptError);
  });

  it('fuzz: any bytes either decode or raise RemoteScriptError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        for (const decode of [decodeCommandScript, decodeResponseScript]) {
          try {
            decode(Uint8Array.of(0xae, 0x80, ...bytes));
            decode(bytes);
          } catch (e) {
            assert.ok(e instanceof RemoteScriptError, String(e));
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('script success status words follow TS 102 226', () => {
    assert.ok(isScriptSuccess(0x9000));
    assert.ok(isScriptSuccess(0x6110));
    assert.ok(isScriptSuccess(0x6310));
    assert.ok(!isScriptSuccess(0x6982));
    assert.ok(!isScriptSuccess(0x6a88));
  });
});
