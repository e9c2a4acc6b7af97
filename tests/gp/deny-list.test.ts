// Issue 13: the deny list update STORE DATA BF74{81 <mode> 93 <serial> ...} (proprietary, gp/constants.ts):
// the codec, strict decoding, and the host's updateDenyList with the card's status word mapped once.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../src/bytes/index.js';
import type { CommandApdu, ResponseApdu } from '../../src/iso7816/index.js';
import {
  DataObjectError,
  decodeDenyListUpdate,
  encodeDenyListUpdate,
} from '../../src/gp/data-objects/index.js';
import { KeyManagementError, updateDenyList } from '../../src/gp/key-management/index.js';
import type { Scp11Channel } from '../../src/gp/scp11/index.js';

function fakeChannel(sw: number, seen: CommandApdu[]): Scp11Channel {
  return {
    transmit: (c: CommandApdu): Promise<ResponseApdu> => {
      seen.push(c);
      return Promise.resolve({ data: new Uint8Array(0), sw });
    },
  } as unknown as Scp11Channel;
}

describe('deny list update codec (BF74)', () => {
  it('encodes mode then canonical serials; decodes back', () => {
    const bytes = encodeDenyListUpdate({
      mode: 'add',
      serials: [Uint8Array.of(0x01), Uint8Array.of(0x9a), Uint8Array.of(0x00, 0x00, 0x05)],
    });
    assert.equal(toHex(bytes), 'bf740d' + '810101' + '930101' + '9302009a' + '930105');
    const back = decodeDenyListUpdate(bytes);
    assert.equal(back.mode, 'add');
    assert.deepEqual(back.serials.map(toHex), ['01', '009a', '05']);
    const empty = encodeDenyListUpdate({ mode: 'replace', serials: [] });
    assert.equal(toHex(empty), 'bf7403810102');
    assert.deepEqual(decodeDenyListUpdate(empty), { mode: 'replace', serials: [] });
  });

  it('rejects other shapes', () => {
    for (const hex of [
      'bf7400', // no mode
      'bf7403810103', // unknown mode
      'bf740481020101', // mode of two bytes
      'bf7406930101810101', // mode not first
      'bf7405810101' + '9300', // empty serial
      'bf7406810101' + '940101', // not 93
      'bf7403810101' + '7000', // a second top-level object
      '7003810101', // not BF74
      'bf7404810101', // truncated
      'bf741b810101' + '9316' + '01'.repeat(22), // serial longer than 21 bytes
    ]) {
      assert.throws(() => decodeDenyListUpdate(fromHex(hex)), DataObjectError, hex);
    }
  });
});

describe('updateDenyList (host)', () => {
  it('sends 80 E2 90 00 BF74 and maps refusals to KeyManagementError', async () => {
    const seen: CommandApdu[] = [];
    await updateDenyList(fakeChannel(0x9000, seen), [Uint8Array.of(7)], 'replace');
    assert.equal(seen.length, 1);
    assert.deepEqual([seen[0].cla, seen[0].ins, seen[0].p1, seen[0].p2], [0x80, 0xe2, 0x90, 0x00]);
    assert.equal(toHex(seen[0].data), 'bf7406810102930107');
    for (const [sw, reason] of [
      [0x6982, 'security'],
      [0x6a80, 'wrong-data'],
      [0x6581, 'memory'],
      [0x6d00, 'other'],
    ] as const) {
      const e = await updateDenyList(fakeChannel(sw, []), [Uint8Array.of(7)], 'add').catch((x: unknown) => x);
      assert.ok(e instanceof KeyManagementError, String(e));
      assert.equal(e.reason, reason);
      assert.equal(e.sw, sw);
    }
  });
});
