import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromHex, toHex } from '../../src/bytes/index.js';
import {
  decodeCcm,
  decodeIpaFrames,
  decodeOsmoPayload,
  encodeCcm,
  encodeIpaFrame,
  encodeOsmoFrame,
  IPA_EXT_CTRL,
  IPA_EXT_GSUP,
  IPA_IDTAG_SERNR,
  IPA_IDTAG_UNITNAME,
  IPA_STREAM_CCM,
  IpaFrameReader,
  OsmoError,
  type CcmMessage,
} from '../../src/osmo/index.js';

const ipaError = (pattern: RegExp) => (e: unknown) =>
  e instanceof OsmoError && e.kind === 'ipa' && pattern.test(e.message);

describe('IPA framing (libosmocore ipaccess.h)', () => {
  it('known frames: PONG and ID_ACK as libosmocore ipa.c sends them', () => {
    assert.equal(toHex(encodeIpaFrame(IPA_STREAM_CCM, encodeCcm({ type: 'pong' }))), '0001fe01');
    assert.equal(toHex(encodeIpaFrame(IPA_STREAM_CCM, encodeCcm({ type: 'id_ack' }))), '0001fe06');
    assert.equal(toHex(encodeIpaFrame(IPA_STREAM_CCM, encodeCcm({ type: 'ping' }))), '0001fe00');
  });

  it("known frame: osmo-hlr's ID_GET (ipa.c ipa_id_req_msg) decodes to its eight tags", () => {
    const bytes = fromHex('0011fe04 0108 0107 0102 0103 0104 0105 0101 0100');
    const [frame] = decodeIpaFrames(bytes);
    assert.equal(frame.stream, IPA_STREAM_CCM);
    const m = decodeCcm(frame.payload);
    assert.deepEqual(m, { type: 'id_get', tags: [0x08, 0x07, 0x02, 0x03, 0x04, 0x05, 0x01, 0x00] });
    assert.equal(toHex(encodeIpaFrame(IPA_STREAM_CCM, encodeCcm(m))), toHex(bytes));
  });

  it('known frame: ID_RESP as ipa.c ipa_ccm_make_id_resp builds it (16-bit length, tag, NUL-terminated)', () => {
    const payload = encodeCcm({
      type: 'id_resp',
      identities: [
        { tag: IPA_IDTAG_UNITNAME, value: 'ltku' },
        { tag: IPA_IDTAG_SERNR, value: '' },
      ],
    });
    assert.equal(
      toHex(payload),
      '05' + '000601' + toHex(new TextEncoder().encode('ltku')) + '00' + '00020000',
    );
  });

  it('known frame: a CTRL GET on the osmo stream, extension 0x00 inside the length', () => {
    const frame = encodeOsmoFrame(IPA_EXT_CTRL, new TextEncoder().encode('GET 1 x'));
    assert.equal(toHex(frame), '0008ee00' + toHex(new TextEncoder().encode('GET 1 x')));
    const [f] = decodeIpaFrames(frame);
    const { ext, data } = decodeOsmoPayload(f.payload);
    assert.equal(ext, IPA_EXT_CTRL);
    assert.equal(new TextDecoder().decode(data), 'GET 1 x');
  });

  it('round trip: any frames, cut into any chunks, come back whole and in order', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ stream: fc.integer({ min: 0, max: 255 }), payload: fc.uint8Array({ maxLength: 300 }) }),
          {
            maxLength: 8,
          },
        ),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }),
        (frames, cuts) => {
          const bytes = Uint8Array.from(frames.flatMap((f) => [...encodeIpaFrame(f.stream, f.payload)]));
          const reader = new IpaFrameReader();
          const out = [];
          let at = 0;
          let i = 0;
          while (at < bytes.length) {
            const n = cuts[i++ % cuts.length];
            out.push(...reader.push(bytes.subarray(at, at + n)));
            at += n;
          }
          reader.end();
          assert.equal(reader.buffered, 0);
          assert.deepEqual(
            out.map((f) => [f.stream, toHex(f.payload)]),
            frames.map((f) => [f.stream, toHex(f.payload)]),
          );
        },
      ),
    );
  });

  it('round trip: GSUP data on the osmo stream keeps its extension byte', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (data) => {
        const [f] = decodeIpaFrames(encodeOsmoFrame(IPA_EXT_GSUP, data));
        const d = decodeOsmoPayload(f.payload);
        assert.equal(d.ext, IPA_EXT_GSUP);
        assert.equal(toHex(d.data), toHex(data));
      }),
    );
  });

  it('truncated frames are errors naming what is missing, never a silent wait at end of stream', () => {
    assert.throws(() => decodeIpaFrames(fromHex('00')), ipaError(/1 of the 3 header bytes/));
    assert.throws(
      () => decodeIpaFrames(fromHex('0010ee00aabb')),
      ipaError(/declares 16 payload bytes, 3 received/),
    );
    const reader = new IpaFrameReader();
    assert.deepEqual(reader.push(fromHex('0003fe')), []);
    assert.equal(reader.buffered, 3);
    assert.throws(() => reader.end(), ipaError(/stream 0xfe: header declares 3 payload bytes, 0 received/));
  });

  it('oversized payloads and bad stream ids are refused on encoding', () => {
    assert.throws(
      () => encodeIpaFrame(IPA_STREAM_CCM, new Uint8Array(0x10000)),
      ipaError(/65536 bytes exceeds the 65535/),
    );
    assert.doesNotThrow(() => encodeIpaFrame(IPA_STREAM_CCM, new Uint8Array(0xffff)));
    assert.throws(() => encodeIpaFrame(0x100, new Uint8Array(1)), ipaError(/stream id 256/));
    assert.throws(() => encodeOsmoFrame(IPA_EXT_GSUP, new Uint8Array(0xffff)), ipaError(/exceeds/));
  });

  it('an osmo frame without its extension byte is an error', () => {
    assert.throws(() => decodeOsmoPayload(new Uint8Array(0)), ipaError(/without its extension byte/));
  });
});

