// `--pcap` and `--gsmtap` on `ltku demo`, `ltku ue sync` and `ltku card serve`: the UDP datagrams and the pcap
// records carry the same GSMTAP PDUs, and tshark (Debian `tshark`, installed by .ci/run) decodes the file as
// GSM SIM with instruction names and status words. Skipped, saying why, only when tshark is absent.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { toHex } from '../../src/bytes/index.js';
import { ISD_AID } from '../../src/gp/index.js';
import { CLA_ISO, INS_SELECT, command } from '../../src/iso7816/index.js';
import { TcpCardChannel } from '../../src/ue/index.js';
import { runCli } from '../helpers/cli.js';

const PCAP_HEADER = 24;
const RECORD_HEADER = 16;
const IP_UDP_HEADERS = 28;
const GSMTAP_HEADER = 16;

const tshark = spawnSync('tshark', ['--version'], { encoding: 'utf8' });
const NO_TSHARK =
  tshark.status === 0 ? false : 'tshark is not installed here (apt-get install tshark; .ci/run installs it)';

/** The UDP payloads (GSMTAP PDUs) of every record of a pcap file written by --pcap. */
function pcapPayloads(path: string): Uint8Array[] {
  const file = new Uint8Array(readFileSync(path));
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  assert.equal(view.getUint32(0, true), 0xa1b2c3d4, 'classic pcap magic');
  const out: Uint8Array[] = [];
  for (let at = PCAP_HEADER; at < file.length;) {
    const length = view.getUint32(at + 8, true);
    out.push(file.slice(at + RECORD_HEADER + IP_UDP_HEADERS, at + RECORD_HEADER + length));
    at += RECORD_HEADER + length;
  }
  return out;
}

/** A UDP socket on 127.0.0.1, port 0, collecting what arrives. */
async function listenUdp(): Promise<{ socket: Socket; port: number; received: Uint8Array[] }> {
  const socket = createSocket('udp4');
  const received: Uint8Array[] = [];
  socket.on('message', (m) => received.push(new Uint8Array(m)));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { socket, port: socket.address().port, received };
}

