// GPC Amd F 7.5 / yubikit store_allowlist: the STORE DATA encoding of the OCE certificate allowlist.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../src/bytes/index.js';
import {
  DataObjectError,
  canonicalSerial,
  chainOnList,
  decodeOceAllowlist,
  encodeOceAllowlist,
  serialOnList,
} from '../../src/gp/data-objects/index.js';

describe('OCE allowlist codec', () => {
  it('encodes A6{83 KID KVN} 70{93 serial...} as yubikit does (sign byte before a high bit)', () => {
    const bytes = encodeOceAllowlist({
      keyReference: { kid: 0x11, kvn: 0x03 },
      serials: [Uint8Array.of(0x01), Uint8Array.of(0x9a, 0x02), Uint8Array.of(0x00, 0x00, 0x05)],
    });
    assert.equal(toHex(bytes), 'a60483021103700b930101930300' + '9a02' + '930105');
    const back = decodeOceAllowlist(bytes);
    assert.deepEqual(back.keyReference, { kid: 0x11, kvn: 0x03 });
    assert.deepEqual(back.serials.map(toHex), ['01', '009a02', '05']);
  });

  it('an empty list is 70 00', () => {
    const bytes = encodeOceAllowlist({ keyReference: { kid: 0x15, kvn: 1 }, serials: [] });
    assert.equal(toHex(bytes), 'a60483021501' + '7000');
    assert.deepEqual(decodeOceAllowlist(bytes).serials, []);
  });

  it('rejects other shapes', () => {
    for (const hex of [
      '7000',
      'a6048302110170009300',
      'a603830111' + '7000',
      'a6048302110170029400',
      'a60483021101700093',
    ]) {
      assert.throws(() => decodeOceAllowlist(fromHex(hex)), DataObjectError, hex);
    }
  });

  it('compares serials without leading zero bytes', () => {
    assert.equal(toHex(canonicalSerial(Uint8Array.of(0, 0, 0x80))), '0080');
    assert.ok(serialOnList([Uint8Array.of(0x9a)], Uint8Array.of(0x00, 0x9a)));
    assert.ok(serialOnList([Uint8Array.of(0, 0, 5)], Uint8Array.of(5)));
    assert.equal(serialOnList([Uint8Array.of(5)], Uint8Array.of(5, 0)), false);
    assert.equal(serialOnList([], Uint8Array.of(5)), false);
  });

  it('encodes the KID 10 form yubikit sends (KeyRef(0x10, kvn))', () => {
    const bytes = encodeOceAllowlist({
      keyReference: { kid: 0x10, kvn: 0x03 },
      serials: [Uint8Array.of(0x01), Uint8Array.of(0x02)],
    });
    assert.equal(toHex(bytes), 'a60483021003' + '7006930101930102');
    assert.deepEqual(decodeOceAllowlist(bytes).keyReference, { kid: 0x10, kvn: 0x03 });
  });

  it('the CA-KLOC form needs every chain serial listed', () => {
    const list = [Uint8Array.of(1), Uint8Array.of(2)];
    assert.ok(chainOnList(list, [Uint8Array.of(1), Uint8Array.of(0, 2)]));
    assert.equal(chainOnList(list, [Uint8Array.of(3), Uint8Array.of(2)]), false);
    assert.equal(chainOnList(list, []), false);
  });
});
