import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromHex, toHex } from '../../src/bytes/index.js';
import {
  decodeAuthTuple,
  decodeGsupMessage,
  encodeAuthTuple,
  encodeGsupMessage,
  GMM_CAUSE,
  GSUP_IEI,
  GSUP_MESSAGE_TYPE,
  OsmoError,
  parseSendAuthInfoResponse,
  sendAuthInfoError,
  sendAuthInfoFailure,
  sendAuthInfoRequest,
  sendAuthInfoResult,
  type GsupMessage,
  type UmtsAuthTuple,
} from '../../src/osmo/index.js';

const gsupError = (pattern: RegExp) => (e: unknown) =>
  e instanceof OsmoError && e.kind === 'gsup' && pattern.test(e.message);
const h = (s: string) => fromHex(s.replace(/\s+/g, ''));
const seq = (from: number, n: number) => toHex(Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff));

// Known frames from libosmocore tests/gsup/gsup_test.c (TEST_IMSI_IE = IMSI 123456789012345).
const IMSI = '123456789012345';
const IMSI_IE = '01 08 21 43 65 87 09 21 43 f5';
const CLASS_SUBSCR_IE = '0a 01 01';
const SAI_REQ = `08 ${IMSI_IE} ${CLASS_SUBSCR_IE}`;
const SAI_REQ10 = `08 ${IMSI_IE} 52 01 0a ${CLASS_SUBSCR_IE}`;
const SAI_ERR = `09 ${IMSI_IE} 02 01 07`;
const SAI_REQ_AUTS = `08 ${IMSI_IE} 26 0e ${seq(1, 14)} 20 10 ${seq(1, 16)}`;
const TUPLE_1 =
  `03 62 20 10 ${seq(1, 16)} 21 04 21222324 22 08 3132333435363738 23 10 ${seq(1, 16)} ` +
  `24 10 ${seq(1, 16)} 25 10 ${seq(1, 16)} 27 08 ${seq(1, 8)}`;
const TUPLE_2 =
  '03 62 20 10 a1a2a3a4a5a6a7a8a9aaabacadaeaf10 21 04 b1b2b3b4 22 08 c1c2c3c4c5c6c7c8 ' +
  '23 10 d1d2d3d4d5d6d7d8d9dadbdcdddedfd0 24 10 e1e2e3e4e5e6e7e8e9eaebecedeeefe0 ' +
  '25 10 f1f2f3f4f5f6f7f8f9fafbfcfdfefff0 27 08 9192939495969798';
const SAI_RES_UMTS = `0a ${IMSI_IE} ${TUPLE_1} ${TUPLE_2}`;
// gsup_test.c send_auth_info_res: GSM triplets only (RAND, SRES, Kc).
const SAI_RES_GSM = `0a ${IMSI_IE} 03 22 20 10 ${seq(1, 16)} 21 04 21222324 22 08 3132333435363738`;

