// BER-TLV (ISO/IEC 7816-4 5.2, ITU-T X.690 8.1): 1-3 byte tags, definite lengths in short and long form,
// and the indefinite length (80 ... 00 00) of ETSI TS 102 226 expanded remote-management scripts.
// A tag is a number made of its bytes in order: 0x5A, 0x7F21, 0xBF7F01.
import { toHex } from './hex.js';
import { TlvError } from './errors.js';

export interface Tlv {
  readonly tag: number;
  /** The content octets (for an indefinite-length TLV: without the closing 00 00). */
  readonly value: Uint8Array;
  /** The whole TLV exactly as it was encoded (tag, length, value[, 00 00]). */
  readonly raw: Uint8Array;
  readonly indefinite?: boolean;
}

const MAX_LENGTH_OCTETS = 3;
/** b8 of the first length octet: the long form, its low bits the count of length octets (X.690 8.1.3.5). */
const LONG_LENGTH_FORM = 0x80;
/** The length octet of the indefinite form (X.690 8.1.3.6). */
const INDEFINITE_LENGTH = 0x80;
/** The end-of-contents octets 00 00 that close an indefinite length. */
const END_OF_CONTENTS_BYTES = 2;

export function tagName(tag: number): string {
  return tag.toString(16).toUpperCase().padStart(2, '0');
}

/** True for a constructed tag (bit 6 of its first byte). */
export function isConstructed(tag: number): boolean {
  return ((tag >> (8 * (tagLength(tag) - 1))) & 0x20) !== 0;
}

/** Bytes of a tag (1-3), checked as ISO/IEC 7816-4 5.2 shapes them; a TlvError otherwise. */
function tagLength(tag: number): number {
  if (!Number.isInteger(tag) || tag < 0 || tag > 0xffffff) throw new TlvError(`tag ${tag} out of range`);
  const length = tag > 0xffff ? 3 : tag > 0xff ? 2 : 1;
  const first = tag >> (8 * (length - 1));
  const multi = (first & 0x1f) === 0x1f;
  // one byte: not the multi-byte marker; more: the marker, every middle byte with b8 set, the last without
  const ok =
    length === 1 ? !multi : multi && (length === 2 || ((tag >> 8) & 0x80) !== 0) && (tag & 0x80) === 0;
  if (!ok) throw new TlvError(`malformed tag ${tagName(tag)}`);
  return length;
}

/** Bytes of the definite length field of `length` (short form, or 81/82/83 and 1-3 bytes). */
function lengthFieldLength(length: number): number {
  if (length < 0x80) return 1;
  if (length <= 0xff) return 2;
  if (length <= 0xffff) return 3;
  if (length <= 0xffffff) return 4;
  throw new TlvError(`length ${length} too large`);
}

/** Writes the `tagBytes` bytes of `tag` at the start of `out`; returns their count. */
function writeTag(out: Uint8Array, tag: number, tagBytes: number): number {
  for (let i = 0; i < tagBytes; i++) out[i] = (tag >> (8 * (tagBytes - 1 - i))) & 0xff;
  return tagBytes;
}

/** Writes a definite length field of `lengthBytes` bytes at `at` (X.690 8.1.3); returns where it ends. */
function writeLength(out: Uint8Array, at: number, length: number, lengthBytes: number): number {
  if (lengthBytes === 1) {
    out[at] = length;
  } else {
    out[at] = LONG_LENGTH_FORM | (lengthBytes - 1);
    for (let i = 1; i < lengthBytes; i++) out[at + i] = (length >> (8 * (lengthBytes - 1 - i))) & 0xff;
  }
  return at + lengthBytes;
}

/** Writes tag and definite length of a TLV at the start of `out`; returns where the value begins. */
function writeHeader(
  out: Uint8Array,
  tag: number,
  tagBytes: number,
  length: number,
  lengthBytes: number,
): number {
  writeTag(out, tag, tagBytes);
  return writeLength(out, tagBytes, length, lengthBytes);
}

/** Bytes of the parts of a value (undefined ones count none). */
function partsLength(parts: readonly (Uint8Array | undefined)[]): number {
  let length = 0;
  for (let i = 0; i < parts.length; i++) length += parts[i]?.length ?? 0;
  return length;
}

/** Copies the parts (undefined ones skipped) into `out` from `at` on; returns where they end. */
function writeParts(out: Uint8Array, at: number, parts: readonly (Uint8Array | undefined)[]): number {
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (p === undefined) continue;
    out.set(p, at);
    at += p.length;
  }
  return at;
}

export function encodeTag(tag: number): Uint8Array {
  const length = tagLength(tag);
  const out = new Uint8Array(length);
  writeTag(out, tag, length);
  return out;
}

export function encodeLength(length: number): Uint8Array {
  const bytes = lengthFieldLength(length);
  const out = new Uint8Array(bytes);
  writeLength(out, 0, length, bytes);
  return out;
}

/**
 * One TLV with a definite length; `parts` (undefined ones skipped) are concatenated as its value. Written into
 * one buffer (issue 11: every APDU and script is built of these).
 */
export function tlv(tag: number, ...parts: (Uint8Array | undefined)[]): Uint8Array {
  const length = partsLength(parts);
  const tagBytes = tagLength(tag);
  const lengthBytes = lengthFieldLength(length);
  const out = new Uint8Array(tagBytes + lengthBytes + length);
  writeParts(out, writeHeader(out, tag, tagBytes, length, lengthBytes), parts);
  return out;
}

