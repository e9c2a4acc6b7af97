// An IPv4 datagram carrying one UDP datagram (RFC 791, RFC 768), so that a pcap file holds GSMTAP exactly as
// it travels to UDP port 4729, where Wireshark's gsmtap dissector is registered.
import { TraceError } from './errors.js';

/** RFC 791: version 4, IHL 5 words (no options). */
const IPV4_VERSION_IHL = 0x45;
export const IPV4_HEADER_LENGTH = 20;
/** RFC 791 flags: Don't Fragment. */
const IPV4_FLAG_DF = 0x4000;
const IPV4_TTL = 64;
/** IANA protocol number of UDP. */
export const IP_PROTOCOL_UDP = 17;
export const UDP_HEADER_LENGTH = 8;
const IPV4_MAX_LENGTH = 0xffff;

export interface UdpEndpoints {
  /** Dotted IPv4 addresses. */
  readonly source: string;
  readonly destination: string;
  readonly sourcePort: number;
  readonly destinationPort: number;
}

function ipv4Bytes(address: string): number[] {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255))
    throw new TraceError(`not an IPv4 address: ${JSON.stringify(address)}`);
  return parts;
}

/** RFC 1071 Internet checksum of the IPv4 header. */
export function internetChecksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i] << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** IPv4 header + UDP header (checksum 0: none, RFC 768) + payload. */
export function ipv4UdpDatagram(endpoints: UdpEndpoints, payload: Uint8Array): Uint8Array {
  const total = IPV4_HEADER_LENGTH + UDP_HEADER_LENGTH + payload.length;
  if (total > IPV4_MAX_LENGTH)
    throw new TraceError(`a ${payload.length}-byte payload does not fit in one IPv4 datagram`);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out[0] = IPV4_VERSION_IHL;
  view.setUint16(2, total);
  view.setUint16(6, IPV4_FLAG_DF);
  out[8] = IPV4_TTL;
  out[9] = IP_PROTOCOL_UDP;
  out.set(ipv4Bytes(endpoints.source), 12);
  out.set(ipv4Bytes(endpoints.destination), 16);
  view.setUint16(10, internetChecksum(out.subarray(0, IPV4_HEADER_LENGTH)));
  view.setUint16(IPV4_HEADER_LENGTH, endpoints.sourcePort);
  view.setUint16(IPV4_HEADER_LENGTH + 2, endpoints.destinationPort);
  view.setUint16(IPV4_HEADER_LENGTH + 4, UDP_HEADER_LENGTH + payload.length);
  out.set(payload, IPV4_HEADER_LENGTH + UDP_HEADER_LENGTH);
  return out;
}