describe('GSUP codec, byte-exact against libosmocore gsup_test.c', () => {
  it('SendAuthInfo Request, with number of vectors 10, and with AUTS + RAND', () => {
    assert.equal(toHex(encodeGsupMessage(sendAuthInfoRequest({ imsi: IMSI }))), toHex(h(SAI_REQ)));
    // our requests add the message class IE (gsup.c puts it after AUTS/RAND), as osmo-msc does
    const resync = { rand: h(seq(1, 16)), auts: h(seq(1, 14)) };
    assert.equal(
      toHex(encodeGsupMessage(sendAuthInfoRequest({ imsi: IMSI, resync }))),
      toHex(h(`${SAI_REQ_AUTS} ${CLASS_SUBSCR_IE}`)),
    );
    // 10 vectors is what gsup_test.c encodes; a client may ask for at most 5 (OSMO_GSUP_MAX_NUM_AUTH_INFO)
    const m = decodeGsupMessage(h(SAI_REQ10));
    assert.equal(m.messageType, GSUP_MESSAGE_TYPE.SEND_AUTH_INFO_REQUEST);
    assert.equal(m.imsi, IMSI);
    assert.deepEqual(
      m.ies.map((ie) => [ie.tag, toHex(ie.value)]),
      [
        [GSUP_IEI.NUM_VECTORS_REQ, '0a'],
        [GSUP_IEI.MESSAGE_CLASS, '01'],
      ],
    );
    assert.equal(toHex(encodeGsupMessage(m)), toHex(h(SAI_REQ10)));
    assert.throws(
      () => sendAuthInfoRequest({ imsi: IMSI, numVectors: 10 }),
      gsupError(/number of vectors 10 is not 1..5/),
    );
    assert.equal(
      toHex(encodeGsupMessage(sendAuthInfoRequest({ imsi: IMSI, numVectors: 3 }))),
      toHex(h(`08 ${IMSI_IE} 52 01 03 ${CLASS_SUBSCR_IE}`)),
    );
  });

  it('SendAuthInfo Error: cause 0x07 (GPRS not allowed), named in the failure with the IMSI', () => {
    const m = decodeGsupMessage(h(SAI_ERR));
    assert.equal(
      toHex(encodeGsupMessage(sendAuthInfoError(IMSI, GMM_CAUSE.GPRS_NOTALLOWED))),
      toHex(h(SAI_ERR)),
    );
    const r = parseSendAuthInfoResponse(m);
    assert.deepEqual(r, { kind: 'error', imsi: IMSI, cause: 7 });
    const e = sendAuthInfoFailure(IMSI, 7);
    assert.equal(e.cause, 7);
    assert.match(e.message, /IMSI 123456789012345 .*GPRS_NOTALLOWED \(0x07\)/);
  });

  it('SendAuthInfo Result (UMTS): two quintets with SRES/Kc, re-encoded byte for byte', () => {
    const m = decodeGsupMessage(h(SAI_RES_UMTS));
    const r = parseSendAuthInfoResponse(m);
    assert.equal(r.kind, 'result');
    assert.ok(r.kind === 'result');
    assert.equal(r.tuples.length, 2);
    const [t1, t2] = r.tuples;
    assert.equal(toHex(t1.rand), seq(1, 16));
    assert.equal(toHex(t1.xres), seq(1, 8));
    assert.equal(toHex(t2.ik), 'd1d2d3d4d5d6d7d8d9dadbdcdddedfd0');
    assert.equal(toHex(t2.ck), 'e1e2e3e4e5e6e7e8e9eaebecedeeefe0');
    assert.equal(toHex(t2.autn), 'f1f2f3f4f5f6f7f8f9fafbfcfdfefff0');
    assert.equal(toHex(t2.sres!), 'b1b2b3b4');
    assert.equal(toHex(t2.kc!), 'c1c2c3c4c5c6c7c8');
    assert.equal(toHex(encodeGsupMessage(sendAuthInfoResult(IMSI, r.tuples))), toHex(h(SAI_RES_UMTS)));
  });

  it('a GSM-only result (gsup_test.c send_auth_info_res) is refused: no UMTS tuple in it', () => {
    const m = decodeGsupMessage(h(SAI_RES_GSM));
    assert.throws(
      () => parseSendAuthInfoResponse(m),
      gsupError(/auth tuple without RES \(IE 0x27\): not a UMTS tuple/),
    );
  });
});

describe('GSUP codec properties', () => {
  const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
  const tuple: fc.Arbitrary<UmtsAuthTuple> = fc.oneof(
    fc.record({
      rand: bytes(16),
      xres: fc.uint8Array({ minLength: 1, maxLength: 16 }),
      ck: bytes(16),
      ik: bytes(16),
      autn: bytes(16),
    }),
    fc.record({
      rand: bytes(16),
      xres: fc.uint8Array({ minLength: 1, maxLength: 16 }),
      ck: bytes(16),
      ik: bytes(16),
      autn: bytes(16),
      sres: bytes(4),
      kc: bytes(8),
    }),
  );
  const imsi = fc.stringMatching(/^[0-9]{6,15}$/);
  const hexOf = (t: UmtsAuthTuple) =>
    Object.fromEntries(Object.entries(t).map(([k, v]) => [k, toHex(v as Uint8Array)]));

  it('round trip: auth tuples', () => {
    fc.assert(
      fc.property(tuple, (t) => assert.deepEqual(hexOf(decodeAuthTuple(encodeAuthTuple(t))), hexOf(t))),
    );
  });

  it('round trip: SendAuthInfo results and errors through the whole message codec', () => {
    fc.assert(
      fc.property(
        imsi,
        fc.array(tuple, { maxLength: 5 }),
        fc.integer({ min: 0, max: 255 }),
        (i, tuples, cause) => {
          const r = parseSendAuthInfoResponse(
            decodeGsupMessage(encodeGsupMessage(sendAuthInfoResult(i, tuples))),
          );
          assert.ok(r.kind === 'result');
          assert.equal(r.imsi, i);
          assert.deepEqual(r.tuples.map(hexOf), tuples.map(hexOf));
          const e = parseSendAuthInfoResponse(
            decodeGsupMessage(encodeGsupMessage(sendAuthInfoError(i, cause))),
          );
          assert.deepEqual(e, { kind: 'error', imsi: i, cause });
        },
      ),
    );
  });

  it('round trip: any message of a known type with any IEs', () => {
    const types = Object.values(GSUP_MESSAGE_TYPE);
    const ie = fc.record({ tag: fc.integer({ min: 2, max: 255 }), value: fc.uint8Array({ maxLength: 255 }) });
    fc.assert(
      fc.property(fc.constantFrom(...types), imsi, fc.array(ie, { maxLength: 6 }), (messageType, i, ies) => {
        const m: GsupMessage = { messageType, imsi: i, ies };
        const d = decodeGsupMessage(encodeGsupMessage(m));
        assert.equal(d.messageType, messageType);
        assert.equal(d.imsi, i);
        assert.deepEqual(
          d.ies.map((x) => [x.tag, toHex(x.value)]),
          ies.map((x) => [x.tag, toHex(x.value)]),
        );
      }),
    );
  });

  it('any truncation inside an IE is an error (GSUP has no total length: the IPA frame delimits it)', () => {
    const full = h(SAI_RES_UMTS);
    const ieBoundaries = [11, 11 + 100]; // after the IMSI IE, after the first tuple: valid shorter messages
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: full.length - 1 }).filter((n) => !ieBoundaries.includes(n)),
        (n) => {
          assert.throws(() => parseSendAuthInfoResponse(decodeGsupMessage(full.subarray(0, n))), OsmoError);
        },
      ),
    );
  });
});

