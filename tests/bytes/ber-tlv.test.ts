import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  TlvError,
  children,
  concatBytes,
  decodeTlv,
  decodeTlvs,
  describeTlvs,
  encodeLength,
  encodeTag,
  encodeTlv,
  expectTlv,
  findAllTlvs,
  findTlv,
  fromHex,
  isConstructed,
  tlv,
  tlvIndefinite,
  toHex,
  type Tlv,
} from '../../src/bytes/index.js';

/** Asserts that `f` throws a TlvError (with `offset`, if given) whose message matches `pattern`. */
function throwsTlv(f: () => unknown, pattern: RegExp, offset?: number): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof TlvError, `expected TlvError, got ${String(e)}`);
    assert.match(e.message, pattern);
    if (offset !== undefined) assert.equal(e.offset, offset);
    return true;
  });
}

describe('BER-TLV tags', () => {
  it('1-, 2- and 3-byte tags encode and decode', () => {
    assert.equal(toHex(tlv(0x5a, fromHex('0102'))), '5a020102');
    assert.equal(toHex(tlv(0x5f20, fromHex('01'))), '5f200101');
    assert.equal(toHex(tlv(0xbf70, tlv(0x80, fromHex('aa')))), 'bf70038001aa');
    assert.equal(toHex(tlv(0xdf8120)), 'df812000');
    for (const tag of [0x5a, 0x7f21, 0xbf21, 0x5f37, 0xdf8120, 0x9f8101]) {
      const t = decodeTlv(tlv(tag, fromHex('00')));
      assert.equal(t.tag, tag);
      assert.deepEqual(t.value, fromHex('00'));
    }
  });

  it('constructed bit', () => {
    assert.equal(isConstructed(0x7f21), true);
    assert.equal(isConstructed(0xa6), true);
    assert.equal(isConstructed(0x5f20), false);
    assert.equal(isConstructed(0x80), false);
  });

  it('malformed tag numbers are refused when encoding', () => {
    throwsTlv(() => encodeTag(0x1f), /malformed tag 1F/); // needs a second byte
    throwsTlv(() => encodeTag(0x5f80), /malformed tag 5F80/); // last byte has bit 8 set
    throwsTlv(() => encodeTag(0x0101), /malformed tag/); // two bytes without the 1F marker
    throwsTlv(() => encodeTag(0x1f0101), /malformed tag/); // middle byte lacks bit 8
    throwsTlv(() => encodeTag(0x1000000), /out of range/);
    throwsTlv(() => encodeTag(-1), /out of range/);
  });

  it('a tag longer than 3 bytes and a truncated tag are refused when decoding, with the offset', () => {
    throwsTlv(() => decodeTlvs(fromHex('5f81818101 00')), /tag longer than 3 bytes/, 0);
    throwsTlv(() => decodeTlvs(fromHex('5a00 5f')), /truncated tag/, 2);
    throwsTlv(() => decodeTlvs(fromHex('5a00 5f81')), /truncated tag/, 2);
  });
});

describe('BER-TLV lengths', () => {
  const cases: [number, string][] = [
    [0, '00'],
    [0x7f, '7f'],
    [0x80, '8180'],
    [0xff, '81ff'],
    [0x100, '820100'],
    [0xffff, '82ffff'],
    [0x10000, '83010000'],
  ];
  for (const [n, hex] of cases) {
    it(`${n} bytes -> ${hex}, and back`, () => {
      assert.equal(toHex(encodeLength(n)), hex);
      const encoded = tlv(0x04, new Uint8Array(n).fill(0x5a));
      assert.equal(toHex(encoded.subarray(1, 1 + hex.length / 2)), hex);
      const t = decodeTlv(encoded);
      assert.equal(t.value.length, n);
      assert.equal(t.raw.length, encoded.length);
    });
  }

  it('accepts the long form even where the short one would do (BER, not DER)', () => {
    assert.deepEqual(decodeTlv(fromHex('5a 81 02 0102')).value, fromHex('0102'));
    assert.deepEqual(decodeTlv(fromHex('5a 82 0002 0102')).value, fromHex('0102'));
  });

  it('refuses lengths above 3 octets, naming the tag', () => {
    throwsTlv(() => decodeTlvs(fromHex('5a 84 00000001 00')), /length of tag 5A has 4 octets/, 1);
    throwsTlv(() => decodeTlvs(fromHex('5a ff')), /127 octets/, 1);
    throwsTlv(() => encodeLength(0x1000000), /too large/);
  });
});

