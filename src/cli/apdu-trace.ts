// `--gsmtap HOST[:PORT]` and `--pcap FILE`: every APDU exchange as one GSMTAP v2 SIM APDU PDU (the encoders and
// the decorator are in trace/), sent over UDP (port 4729 by default) and/or written to a classic pcap file as
// IPv4/UDP 127.0.0.1 -> 127.0.0.1:4729. Trace failures are warned about once and never fail the card session.
import { createSocket, type Socket } from 'node:dgram';
import { closeSync, openSync, writeSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import type { CardChannel } from '../iso7816/index.js';
import {
  GSMTAP_UDP_PORT,
  GsmtapChannel,
  gsmtapSimApduBytes,
  ipv4UdpDatagram,
  pcapFileHeader,
  pcapRecord,
  type GsmtapSink,
} from '../trace/index.js';
import type { OptionValues } from './command.js';
import { parseHostPort } from './host-port.js';
import { optionalString } from './options.js';
import { UsageError } from './errors.js';

export const TRACE_OPTIONS = { gsmtap: { type: 'string' }, pcap: { type: 'string' } } as const;
export const TRACE_USAGE = '[--gsmtap HOST[:PORT]] [--pcap FILE]';
export const TRACE_HELP = `  --gsmtap: send every APDU as GSMTAP (UDP, default port ${GSMTAP_UDP_PORT}); --pcap: write them to a pcap file`;

/** What a card transport serves (card/transport/framing.ts VirtualCardLike), traced at the byte level. */
export interface ByteCard {
  readonly atr: Uint8Array;
  reset(): Uint8Array;
  processApdu(command: Uint8Array): Uint8Array;
}

export interface ApduTrace {
  /** `inner` itself when no trace was asked for. */
  channel(inner: CardChannel): CardChannel;
  card(inner: ByteCard): ByteCard;
  close(): Promise<void>;
}

interface Sink {
  readonly emit: GsmtapSink;
  close(): Promise<void>;
}

/** The pcap file's addresses: loopback to the GSMTAP port, where Wireshark's gsmtap dissector listens. */
const PCAP_ENDPOINTS = {
  source: '127.0.0.1',
  destination: '127.0.0.1',
  sourcePort: GSMTAP_UDP_PORT,
  destinationPort: GSMTAP_UDP_PORT,
};

const now = () => performance.timeOrigin + performance.now();

function once(warn: (message: string) => void): (message: string) => void {
  let warned = false;
  return (message) => {
    if (!warned) warn(`${message} (further trace errors not shown)`);
    warned = true;
  };
}

function udpSink(host: string, port: number, warn: (message: string) => void): Sink {
  const socket: Socket = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
  const failed = once(warn);
  socket.on('error', (e) => failed(`gsmtap ${host}:${port}: ${e.message}`));
  let pending = 0;
  let drained: (() => void) | undefined;
  return {
    emit: (pdu) => {
      pending++;
      socket.send(pdu, port, host, (e) => {
        if (e) failed(`gsmtap ${host}:${port}: ${e.message}`);
        if (--pending === 0) drained?.();
      });
    },
    close: async () => {
      if (pending > 0) await new Promise<void>((resolve) => (drained = resolve));
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}

function pcapSink(path: string, warn: (message: string) => void): Sink {
  const fd = openSync(path, 'w');
  const failed = once(warn);
  writeSync(fd, pcapFileHeader());
  return {
    emit: (pdu) => {
      try {
        writeSync(fd, pcapRecord(now(), ipv4UdpDatagram(PCAP_ENDPOINTS, pdu)));
      } catch (e) {
        failed(`pcap ${path}: ${e instanceof Error ? e.message : String(e)}`);
      }
    },
    close: async () => closeSync(fd),
  };
}

/** Opens the sinks `--gsmtap` and `--pcap` ask for; `warn` hears of trace failures (once per sink). */
export function openApduTrace(values: OptionValues, warn: (message: string) => void): ApduTrace {
  const gsmtap = optionalString(values, 'gsmtap');
  const pcap = optionalString(values, 'pcap');
  if (pcap === '') throw new UsageError('--pcap: expected a file name');
  const target =
    gsmtap === undefined
      ? undefined
      : parseHostPort(gsmtap, 'gsmtap', { defaultPort: GSMTAP_UDP_PORT, connect: true });
  const sinks: Sink[] = [];
  // The file first: if it cannot be opened, no socket is left open.
  if (pcap !== undefined) sinks.push(pcapSink(pcap, warn));
  if (target !== undefined) sinks.push(udpSink(target.host, target.port, warn));
  const emit: GsmtapSink = (pdu) => sinks.forEach((s) => s.emit(pdu));
  return {
    channel: (inner) => (sinks.length === 0 ? inner : new GsmtapChannel(inner, emit)),
    card: (inner) =>
      sinks.length === 0
        ? inner
        : {
            get atr() {
              return inner.atr;
            },
            reset: () => inner.reset(),
            processApdu: (command) => {
              const response = inner.processApdu(command);
              emit(gsmtapSimApduBytes(command, response));
              return response;
            },
          },
    close: async () => {
      for (const s of sinks.splice(0)) await s.close();
    },
  };
}