describe('GSUP bad input', () => {
  it('unknown message type (gsup_test.c dummy 0x2b) is refused by name', () => {
    assert.throws(
      () => decodeGsupMessage(h(`2b ${IMSI_IE} 30 04 deadbeef 31 01 01`)),
      gsupError(/unknown GSUP message type 0x2b/),
    );
    assert.throws(
      () => encodeGsupMessage({ messageType: 0x7f, imsi: IMSI, ies: [] }),
      gsupError(/unknown GSUP message type 0x7f/),
    );
  });

  it('IE lengths beyond the message, truncated IE headers, missing or malformed IMSI', () => {
    assert.throws(() => decodeGsupMessage(new Uint8Array(0)), gsupError(/empty GSUP message/));
    assert.throws(
      () => decodeGsupMessage(h(`0a ${IMSI_IE} 03 62 20 10`)),
      gsupError(/IE 0x03 declares 98 bytes but 2 remain/),
    );
    assert.throws(
      () => decodeGsupMessage(h(`0a ${IMSI_IE} 03`)),
      gsupError(/IE 0x03 truncated before its length byte/),
    );
    assert.throws(() => decodeGsupMessage(h('0a 02 01 07')), gsupError(/does not start with the IMSI IE/));
    assert.throws(() => decodeGsupMessage(h('0a')), gsupError(/does not start with the IMSI IE/));
    assert.throws(() => decodeGsupMessage(h('0a 01 09 111111111111111111')), gsupError(/IMSI IE of 9 bytes/));
    assert.throws(() => decodeGsupMessage(h('0a 01 02 1a 32')), gsupError(/GSUP IMSI IE: IMSI: nibble a/));
    assert.throws(
      () => encodeGsupMessage({ messageType: 8, imsi: '12345', ies: [] }),
      gsupError(/not 6 to 15 decimal digits/),
    );
  });

  it('wrong lengths inside an auth tuple name the IE', () => {
    assert.throws(
      () => decodeAuthTuple(h(`20 0f ${seq(1, 15)}`)),
      gsupError(/RAND IE 0x20 of 15 bytes, expected 16/),
    );
    assert.throws(
      () => decodeAuthTuple(h(`25 11 ${seq(1, 17)}`)),
      gsupError(/AUTN IE 0x25 of 17 bytes, expected 16/),
    );
    assert.throws(() => decodeAuthTuple(h(`27 11 ${seq(1, 17)}`)), gsupError(/RES IE of 17 bytes/));
    assert.throws(() => decodeAuthTuple(h(`21 03 010203`)), gsupError(/SRES IE 0x21 of 3 bytes/));
    assert.throws(
      () => decodeAuthTuple(h(`20 10 ${seq(1, 16)} 20 10 ${seq(1, 16)}`)),
      gsupError(/IE 0x20 appears twice/),
    );
    assert.throws(() => decodeAuthTuple(h('2010 00')), gsupError(/declares 16 bytes but 1 remain/));
  });

  it('unknown IEs inside a tuple are skipped as gsup.c decode_auth_info does', () => {
    const withExtra = h(`99 02 abcd ${TUPLE_1.slice(6)}`);
    const t = decodeAuthTuple(withExtra);
    assert.equal(toHex(t.autn), seq(1, 16));
  });

  it('a cause IE of the wrong length, and a non-SendAuthInfo answer, are errors', () => {
    assert.throws(
      () => parseSendAuthInfoResponse(decodeGsupMessage(h(`09 ${IMSI_IE} 02 02 0007`))),
      gsupError(/cause IE of 2 bytes/),
    );
    assert.throws(
      () => parseSendAuthInfoResponse(decodeGsupMessage(h(`06 ${IMSI_IE}`))),
      gsupError(/0x06 is not a SendAuthInfo answer/),
    );
  });

  it('request parameters are checked: AUTS 14 bytes, RAND 16', () => {
    assert.throws(
      () =>
        sendAuthInfoRequest({ imsi: IMSI, resync: { rand: new Uint8Array(16), auts: new Uint8Array(22) } }),
      gsupError(/AUTS of 22 bytes, expected 14/),
    );
    assert.throws(
      () =>
        sendAuthInfoRequest({ imsi: IMSI, resync: { rand: new Uint8Array(8), auts: new Uint8Array(14) } }),
      gsupError(/RAND of 8 bytes, expected 16/),
    );
  });
});
