// GPC 2.3 11.8 PUT KEY and 11.2 DELETE data fields in the form of yubikit's securitydomain.py (put_key of an EC
// public key, delete_key), and the host's one mapping of the card's status words to KeyManagementError.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { P256, SeededRandom, generateKeyPair } from '../../src/crypto/index.js';
import { fromHex, toHex } from '../../src/bytes/index.js';
import type { CommandApdu, ResponseApdu } from '../../src/iso7816/index.js';
import type { Scp11Channel } from '../../src/gp/scp11/index.js';
import {
  KeyManagementError,
  KeyManagementFormatError,
  decodeDeleteKey,
  decodePutKeyEcPublic,
  deleteKey,
  encodeDeleteKey,
  encodePutKeyEcPublic,
  putCaKlocKey,
} from '../../src/gp/key-management/index.js';

const point = generateKeyPair(P256, new SeededRandom('codec')).publicKey;

function stub(sw: number, data = new Uint8Array(0)) {
  const sent: CommandApdu[] = [];
  const channel = {
    transmit: (c: CommandApdu): Promise<ResponseApdu> => {
      sent.push(c);
      return Promise.resolve({ data, sw });
    },
  } as unknown as Scp11Channel;
  return { channel, sent };
}

describe('PUT KEY / DELETE codec', () => {
  it('PUT KEY: KVN B0 41 <point> F0 01 <curve> 00, and back', () => {
    const data = encodePutKeyEcPublic({ kvn: 2, curveId: P256.gpId, publicKey: point });
    assert.equal(toHex(data), `02b041${toHex(point)}f0010000`);
    assert.deepEqual(decodePutKeyEcPublic(data), { kvn: 2, curveId: 0, publicKey: point });
    for (const bad of [
      '02',
      `02b041${toHex(point)}f00100`,
      `02f00100b04104${'00'.repeat(64)}00`,
      `02b041${toHex(point)}f0010001`,
    ]) {
      assert.throws(() => decodePutKeyEcPublic(fromHex(bad)), KeyManagementFormatError, bad);
    }
  });

  it('DELETE: D0 01 <KID> D2 01 <KVN>, and back', () => {
    const data = encodeDeleteKey({ kid: 0x10, kvn: 1 });
    assert.equal(toHex(data), 'd00110d20101');
    assert.deepEqual(decodeDeleteKey(data), { kid: 0x10, kvn: 1 });
    for (const bad of ['d00110', 'd0021001d20101', 'd00110d20101d20102', 'd001']) {
      assert.throws(() => decodeDeleteKey(fromHex(bad)), KeyManagementFormatError, bad);
    }
  });

  it('host: 80 D8 <P1> 10 and 80 E4 00 00; each refusal SW maps to one reason', async () => {
    const ok = stub(0x9000, Uint8Array.of(2));
    await putCaKlocKey(ok.channel, { kvn: 2, replaceKvn: 1, curve: P256, publicKey: point });
    assert.deepEqual([ok.sent[0].cla, ok.sent[0].ins, ok.sent[0].p1, ok.sent[0].p2], [0x80, 0xd8, 1, 0x10]);
    await assert.rejects(
      putCaKlocKey(stub(0x9000, Uint8Array.of(3)).channel, { kvn: 2, curve: P256, publicKey: point }),
      (e: unknown) => e instanceof KeyManagementError && e.reason === 'other',
    );
    const cases: [number, string][] = [
      [0x6982, 'security'],
      [0x6a80, 'wrong-data'],
      [0x6a88, 'not-found'],
      [0x6985, 'conditions'],
      [0x6581, 'memory'],
      [0x6f00, 'other'],
    ];
    for (const [sw, reason] of cases) {
      const s = stub(sw);
      await assert.rejects(
        deleteKey(s.channel, { kid: 0x10, kvn: 1 }),
        (e: unknown) => e instanceof KeyManagementError && e.reason === reason && e.sw === sw,
      );
      assert.deepEqual([s.sent[0].ins, s.sent[0].p1, s.sent[0].p2], [0xe4, 0, 0]);
    }
  });
});
