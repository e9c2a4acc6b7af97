import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeCtrl, encodeCtrl, OsmoError, parseInfoLines, type CtrlMessage } from '../../src/osmo/index.js';

const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => new TextDecoder().decode(b);
const ctrlError = (pattern: RegExp) => (e: unknown) =>
  e instanceof OsmoError && e.kind === 'ctrl' && pattern.test(e.message);

describe('CTRL messages (libosmocore control_cmd.c; osmo-hlr manual example transcripts)', () => {
  it('known messages from the osmo-hlr manual (example_subscriber_aud3g.ctrl)', () => {
    assert.equal(
      str(encodeCtrl({ type: 'GET', id: '117', variable: 'subscriber.by-imsi-901991234567891.aud3g' })),
      'GET 117 subscriber.by-imsi-901991234567891.aud3g',
    );
    assert.deepEqual(decodeCtrl(text('SET_REPLY 118 subscriber.by-imsi-901991234567891.aud3g OK')), {
      type: 'SET_REPLY',
      id: '118',
      variable: 'subscriber.by-imsi-901991234567891.aud3g',
      value: 'OK',
    });
    assert.deepEqual(decodeCtrl(text('ERROR 5 Command not found')), {
      type: 'ERROR',
      id: '5',
      reason: 'Command not found',
    });
    assert.deepEqual(decodeCtrl(text('ERROR err Request malformed')), {
      type: 'ERROR',
      id: 'err',
      reason: 'Request malformed',
    });
  });

  it('a multi-line info-aud reply keeps its value whole (example_subscriber_info.ctrl)', () => {
    const reply =
      'GET_REPLY 2 subscriber.by-msisdn-103.info-aud \naud3g.algo\tMILENAGE\naud3g.k\t000102030405060708090a0b0c0d0e0f\naud3g.sqn\t0';
    const m = decodeCtrl(text(reply));
    assert.equal(m.type, 'GET_REPLY');
    assert.ok(m.type === 'GET_REPLY');
    const info = parseInfoLines(m.value);
    assert.equal(info.get('aud3g.algo'), 'MILENAGE');
    assert.equal(info.get('aud3g.k'), '000102030405060708090a0b0c0d0e0f');
    assert.equal(info.get('aud3g.sqn'), '0');
  });

  const identifier = fc.stringMatching(/^[a-z0-9_-]{1,8}$/);
  const variable = fc.array(identifier, { minLength: 1, maxLength: 4 }).map((p) => p.join('.'));
  const id = fc.integer({ min: 0, max: 1e9 }).map(String);
  const line = fc.string({ maxLength: 40 }).filter((s) => !s.includes('\n') && s.length > 0);
  const message: fc.Arbitrary<CtrlMessage> = fc.oneof(
    fc.record({ type: fc.constant('GET' as const), id, variable }),
    fc.record({ type: fc.constant('SET' as const), id, variable, value: line }),
    fc.record({
      type: fc.constantFrom('GET_REPLY' as const, 'SET_REPLY' as const, 'TRAP' as const),
      id,
      variable,
      value: fc.string({ maxLength: 60 }),
    }),
    fc.record({ type: fc.constant('ERROR' as const), id, reason: fc.string({ maxLength: 40 }) }),
  );

  it('round trip', () => {
    fc.assert(fc.property(message, (m) => assert.deepEqual(decodeCtrl(encodeCtrl(m)), { ...m })));
  });

  it('bad input: unknown type, no id, non-numeric id, bad variable, SET without value, not UTF-8', () => {
    assert.throws(() => decodeCtrl(text('HELLO 1 x')), ctrlError(/unknown CTRL message type "HELLO"/));
    assert.throws(() => decodeCtrl(text('GET_REPLY')), ctrlError(/without an id/));
    assert.throws(() => decodeCtrl(text('GET_REPLY x1 a b')), ctrlError(/id "x1" is not a decimal number/));
    assert.throws(
      () => decodeCtrl(text('GET_REPLY 1 a..b c')),
      ctrlError(/variable "a..b" is not a valid identifier/),
    );
    assert.throws(() => decodeCtrl(text('SET 1 a')), ctrlError(/SET a without a value/));
    assert.throws(() => decodeCtrl(Uint8Array.of(0xff, 0xfe)), ctrlError(/not UTF-8/));
  });

  it('requests are checked before sending, and a SET value is never echoed in the error', () => {
    assert.throws(
      () => encodeCtrl({ type: 'GET', id: '1', variable: 'a b' }),
      ctrlError(/not a valid identifier/),
    );
    assert.throws(
      () => encodeCtrl({ type: 'GET', id: '1', variable: '' }),
      ctrlError(/not a valid identifier/),
    );
    const secret = '00112233445566778899aabbccddeeff';
    assert.throws(
      () => encodeCtrl({ type: 'SET', id: '1', variable: 'x.aud3g', value: `milenage,${secret}\nGET 2 y` }),
      (e: unknown) =>
        e instanceof OsmoError && /one non-empty line/.test(e.message) && !e.message.includes(secret),
    );
  });
});