describe('BER-TLV indefinite length (ETSI TS 102 226 expanded remote APDU format)', () => {
  // AE 80 { 22 05 <C-APDU> } 00 00: a script of one command (GET DATA 00E0, Le 00).
  const script = fromHex('ae80 2205 80ca00e000 0000');

  it('decodes a script: constructed tag AE, indefinite, children are the C-APDU TLVs', () => {
    const t = decodeTlv(script);
    assert.equal(t.tag, 0xae);
    assert.equal(t.indefinite, true);
    assert.equal(toHex(t.value), '220580ca00e000');
    assert.deepEqual(t.raw, script);
    const c = children(t);
    assert.equal(c.length, 1);
    assert.equal(c[0].tag, 0x22);
    assert.equal(toHex(c[0].value), '80ca00e000');
  });

  it('builds the same bytes, and re-encodes a decoded TLV as it was', () => {
    assert.deepEqual(tlvIndefinite(0xae, tlv(0x22, fromHex('80ca00e000'))), script);
    assert.deepEqual(encodeTlv(decodeTlv(script)), script);
  });

  it('a response script with several TLVs and a nested definite template', () => {
    const response = fromHex('af80 800101 2302 9000 800102 2304 0102 6a88 0000');
    const t = decodeTlv(response);
    assert.deepEqual(
      children(t).map((c) => [c.tag, toHex(c.value)]),
      [
        [0x80, '01'],
        [0x23, '9000'],
        [0x80, '02'],
        [0x23, '01026a88'],
      ],
    );
  });

  it('indefinite TLVs nest', () => {
    const nested = tlvIndefinite(
      0xae,
      tlvIndefinite(0xa0, tlv(0x80, fromHex('01'))),
      tlv(0x81, fromHex('02')),
    );
    const t = decodeTlv(nested);
    const [inner, second] = children(t);
    assert.equal(inner.indefinite, true);
    assert.equal(toHex(children(inner)[0].value), '01');
    assert.equal(second.tag, 0x81);
  });

  it('refuses an indefinite length on a primitive tag, and a missing end-of-contents', () => {
    throwsTlv(() => tlvIndefinite(0x80), /needs a constructed tag/);
    throwsTlv(() => decodeTlvs(fromHex('8080 0000')), /indefinite length on primitive tag 80/, 1);
    throwsTlv(
      () => decodeTlvs(fromHex('ae80 2205 80ca00e000')),
      /missing end-of-contents 00 00 of tag AE/,
      9,
    );
    throwsTlv(() => decodeTlvs(fromHex('ae80 2205 80ca00e000 00')), /truncated|end-of-contents/);
  });

  it('refuses nesting deeper than 32 levels instead of recursing without bound', () => {
    const deep = concatBytes(...Array.from({ length: 40 }, () => fromHex('a080')));
    throwsTlv(() => decodeTlvs(deep), /nesting deeper than 32 levels/);
  });
});

describe('BER-TLV malformed input', () => {
  it('truncated value: TlvError naming the tag, with the offset of its length', () => {
    throwsTlv(
      () => decodeTlvs(fromHex('5a 05 0102')),
      /tag 5A declares 5 bytes but only 2 remain at offset 1/,
      1,
    );
    throwsTlv(() => decodeTlvs(fromHex('5a00 bf70 82 01')), /truncated length of tag BF70/, 4);
    throwsTlv(() => decodeTlvs(fromHex('5a')), /truncated: length of tag 5A expected/, 1);
  });

  it('trailing bytes after exactly one TLV', () => {
    throwsTlv(() => decodeTlv(fromHex('5a 01 00 ff')), /1 trailing bytes after tag 5A/, 3);
    throwsTlv(() => decodeTlv(new Uint8Array(0)), /empty input/, 0);
    assert.deepEqual(decodeTlvs(new Uint8Array(0)), []);
  });

  it('children() reports the enclosing tag', () => {
    const t = decodeTlv(fromHex('a6 03 80 05 01'));
    throwsTlv(() => children(t), /inside tag A6: tag 80 declares 5 bytes/);
  });
});

describe('BER-TLV lookup', () => {
  const list = decodeTlvs(fromHex('800101 5a020102 800103'));

  it('findTlv / findAllTlvs', () => {
    assert.equal(toHex(findTlv(list, 0x80)!.value), '01');
    assert.equal(findTlv(list, 0x81), undefined);
    assert.deepEqual(
      findAllTlvs(list, 0x80).map((t) => toHex(t.value)),
      ['01', '03'],
    );
  });

  it('expectTlv names the context and the tag, and checks lengths', () => {
    assert.equal(toHex(expectTlv(list, 0x5a, 'BF70', 2).value), '0102');
    throwsTlv(
      () => expectTlv(list, 0x83, 'BF70 ProfileKeyUpdateRequest'),
      /^BF70 ProfileKeyUpdateRequest: missing tag 83$/,
    );
    throwsTlv(() => expectTlv(list, 0x5a, 'BF70', 10), /BF70: tag 5A has 2 bytes, expected 10/);
    throwsTlv(() => expectTlv(list, 0x5a, 'BF70', 16, 32), /expected 16 or 32/);
  });

  it('describeTlvs renders a tree', () => {
    assert.equal(describeTlvs(decodeTlvs(fromHex('a6 03 800101 5a00'))), 'A6\n  80 01\n5A ');
  });
});

