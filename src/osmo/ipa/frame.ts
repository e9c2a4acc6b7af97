// IPA framing (libosmocore ipaccess.h struct ipaccess_head): length (2 bytes, big endian, payload only),
// stream id (1 byte), payload. The Osmocom extension stream 0xEE carries one extension byte before its data.
import { OsmoError } from '../errors.js';
import { IPA_HEADER_LENGTH, IPA_MAX_PAYLOAD_LENGTH, IPA_STREAM_OSMO } from './constants.js';

export interface IpaFrame {
  readonly stream: number;
  readonly payload: Uint8Array;
}

/** ipaccess.h struct ipaccess_head: one frame. */
export function encodeIpaFrame(stream: number, payload: Uint8Array): Uint8Array {
  if (!Number.isInteger(stream) || stream < 0 || stream > 0xff) {
    throw new OsmoError('ipa', `IPA stream id ${stream} is not one byte`);
  }
  if (payload.length > IPA_MAX_PAYLOAD_LENGTH) {
    throw new OsmoError(
      'ipa',
      `IPA payload of ${payload.length} bytes exceeds the ${IPA_MAX_PAYLOAD_LENGTH}-byte maximum of the length field`,
    );
  }
  const out = new Uint8Array(IPA_HEADER_LENGTH + payload.length);
  out[0] = payload.length >> 8;
  out[1] = payload.length & 0xff;
  out[2] = stream;
  out.set(payload, IPA_HEADER_LENGTH);
  return out;
}

/** ipaccess.h struct ipaccess_head_ext: a frame on the Osmocom stream with extension byte `ext`. */
export function encodeOsmoFrame(ext: number, data: Uint8Array): Uint8Array {
  if (!Number.isInteger(ext) || ext < 0 || ext > 0xff) {
    throw new OsmoError('ipa', `IPA osmo extension ${ext} is not one byte`);
  }
  const payload = new Uint8Array(1 + data.length);
  payload[0] = ext;
  payload.set(data, 1);
  return encodeIpaFrame(IPA_STREAM_OSMO, payload);
}

export interface OsmoExtension {
  readonly ext: number;
  readonly data: Uint8Array;
}

/** Splits an Osmocom-stream payload into its extension byte and data. */
export function decodeOsmoPayload(payload: Uint8Array): OsmoExtension {
  if (payload.length < 1) throw new OsmoError('ipa', 'IPA osmo frame without its extension byte');
  return { ext: payload[0], data: payload.subarray(1) };
}

/** Decodes a buffer holding whole frames only; a truncated last frame is an error. */
export function decodeIpaFrames(bytes: Uint8Array): IpaFrame[] {
  const reader = new IpaFrameReader();
  const frames = reader.push(bytes);
  reader.end();
  return frames;
}

/** Incremental deframer for a TCP stream: push chunks, get the frames they complete. */
export class IpaFrameReader {
  #buffer = new Uint8Array(0);

  /** Bytes received that do not yet form a whole frame. */
  get buffered(): number {
    return this.#buffer.length;
  }

  push(chunk: Uint8Array): IpaFrame[] {
    const joined = new Uint8Array(this.#buffer.length + chunk.length);
    joined.set(this.#buffer);
    joined.set(chunk, this.#buffer.length);
    const frames: IpaFrame[] = [];
    let at = 0;
    while (joined.length - at >= IPA_HEADER_LENGTH) {
      const length = (joined[at] << 8) | joined[at + 1];
      const end = at + IPA_HEADER_LENGTH + length;
      if (end > joined.length) break;
      frames.push({ stream: joined[at + 2], payload: joined.slice(at + IPA_HEADER_LENGTH, end) });
      at = end;
    }
    this.#buffer = joined.slice(at);
    return frames;
  }

  /** The stream ended: an error if it stopped inside a frame. */
  end(): void {
    if (this.#buffer.length === 0) return;
    const b = this.#buffer;
    if (b.length < IPA_HEADER_LENGTH) {
      throw new OsmoError('ipa', `truncated IPA frame: ${b.length} of the ${IPA_HEADER_LENGTH} header bytes`);
    }
    const length = (b[0] << 8) | b[1];
    throw new OsmoError(
      'ipa',
      `truncated IPA frame on stream 0x${b[2].toString(16).padStart(2, '0')}: header declares ${length} payload bytes, ${b.length - IPA_HEADER_LENGTH} received`,
    );
  }
}