/** A constructed TLV with the indefinite length form: tag 80 children 00 00 (ETSI TS 102 226 5.2.1). */
export function tlvIndefinite(tag: number, ...parts: (Uint8Array | undefined)[]): Uint8Array {
  if (!isConstructed(tag))
    throw new TlvError(`indefinite length needs a constructed tag, not ${tagName(tag)}`);
  const tagBytes = tagLength(tag);
  // tag, 80, the parts, 00 00 (the new buffer's last two bytes are already zero)
  const out = new Uint8Array(tagBytes + 1 + partsLength(parts) + END_OF_CONTENTS_BYTES);
  out[writeTag(out, tag, tagBytes)] = INDEFINITE_LENGTH;
  writeParts(out, tagBytes + 1, parts);
  return out;
}

/** Re-encodes a decoded TLV (definite or indefinite, as it was). */
export function encodeTlv(t: Pick<Tlv, 'tag' | 'value' | 'indefinite'>): Uint8Array {
  return t.indefinite ? tlvIndefinite(t.tag, t.value) : tlv(t.tag, t.value);
}

function readTag(bytes: Uint8Array, at: number): [tag: number, next: number] {
  if (at >= bytes.length) throw new TlvError('truncated: tag expected', at);
  let tag = bytes[at];
  let next = at + 1;
  if ((tag & 0x1f) === 0x1f) {
    for (;;) {
      if (next >= bytes.length) throw new TlvError('truncated tag', at);
      if (next - at >= 3) throw new TlvError('tag longer than 3 bytes', at);
      const b = bytes[next++];
      tag = tag * 256 + b;
      if ((b & 0x80) === 0) break;
    }
  }
  return [tag, next];
}

function readOne(bytes: Uint8Array, start: number, end: number, depth: number): Tlv {
  if (depth > 32) throw new TlvError('nesting deeper than 32 levels', start);
  const [tag, afterTag] = readTag(bytes.subarray(0, end), start);
  if (afterTag >= end) throw new TlvError(`truncated: length of tag ${tagName(tag)} expected`, afterTag);
  const first = bytes[afterTag];
  let at = afterTag + 1;
  if (first === 0x80) {
    if ((bytes[start] & 0x20) === 0) {
      throw new TlvError(`indefinite length on primitive tag ${tagName(tag)}`, afterTag);
    }
    const contentStart = at;
    for (;;) {
      if (at + 2 <= end && bytes[at] === 0 && bytes[at + 1] === 0) break;
      if (at >= end) throw new TlvError(`missing end-of-contents 00 00 of tag ${tagName(tag)}`, at);
      at = readOne(bytes, at, end, depth + 1).raw.length + at;
    }
    return {
      tag,
      value: bytes.subarray(contentStart, at),
      raw: bytes.subarray(start, at + 2),
      indefinite: true,
    };
  }
  let length = first;
  if (first > 0x80) {
    const n = first & 0x7f;
    if (n > MAX_LENGTH_OCTETS) throw new TlvError(`length of tag ${tagName(tag)} has ${n} octets`, afterTag);
    if (at + n > end) throw new TlvError(`truncated length of tag ${tagName(tag)}`, afterTag);
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + bytes[at + i];
    at += n;
  }
  if (at + length > end) {
    throw new TlvError(`tag ${tagName(tag)} declares ${length} bytes but only ${end - at} remain`, afterTag);
  }
  return { tag, value: bytes.subarray(at, at + length), raw: bytes.subarray(start, at + length) };
}

/** Decodes a whole buffer as a sequence of TLVs; anything left over is an error. */
export function decodeTlvs(bytes: Uint8Array): Tlv[] {
  const out: Tlv[] = [];
  let at = 0;
  while (at < bytes.length) {
    const t = readOne(bytes, at, bytes.length, 0);
    out.push(t);
    at += t.raw.length;
  }
  return out;
}

/** Decodes exactly one TLV; trailing bytes are an error. */
export function decodeTlv(bytes: Uint8Array): Tlv {
  if (bytes.length === 0) throw new TlvError('empty input: TLV expected', 0);
  const t = readOne(bytes, 0, bytes.length, 0);
  if (t.raw.length !== bytes.length) {
    throw new TlvError(
      `${bytes.length - t.raw.length} trailing bytes after tag ${tagName(t.tag)}`,
      t.raw.length,
    );
  }
  return t;
}

/** The children of a constructed TLV. */
export function children(t: Tlv): Tlv[] {
  try {
    return decodeTlvs(t.value);
  } catch (e) {
    if (e instanceof TlvError) throw new TlvError(`inside tag ${tagName(t.tag)}: ${e.message}`);
    throw e;
  }
}

export function findTlv(list: readonly Tlv[], tag: number): Tlv | undefined {
  return list.find((t) => t.tag === tag);
}

export function findAllTlvs(list: readonly Tlv[], tag: number): Tlv[] {
  return list.filter((t) => t.tag === tag);
}

/** The TLV with `tag` from `list`, or a TlvError naming the tag and the `context` it was expected in. */
export function expectTlv(list: readonly Tlv[], tag: number, context: string, ...lengths: number[]): Tlv {
  const t = findTlv(list, tag);
  if (t === undefined) throw new TlvError(`${context}: missing tag ${tagName(tag)}`);
  if (lengths.length > 0 && !lengths.includes(t.value.length)) {
    throw new TlvError(
      `${context}: tag ${tagName(tag)} has ${t.value.length} bytes, expected ${lengths.join(' or ')}`,
    );
  }
  return t;
}

/** Debug rendering of a TLV tree (never use on secret-bearing data). */
export function describeTlvs(list: readonly Tlv[], indent = ''): string {
  return list
    .map((t) =>
      isConstructed(t.tag)
        ? `${indent}${tagName(t.tag)}\n${describeTlvs(children(t), indent + '  ')}`
        : `${indent}${tagName(t.tag)} ${toHex(t.value)}`,
    )
    .join('\n');
}
