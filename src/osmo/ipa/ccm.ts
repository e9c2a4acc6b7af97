// IPA CCM messages on stream 0xFE (libosmocore ipaccess.h enum ipaccess_msgtype; layouts as src/gsm/ipa.c
// builds and parses them): PING, PONG, ID_GET (pairs of 1-byte length = 1 and tag), ID_RESP (per tag a 2-byte
// big-endian length covering tag and value, the tag, the value as a NUL-terminated string), ID_ACK.
import { OsmoError } from '../errors.js';
import { IPA_CCM_ID_ACK, IPA_CCM_ID_GET, IPA_CCM_ID_RESP, IPA_CCM_PING, IPA_CCM_PONG } from './constants.js';

export interface IpaIdentity {
  readonly tag: number;
  readonly value: string;
}

export type CcmMessage =
  | { readonly type: 'ping' }
  | { readonly type: 'pong' }
  | { readonly type: 'id_ack' }
  | { readonly type: 'id_get'; readonly tags: readonly number[] }
  | { readonly type: 'id_resp'; readonly identities: readonly IpaIdentity[] };

const text = new TextEncoder();
const untext = new TextDecoder('utf-8', { fatal: true });

function hex(n: number): string {
  return `0x${n.toString(16).padStart(2, '0')}`;
}

/** The payload of a CCM frame (the frame header is added by encodeIpaFrame). */
export function encodeCcm(message: CcmMessage): Uint8Array {
  switch (message.type) {
    case 'ping':
      return Uint8Array.of(IPA_CCM_PING);
    case 'pong':
      return Uint8Array.of(IPA_CCM_PONG);
    case 'id_ack':
      return Uint8Array.of(IPA_CCM_ID_ACK);
    case 'id_get': {
      const out = new Uint8Array(1 + 2 * message.tags.length);
      out[0] = IPA_CCM_ID_GET;
      message.tags.forEach((tag, i) => {
        out[1 + 2 * i] = 1;
        out[2 + 2 * i] = tag;
      });
      return out;
    }
    case 'id_resp': {
      const parts = message.identities.map((id) => {
        if (id.value.includes('\0'))
          throw new OsmoError('ipa', `IPA identity tag ${hex(id.tag)} contains NUL`);
        const value = text.encode(id.value);
        const length = 1 + value.length + 1;
        if (length > 0xffff) throw new OsmoError('ipa', `IPA identity tag ${hex(id.tag)} too long`);
        const part = new Uint8Array(3 + value.length + 1);
        part[0] = length >> 8;
        part[1] = length & 0xff;
        part[2] = id.tag;
        part.set(value, 3);
        return part;
      });
      const out = new Uint8Array(1 + parts.reduce((n, p) => n + p.length, 0));
      out[0] = IPA_CCM_ID_RESP;
      let at = 1;
      for (const p of parts) {
        out.set(p, at);
        at += p.length;
      }
      return out;
    }
  }
}

/** src/gsm/ipa.c ipa_ccm_id_get_parse: 1-byte length (tag included), tag, value. */
function decodeIdGet(body: Uint8Array): number[] {
  const tags: number[] = [];
  let at = 0;
  while (at < body.length) {
    if (body.length - at < 2) throw new OsmoError('ipa', 'IPA ID_GET: truncated tag entry');
    const length = body[at];
    const tag = body[at + 1];
    if (length < 1) throw new OsmoError('ipa', `IPA ID_GET: tag ${hex(tag)} has length 0`);
    if (at + 1 + length > body.length) {
      throw new OsmoError('ipa', `IPA ID_GET: tag ${hex(tag)} declares ${length} bytes beyond the message`);
    }
    tags.push(tag);
    at += 1 + length;
  }
  return tags;
}

/** src/gsm/ipa.c ipa_ccm_id_resp_parse: 2-byte length (tag included), tag, value (NUL-terminated string). */
function decodeIdResp(body: Uint8Array): IpaIdentity[] {
  const identities: IpaIdentity[] = [];
  let at = 0;
  while (at < body.length) {
    if (body.length - at < 3) throw new OsmoError('ipa', 'IPA ID_RESP: truncated tag entry');
    const length = (body[at] << 8) | body[at + 1];
    const tag = body[at + 2];
    if (length < 1) throw new OsmoError('ipa', `IPA ID_RESP: tag ${hex(tag)} has length 0`);
    if (at + 2 + length > body.length) {
      throw new OsmoError('ipa', `IPA ID_RESP: tag ${hex(tag)} declares ${length} bytes beyond the message`);
    }
    let value = body.subarray(at + 3, at + 2 + length);
    if (value.length > 0 && value[value.length - 1] === 0) value = value.subarray(0, value.length - 1);
    let s: string;
    try {
      s = untext.decode(value);
    } catch {
      throw new OsmoError('ipa', `IPA ID_RESP: tag ${hex(tag)} is not text`);
    }
    identities.push({ tag, value: s });
    at += 2 + length;
  }
  return identities;
}

export function decodeCcm(payload: Uint8Array): CcmMessage {
  if (payload.length < 1) throw new OsmoError('ipa', 'empty IPA CCM message');
  const body = payload.subarray(1);
  const fixed = (type: 'ping' | 'pong' | 'id_ack'): CcmMessage => {
    if (body.length !== 0)
      throw new OsmoError('ipa', `IPA CCM ${type.toUpperCase()} with ${body.length} extra bytes`);
    return { type };
  };
  switch (payload[0]) {
    case IPA_CCM_PING:
      return fixed('ping');
    case IPA_CCM_PONG:
      return fixed('pong');
    case IPA_CCM_ID_ACK:
      return fixed('id_ack');
    case IPA_CCM_ID_GET:
      return { type: 'id_get', tags: decodeIdGet(body) };
    case IPA_CCM_ID_RESP:
      return { type: 'id_resp', identities: decodeIdResp(body) };
    default:
      throw new OsmoError('ipa', `unknown IPA CCM message type ${hex(payload[0])}`);
  }
}
