// The classic libpcap file format (https://www.tcpdump.org/manual/pcap-savefile.html): a 24-byte file header,
// then per packet a 16-byte record header and the bytes. Little-endian, microsecond timestamps.
// Link type LINKTYPE_RAW (101, https://www.tcpdump.org/linktypes.html): each packet is an IPv4 datagram, so
// tshark reaches GSMTAP through UDP port 4729 with no decode-as option (no LINKTYPE carries GSMTAP SIM itself).
/** pcap-savefile magic for microsecond timestamps. */
export const PCAP_MAGIC = 0xa1b2c3d4;
export const PCAP_VERSION_MAJOR = 2;
export const PCAP_VERSION_MINOR = 4;
export const PCAP_SNAPLEN = 0x40000;
/** LINKTYPE_RAW: raw IPv4/IPv6, no link-layer header. */
export const LINKTYPE_RAW = 101;
export const PCAP_FILE_HEADER_LENGTH = 24;
export const PCAP_RECORD_HEADER_LENGTH = 16;
const MICROS_PER_MS = 1000;
const MS_PER_SECOND = 1000;

export function pcapFileHeader(linkType: number = LINKTYPE_RAW): Uint8Array {
  const out = new Uint8Array(PCAP_FILE_HEADER_LENGTH);
  const view = new DataView(out.buffer);
  view.setUint32(0, PCAP_MAGIC, true);
  view.setUint16(4, PCAP_VERSION_MAJOR, true);
  view.setUint16(6, PCAP_VERSION_MINOR, true);
  // thiszone and sigfigs stay 0
  view.setUint32(16, PCAP_SNAPLEN, true);
  view.setUint32(20, linkType, true);
  return out;
}

/** One packet record; `timeMs` is milliseconds since the Unix epoch (fractions kept to the microsecond). */
export function pcapRecord(timeMs: number, packet: Uint8Array): Uint8Array {
  const out = new Uint8Array(PCAP_RECORD_HEADER_LENGTH + packet.length);
  const view = new DataView(out.buffer);
  const seconds = Math.floor(timeMs / MS_PER_SECOND);
  const micros = Math.min(999_999, Math.round((timeMs - seconds * MS_PER_SECOND) * MICROS_PER_MS));
  view.setUint32(0, seconds, true);
  view.setUint32(4, micros, true);
  view.setUint32(8, packet.length, true);
  view.setUint32(12, packet.length, true);
  out.set(packet, PCAP_RECORD_HEADER_LENGTH);
  return out;
}
