// The personalisation output file of contracts.md as `ltku hss import` reads it: every field checked, errors
// naming the entry and field, never a key value.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { toHex } from '../../src/bytes/index.js';
import { InvalidRequestError, parsePersonalisationFile } from '../../src/hss/index.js';
import { imsiOf, milenageKeys, tuakKeys } from './fixture.js';

const m = milenageKeys('pf1');
const t = tuakKeys('pf2');
const good = () => ({
  format: 'ltku-subscribers/1',
  eid: '89049032000000000000000000000001',
  subscribers: [
    {
      iccid: '8988211000000000011',
      imsi: imsiOf(1),
      algorithm: 'milenage',
      k: toHex(m.k),
      opc: toHex(m.opc),
      keyVersion: 1,
      amf: '8000',
    },
    {
      iccid: '8988211000000000029',
      imsi: imsiOf(2),
      algorithm: 'tuak',
      k: toHex(t.k),
      topc: toHex(t.opc),
      keyVersion: 3,
      tuak: { keccakIterations: 2, macLength: 16, resLength: 8, ckLength: 16, ikLength: 16 },
      amf: '8000',
    },
  ],
});

describe('personalisation file', () => {
  it('reads both algorithms with their parameters', () => {
    const f = parsePersonalisationFile(JSON.stringify(good()));
    assert.equal(f.eid, '89049032000000000000000000000001');
    assert.equal(f.subscribers.length, 2);
    assert.deepEqual(f.subscribers[0].keys.k, m.k);
    assert.deepEqual(f.subscribers[1].keys.opc, t.opc);
    assert.equal(f.subscribers[1].keys.tuak?.macLength, 16);
    assert.equal(f.subscribers[1].keyVersion, 3);
  });

  const broken: [string, (d: ReturnType<typeof good>) => unknown, string][] = [
    ['not JSON', () => '{', 'file'],
    ['wrong format', (d) => ({ ...d, format: 'other/1' }), 'format'],
    ['bad eid', (d) => ({ ...d, eid: '123' }), 'eid'],
    ['no list', (d) => ({ ...d, subscribers: {} }), 'subscribers'],
    ['bad imsi', (d) => ((d.subscribers[0].imsi = '1'), d), 'subscribers[0].imsi'],
    ['bad iccid', (d) => ((d.subscribers[1].iccid = 'x'), d), 'subscribers[1].iccid'],
    ['bad algorithm', (d) => ((d.subscribers[0].algorithm = 'xor'), d), 'subscribers[0].algorithm'],
    ['short K', (d) => ((d.subscribers[0].k = d.subscribers[0].k.slice(2)), d), 'subscribers[0].k'],
    [
      'TUAK without TOPc',
      (d) => (delete (d.subscribers[1] as { topc?: string }).topc, d),
      'subscribers[1].topc',
    ],
    [
      'bad TUAK MAC length',
      (d) => ((d.subscribers[1].tuak!.macLength = 4), d),
      'subscribers[1].tuak.macLength',
    ],
    ['version 0', (d) => ((d.subscribers[0].keyVersion = 0), d), 'subscribers[0].keyVersion'],
    ['AMF 3 bytes', (d) => ((d.subscribers[0].amf = '800000'), d), 'subscribers[0].amf'],
  ];
  for (const [name, edit, field] of broken) {
    it(`refuses ${name}, naming ${field}`, () => {
      const doc = edit(good());
      assert.throws(
        () => parsePersonalisationFile(typeof doc === 'string' ? doc : JSON.stringify(doc)),
        (e: unknown) =>
          e instanceof InvalidRequestError &&
          e.field === field &&
          !e.message.includes(toHex(m.k)) &&
          !e.message.includes(toHex(t.k)),
      );
    });
  }
});