// ------------------------------------------------------------------------------------- properties

interface Node {
  tag: number;
  indefinite?: boolean;
  value?: Uint8Array; // primitive
  kids?: Node[]; // constructed
}

/** A valid tag of 1-3 bytes, with the constructed bit as asked; never 00 (the end-of-contents marker). */
function tagArb(constructed: boolean): fc.Arbitrary<number> {
  const first = (b: number): number => (constructed ? b | 0x20 : b & ~0x20);
  return fc.oneof(
    fc
      .integer({ min: 1, max: 0xff })
      .filter((b) => (b & 0x1f) !== 0x1f && first(b) !== 0)
      .map(first),
    fc
      .tuple(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 0x7f }))
      .map(([cls, b]) => (first((cls << 5) | 0x1f) << 8) | b),
    fc
      .tuple(
        fc.integer({ min: 0, max: 7 }),
        fc.integer({ min: 0x80, max: 0xff }),
        fc.integer({ min: 0, max: 0x7f }),
      )
      .map(([cls, b2, b3]) => (first((cls << 5) | 0x1f) << 16) | (b2 << 8) | b3),
  );
}

const primitiveArb: fc.Arbitrary<Node> = fc.record({
  tag: tagArb(false),
  value: fc.oneof(fc.uint8Array({ maxLength: 8 }), fc.uint8Array({ minLength: 120, maxLength: 300 })),
});

function nodeArb(depth: number): fc.Arbitrary<Node> {
  if (depth === 0) return primitiveArb;
  return fc.oneof(
    primitiveArb,
    fc.record({
      tag: tagArb(true),
      indefinite: fc.boolean(),
      kids: fc.array(nodeArb(depth - 1), { maxLength: 4 }),
    }),
  );
}

function encodeNode(n: Node): Uint8Array {
  if (n.kids === undefined) return tlv(n.tag, n.value);
  const inner = n.kids.map(encodeNode);
  return n.indefinite ? tlvIndefinite(n.tag, ...inner) : tlv(n.tag, ...inner);
}

function toNode(t: Tlv): Node {
  if (!isConstructed(t.tag)) return { tag: t.tag, value: t.value };
  return { tag: t.tag, indefinite: t.indefinite === true, kids: children(t).map(toNode) };
}

function normalise(n: Node): Node {
  if (n.kids === undefined) return { tag: n.tag, value: Uint8Array.from(n.value!) };
  return { tag: n.tag, indefinite: n.indefinite === true, kids: n.kids.map(normalise) };
}

describe('BER-TLV properties', () => {
  it('decode(encode(tree)) = tree, for random trees of 1-3 byte tags, short/long/indefinite lengths', () => {
    fc.assert(
      fc.property(fc.array(nodeArb(3), { maxLength: 4 }), (trees) => {
        const encoded = concatBytes(...trees.map(encodeNode));
        const decoded = decodeTlvs(encoded);
        assert.deepEqual(
          decoded.map((t) => normalise(toNode(t))),
          trees.map(normalise),
        );
        assert.deepEqual(concatBytes(...decoded.map((t) => t.raw)), encoded);
        assert.deepEqual(concatBytes(...decoded.map(encodeTlv)), encoded);
      }),
      { numRuns: 300 },
    );
  });

  it('random bytes never raise anything but TlvError; what decodes covers the input exactly', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          const list = decodeTlvs(bytes);
          assert.deepEqual(concatBytes(...list.map((t) => t.raw)), bytes);
          describeTlvs(list);
        } catch (e) {
          assert.ok(e instanceof TlvError, `unexpected ${String(e)}`);
        }
        try {
          decodeTlv(bytes);
        } catch (e) {
          assert.ok(e instanceof TlvError, `unexpected ${String(e)}`);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('random mutations of valid encodings never raise anything but TlvError', () => {
    fc.assert(
      fc.property(nodeArb(3), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat(), (tree, at, byte, cut) => {
        const encoded = encodeNode(tree);
        const mutated = Uint8Array.from(encoded);
        mutated[at % mutated.length] = byte;
        for (const input of [mutated, encoded.subarray(0, cut % (encoded.length + 1))]) {
          try {
            describeTlvs(decodeTlvs(input));
          } catch (e) {
            assert.ok(e instanceof TlvError, `unexpected ${String(e)}`);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