/** Datagrams on loopback arrive after the sender's callback; wait for `count` of them (bounded). */
async function until(received: Uint8Array[], count: number): Promise<void> {
  for (let i = 0; i < 200 && received.length < count; i++) await new Promise((r) => setTimeout(r, 10));
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

function tsharkFields(path: string, fields: string[]): string[][] {
  const r = spawnSync('tshark', ['-r', path, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout
    .trim()
    .split('\n')
    .map((line) => line.split('\t'));
}

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'ltku-trace-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('APDU traces (--gsmtap, --pcap)', { timeout: 120_000 }, () => {
  let demoPcap: string;

  it('ltku demo sends the same GSMTAP PDUs over UDP as it writes to the pcap file', async () => {
    const udp = await listenUdp();
    demoPcap = join(dir, 'demo.pcap');
    try {
      const r = await runCli([
        'demo',
        '--json',
        '--keep',
        join(dir, 'demo'),
        '--pcap',
        demoPcap,
        '--gsmtap',
        `127.0.0.1:${udp.port}`,
      ]);
      assert.equal(r.code, 0, r.stderr || r.stdout);
      const records = pcapPayloads(demoPcap);
      assert.ok(records.length > 20, `a demo run has many APDUs (${records.length})`);
      await until(udp.received, records.length);
      assert.equal(udp.received.length, records.length, 'one datagram per pcap record');
      assert.deepEqual(udp.received.map(toHex), records.map(toHex), 'the same PDUs in the same order');
      for (const pdu of records) assert.equal(toHex(pdu.subarray(0, 3)), '020404', 'GSMTAP v2, 4 words, SIM');
    } finally {
      udp.socket.close();
    }
  });

  it('tshark decodes the demo trace as GSM SIM: instruction names, status words', { skip: NO_TSHARK }, () => {
    const rows = tsharkFields(demoPcap, [
      'frame.protocols',
      'gsm_sim.apdu.ins',
      'gsm_sim.apdu.sw',
      'gsm_sim.apdu.cla.secure_messaging_ind',
    ]);
    assert.equal(rows.length, pcapPayloads(demoPcap).length);
    for (const [protocols] of rows) assert.match(protocols, /^raw:ip:udp:gsmtap:gsm_sim$/);
    const ins = new Set(rows.map((r) => r[1]));
    for (const expected of ['0xa4', '0x88', '0xca', '0xe2'])
      assert.ok(ins.has(expected), `INS ${expected} seen`);
    assert.ok(
      rows.some((r) => r[1] === '0x88' && r[2] === '0x9000'),
      'AUTHENTICATE answered 9000',
    );
    assert.ok(
      rows.some((r) => r[2] === '0x9862'),
      "the clone's AUTHENTICATE fails with 9862",
    );
    // The wrapped STORE DATA (BF70) travels under secure messaging, as on a real wire.
    const storeData = rows.filter((r) => r[1] === '0xe2');
    assert.ok(
      storeData.every((r) => r[3] !== '' && r[3] !== '0x0'),
      'STORE DATA with CLA secure messaging',
    );
    const verbose = spawnSync('tshark', ['-r', demoPcap, '-V'], { encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.equal(verbose.status, 0, verbose.stderr);
    assert.match(verbose.stdout, /GSM SIM/);
    assert.match(verbose.stdout, /Instruction: SELECT \(0xa4\)/);
    assert.match(verbose.stdout, /Instruction: RUN GSM ALGORITHM \/ AUTHENTICATE \(0x88\)/);
    assert.match(verbose.stdout, /Status Word: 9000 Normal ending of the command/);
  });

  it('ltku ue sync --pcap traces the APDUs it sends before the server is reached', async () => {
    const pcap = join(dir, 'sync.pcap');
    const r = await runCli([
      'ue',
      'sync',
      '--card',
      join(dir, 'demo', 'card.json'),
      '--server',
      `http://127.0.0.1:${await freePort()}`,
      '--pcap',
      pcap,
    ]);
    assert.equal(r.code, 1, 'no server listens there');
    const records = pcapPayloads(pcap);
    assert.ok(records.length >= 3, 'SELECT ISD, GET DATA 00E0, GET DATA BF21');
    assert.equal(toHex(records[0].subarray(GSMTAP_HEADER, GSMTAP_HEADER + 5)), '00a4040008');
    if (NO_TSHARK === false) {
      const rows = tsharkFields(pcap, ['gsm_sim.apdu.ins', 'gsm_sim.apdu.sw']);
      assert.deepEqual(rows[0], ['0xa4', '0x9000']);
      assert.deepEqual(rows[1], ['0xca', '0x9000']);
    }
  });

  it('ltku card serve --gsmtap sends each APDU it answers to a UDP listener', async () => {
    const udp = await listenUdp();
    const port = await freePort();
    let stop!: (s: string) => void;
    const stopSignal = new Promise<string>((resolve) => (stop = resolve));
    const serving = runCli(
      [
        'card',
        'serve',
        join(dir, 'demo', 'card.json'),
        '--tcp',
        `127.0.0.1:${port}`,
        '--gsmtap',
        `127.0.0.1:${udp.port}`,
        '--log-level',
        'silent',
      ],
      stopSignal,
    );
    try {
      let channel: TcpCardChannel | undefined;
      for (let i = 0; i < 100 && channel === undefined; i++) {
        await new Promise((r) => setTimeout(r, 20));
        channel = await TcpCardChannel.connect('127.0.0.1', port).catch(() => undefined);
      }
      assert.ok(channel, 'the card serves on TCP');
      const response = await channel.transmit(command(CLA_ISO, INS_SELECT, 0x04, 0x00, ISD_AID, 256));
      assert.equal(response.sw, 0x9000);
      await channel.close();
      await until(udp.received, 1);
      assert.equal(udp.received.length, 1);
      const pdu = udp.received[0];
      assert.equal(toHex(pdu.subarray(0, GSMTAP_HEADER)), '02040400000000000000000000000000');
      assert.equal(toHex(pdu.subarray(GSMTAP_HEADER, GSMTAP_HEADER + 13)), '00a4040008' + toHex(ISD_AID));
      assert.equal(toHex(pdu.subarray(-2)), '9000');
    } finally {
      stop('SIGTERM');
      const done = await serving;
      udp.socket.close();
      assert.equal(done.code, 0, done.stderr);
    }
  });

  it('refuses a --gsmtap that is not HOST[:PORT] with a usage error naming the flag', async () => {
    const r = await runCli(['demo', '--gsmtap', 'host:99999']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--gsmtap/);
  });
});