describe('IPA CCM messages', () => {
  const ccm = fc.oneof(
    fc.constant<CcmMessage>({ type: 'ping' }),
    fc.constant<CcmMessage>({ type: 'pong' }),
    fc.constant<CcmMessage>({ type: 'id_ack' }),
    fc
      .array(fc.integer({ min: 0, max: 255 }), { maxLength: 12 })
      .map((tags): CcmMessage => ({ type: 'id_get', tags })),
    fc
      .array(
        fc.record({
          tag: fc.integer({ min: 0, max: 255 }),
          value: fc.string({ maxLength: 40 }).filter((s) => !s.includes('\0')),
        }),
        { maxLength: 6 },
      )
      .map((identities): CcmMessage => ({ type: 'id_resp', identities })),
  );

  it('round trip', () => {
    fc.assert(
      fc.property(ccm, (m) => assert.deepEqual(decodeCcm(encodeCcm(m)), JSON.parse(JSON.stringify(m)))),
    );
  });

  it('bad input: unknown type, extra bytes, tags beyond the message, zero lengths', () => {
    assert.throws(() => decodeCcm(new Uint8Array(0)), ipaError(/empty IPA CCM/));
    assert.throws(() => decodeCcm(fromHex('0b')), ipaError(/unknown IPA CCM message type 0x0b/));
    assert.throws(() => decodeCcm(fromHex('0000')), ipaError(/PING with 1 extra bytes/));
    assert.throws(() => decodeCcm(fromHex('040501')), ipaError(/ID_GET: tag 0x01 declares 5 bytes beyond/));
    assert.throws(() => decodeCcm(fromHex('040001')), ipaError(/ID_GET: tag 0x01 has length 0/));
    assert.throws(() => decodeCcm(fromHex('0401')), ipaError(/ID_GET: truncated/));
    assert.throws(
      () => decodeCcm(fromHex('05000901414200')),
      ipaError(/ID_RESP: tag 0x01 declares 9 bytes beyond/),
    );
    assert.throws(() => decodeCcm(fromHex('050000')), ipaError(/ID_RESP: truncated/));
    assert.throws(
      () => decodeCcm(fromHex('050003 01 ff fe'.replace(/ /g, ''))),
      ipaError(/ID_RESP: tag 0x01 is not text/),
    );
    assert.throws(
      () => encodeCcm({ type: 'id_resp', identities: [{ tag: 1, value: 'a\0b' }] }),
      ipaError(/contains NUL/),
    );
  });

  it('an ID_RESP value without the terminating NUL (other peers) is read too', () => {
    assert.deepEqual(decodeCcm(fromHex('050003014142')), {
      type: 'id_resp',
      identities: [{ tag: 1, value: 'AB' }],
    });
  });
});
