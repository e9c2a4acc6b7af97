// GSMTAP v2 SIM APDU encoding (libosmocore gsmtap.h, simtrace2), IPv4/UDP and pcap framing, and the tracing
// CardChannel decorator, against hand-checked bytes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '../../src/bytes/index.js';
import type { CardChannel, CommandApdu, ResponseApdu } from '../../src/iso7816/index.js';
import {
  GsmtapChannel,
  gsmtapSimApdu,
  gsmtapSimApduBytes,
  internetChecksum,
  ipv4UdpDatagram,
  pcapFileHeader,
  pcapRecord,
  simTpdu,
  TraceError,
} from '../../src/trace/index.js';

const hex = (s: string) => fromHex(s.replace(/\s/g, ''), 'test');
const EMPTY = new Uint8Array(0);
/** version 2, 4 words, type SIM, timeslot 0, ARFCN 0, signal 0, SNR 0, FN 0, sub-type APDU, antenna 0, sub-slot 0, res 0. */
const HEADER = '02 04 04 00 0000 00 00 00000000 00 00 00 00';

describe('GSMTAP SIM APDU', () => {
  it('encodes SELECT (case 4) as header, T=0 TPDU with P3 = Lc and no Le, response data, SW', () => {
    const command: CommandApdu = { cla: 0x00, ins: 0xa4, p1: 0x00, p2: 0x04, data: hex('3f00'), ne: 256 };
    const response: ResponseApdu = { data: hex('6203820178'), sw: 0x9000 };
    assert.equal(
      toHex(gsmtapSimApdu(command, response)),
      toHex(hex(`${HEADER} 00a4000402 3f00 6203820178 9000`)),
    );
  });

  it('puts Le in P3 when there is no command data (case 2; 256 as 00) and 00 for case 1', () => {
    const read = { cla: 0, ins: 0xb0, p1: 0, p2: 0, data: EMPTY, ne: 9 };
    assert.equal(
      toHex(simTpdu(read, { data: hex('980001020304050607'), sw: 0x9000 })),
      toHex(hex('00b0000009 980001020304050607 9000')),
    );
    assert.equal(toHex(simTpdu({ ...read, ne: 256 }, { data: EMPTY, sw: 0x6282 })), '00b00000006282');
    const case1 = { cla: 0, ins: 0x70, p1: 0x80, p2: 0x01, data: EMPTY };
    assert.equal(toHex(simTpdu(case1, { data: EMPTY, sw: 0x9000 })), '00708001009000');
  });

  it('keeps every byte of an extended command: P3 = 00, then the 2-byte Lc', () => {
    const data = new Uint8Array(300).fill(0xab);
    const tpdu = simTpdu(
      { cla: 0x84, ins: 0xe2, p1: 0x91, p2: 0, data, ne: 65536 },
      { data: EMPTY, sw: 0x9000 },
    );
    assert.equal(toHex(tpdu.subarray(0, 8)), '84e291000000012c');
    assert.equal(tpdu.length, 8 + 300 + 2);
    assert.equal(toHex(tpdu.subarray(-2)), '9000');
  });

  it('encodes the bytes a transport carries the same way, and a malformed command as it came', () => {
    const command = hex('00a40004023f0000');
    const response = hex('62039000');
    assert.equal(
      toHex(gsmtapSimApduBytes(command, response)),
      toHex(hex(`${HEADER} 00a4000402 3f00 6203 9000`)),
    );
    assert.equal(toHex(gsmtapSimApduBytes(hex('00a4'), hex('6700'))), toHex(hex(`${HEADER} 00a4 6700`)));
  });
});

describe('IPv4/UDP and pcap framing', () => {
  it('computes the RFC 1071 header checksum of a known header', () => {
    // The classic example header (checksum field zeroed); its checksum is b861.
    assert.equal(internetChecksum(hex('45000073 00004000 4011 0000 c0a80001 c0a800c7')), 0xb861);
  });

  it('wraps a payload in IPv4 + UDP to port 4729 with a valid header checksum', () => {
    const packet = ipv4UdpDatagram(
      { source: '127.0.0.1', destination: '127.0.0.1', sourcePort: 4729, destinationPort: 4729 },
      hex('0102'),
    );
    assert.equal(toHex(packet.subarray(0, 10)), '4500001e000040004011');
    assert.equal(toHex(packet.subarray(12)), '7f0000017f000001' + '1279127900' + '0a0000' + '0102');
    assert.equal(internetChecksum(packet.subarray(0, 20)), 0, 'a header with its checksum sums to 0');
    assert.throws(
      () =>
        ipv4UdpDatagram(
          { source: '127.0.0.1', destination: '127.0.0.1', sourcePort: 1, destinationPort: 1 },
          new Uint8Array(65536),
        ),
      TraceError,
    );
  });

  it('writes the classic pcap header (LE, v2.4, LINKTYPE_RAW) and records with microsecond times', () => {
    assert.equal(
      toHex(pcapFileHeader()),
      'd4c3b2a1' + '02000400' + '00000000' + '00000000' + '00000400' + '65000000',
    );
    const record = pcapRecord(1_700_000_000_123.456, hex('aabb'));
    assert.equal(toHex(record), '00f15365' + '40e20100' + '02000000' + '02000000' + 'aabb');
  });
});

describe('GsmtapChannel', () => {
  it('passes every command and response through unchanged and emits one PDU per exchange', async () => {
    const seen: CommandApdu[] = [];
    const answer: ResponseApdu = { data: hex('0102'), sw: 0x9000 };
    const inner: CardChannel = {
      transmit: async (c) => {
        seen.push(c);
        return answer;
      },
    };
    const pdus: Uint8Array[] = [];
    const traced = new GsmtapChannel(inner, (p) => pdus.push(p));
    const command: CommandApdu = { cla: 0x80, ins: 0xca, p1: 0x00, p2: 0xe0, data: EMPTY, ne: 256 };
    assert.equal(await traced.transmit(command), answer);
    assert.equal(await traced.transmit(command), answer);
    assert.deepEqual(seen, [command, command]);
    assert.equal(seen[0], command, 'the very same command object reaches the card');
    assert.equal(pdus.length, 2);
    assert.equal(toHex(pdus[0]), toHex(hex(`${HEADER} 80ca00e000 0102 9000`)));
  });

  it('lets a transport error through and emits nothing for it', async () => {
    const pdus: Uint8Array[] = [];
    const failing: CardChannel = {
      transmit: async () => {
        throw new Error('reader gone');
      },
    };
    const traced = new GsmtapChannel(failing, (p) => pdus.push(p));
    await assert.rejects(traced.transmit({ cla: 0, ins: 0xa4, p1: 0, p2: 0, data: EMPTY }), /reader gone/);
    assert.equal(pdus.length, 0);
  });
});
