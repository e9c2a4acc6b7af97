// The vpcd framing (iso7816/vpcd.ts) both ends share: a 2-byte big-endian length, then the message.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { concatBytes } from '../../src/bytes/index.js';
import { frame, FrameReader, VPCD_MAX_MESSAGE } from '../../src/iso7816/index.js';

describe('vpcd framing', () => {
  it('prefixes the length and refuses what does not fit', () => {
    assert.deepEqual(frame(Uint8Array.of(0x01)), Uint8Array.of(0x00, 0x01, 0x01));
    assert.throws(() => frame(new Uint8Array(VPCD_MAX_MESSAGE + 1)), RangeError);
  });
  it('gives back the messages however the stream is cut', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }),
        (messages, cuts) => {
          const stream = concatBytes(...messages.map(frame));
          const reader = new FrameReader();
          const out: Uint8Array[] = [];
          let at = 0;
          for (let i = 0; at < stream.length; i++) {
            const next = Math.min(stream.length, at + cuts[i % cuts.length]);
            out.push(...reader.push(stream.subarray(at, next)));
            at = next;
          }
          assert.deepEqual(out, messages);
        },
      ),
    );
  });
});
