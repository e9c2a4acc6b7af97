// GetResponseChannel (61xx / 6Cxx) and ChainingChannel (ISO command chaining) against scripted cards.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { concatBytes, toHex } from '../../src/bytes/index.js';
import {
  ApduError,
  ChainingChannel,
  GetResponseChannel,
  INS_GET_RESPONSE,
  encodeCommand,
  type CardChannel,
  type CommandApdu,
  type ResponseApdu,
} from '../../src/iso7816/index.js';

const EMPTY = new Uint8Array(0);

/** A card that answers `payload` in pieces of `piece` bytes with 61xx, and records every command. */
class ChunkingCard implements CardChannel {
  readonly seen: CommandApdu[] = [];
  #rest: Uint8Array = EMPTY;
  constructor(
    readonly payload: Uint8Array,
    readonly piece = 256,
    readonly finalSw = 0x9000,
  ) {}
  async transmit(c: CommandApdu): Promise<ResponseApdu> {
    this.seen.push(c);
    if (c.ins !== INS_GET_RESPONSE) this.#rest = this.payload;
    const part = this.#rest.subarray(0, this.piece);
    this.#rest = this.#rest.subarray(part.length);
    const n = this.#rest.length;
    return { data: part, sw: n === 0 ? this.finalSw : 0x6100 | (n >= 256 ? 0 : n) };
  }
}

describe('GetResponseChannel', () => {
  it('collects 61xx parts until the final status word (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 1500 }),
        fc.integer({ min: 1, max: 256 }),
        async (payload, piece) => {
          const card = new ChunkingCard(payload, piece, 0x6310);
          const r = await new GetResponseChannel(card).transmit({
            cla: 0x81,
            ins: 0xf2,
            p1: 0,
            p2: 0,
            data: EMPTY,
            ne: 256,
          });
          assert.equal(toHex(r.data), toHex(payload));
          assert.equal(r.sw, 0x6310);
          const gets = card.seen.slice(1);
          assert.equal(gets.length, Math.max(0, Math.ceil(payload.length / piece) - 1));
          for (const g of gets) {
            assert.equal(g.cla, 0x01, 'GET RESPONSE on the logical channel of the command');
            assert.ok(g.ne !== undefined && g.ne >= 1 && g.ne <= 256);
          }
        },
      ),
      { numRuns: 50 },
    );
  });

  it('Le of GET RESPONSE: SW2 by default, absent when asked (00 C0 00 00)', async () => {
    const payload = new Uint8Array(300).fill(7);
    const iso = new ChunkingCard(payload);
    await new GetResponseChannel(iso).transmit({ cla: 0, ins: 0xca, p1: 0, p2: 0x66, data: EMPTY, ne: 256 });
    assert.equal(toHex(encodeCommand(iso.seen[1])), '00c000002c');
    const bare = new ChunkingCard(payload);
    await new GetResponseChannel(bare, { le: 'absent' }).transmit({
      cla: 0,
      ins: 0xca,
      p1: 0,
      p2: 0x66,
      data: EMPTY,
      ne: 256,
    });
    assert.equal(toHex(encodeCommand(bare.seen[1])), '00c00000');
  });

  it('resends a command answered 6Cxx with Le = xx', async () => {
    const seen: CommandApdu[] = [];
    const card: CardChannel = {
      async transmit(c) {
        seen.push(c);
        return c.ne === 0x12 ? { data: new Uint8Array(0x12), sw: 0x9000 } : { data: EMPTY, sw: 0x6c12 };
      },
    };
    const r = await new GetResponseChannel(card).transmit({
      cla: 0,
      ins: 0xb0,
      p1: 0,
      p2: 0,
      data: EMPTY,
      ne: 256,
    });
    assert.equal(r.data.length, 0x12);
    assert.deepEqual(
      seen.map((c) => c.ne),
      [256, 0x12],
    );
  });

  it('a card that never stops announcing data is an error, not a hang', async () => {
    const card: CardChannel = { transmit: async () => ({ data: Uint8Array.of(1), sw: 0x6101 }) };
    await assert.rejects(
      new GetResponseChannel(card, { maxRounds: 10 }).transmit({
        cla: 0,
        ins: 0xca,
        p1: 0,
        p2: 0,
        data: EMPTY,
      }),
      ApduError,
    );
  });
});

describe('ChainingChannel', () => {
  class RecordingCard implements CardChannel {
    readonly seen: CommandApdu[] = [];
    constructor(
      readonly answer: (c: CommandApdu, i: number) => ResponseApdu = () => ({ data: EMPTY, sw: 0x9000 }),
    ) {}
    async transmit(c: CommandApdu): Promise<ResponseApdu> {
      this.seen.push(c);
      return this.answer(c, this.seen.length - 1);
    }
  }

  it('splits long data into 255-byte blocks, CLA b5 on all but the last (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 2000 }),
        fc.constantFrom(undefined, 256, 4096),
        async (data, ne) => {
          const card = new RecordingCard();
          await new ChainingChannel(card).transmit({ cla: 0x84, ins: 0xe2, p1: 0x91, p2: 0, data, ne });
          const blocks = card.seen;
          assert.equal(blocks.length, Math.max(1, Math.ceil(data.length / 255)));
          assert.equal(toHex(concatBytes(...blocks.map((b) => b.data))), toHex(data));
          blocks.forEach((b, i) => {
            const last = i === blocks.length - 1;
            assert.equal(b.cla, last ? 0x84 : 0x94);
            assert.ok(b.data.length <= 255);
            assert.ok(encodeCommand(b).length <= 261, 'every block is a short APDU');
            assert.equal(b.ne, last && ne !== undefined ? Math.min(ne, 256) : undefined);
          });
        },
      ),
      { numRuns: 50 },
    );
  });

  it('stops at the first block the card refuses', async () => {
    const card = new RecordingCard((_, i) => ({ data: EMPTY, sw: i === 1 ? 0x6a80 : 0x9000 }));
    const r = await new ChainingChannel(card).transmit({
      cla: 0x80,
      ins: 0xe2,
      p1: 0,
      p2: 0,
      data: new Uint8Array(1000),
    });
    assert.equal(r.sw, 0x6a80);
    assert.equal(card.seen.length, 2);
  });
});
