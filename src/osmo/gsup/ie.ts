// GSUP information elements: tag (1 byte), length (1 byte), value (libosmocore gsup.c, msgb_tlv_put and
// osmo_shift_tlv). Used for the top level of a message and inside an auth tuple.
import { OsmoError } from '../errors.js';

export interface GsupIe {
  readonly tag: number;
  readonly value: Uint8Array;
}

export const GSUP_IE_MAX_VALUE_LENGTH = 0xff;

export function hexTag(tag: number): string {
  return `0x${tag.toString(16).padStart(2, '0')}`;
}

export function encodeIes(ies: readonly GsupIe[]): Uint8Array {
  let length = 0;
  for (const ie of ies) {
    if (!Number.isInteger(ie.tag) || ie.tag < 0 || ie.tag > 0xff) {
      throw new OsmoError('gsup', `GSUP IE tag ${ie.tag} is not one byte`);
    }
    if (ie.value.length > GSUP_IE_MAX_VALUE_LENGTH) {
      throw new OsmoError('gsup', `GSUP IE ${hexTag(ie.tag)} of ${ie.value.length} bytes exceeds 255`);
    }
    length += 2 + ie.value.length;
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (const ie of ies) {
    out[at] = ie.tag;
    out[at + 1] = ie.value.length;
    out.set(ie.value, at + 2);
    at += 2 + ie.value.length;
  }
  return out;
}

/** `where` names the enclosing structure in errors ("GSUP message", "GSUP auth tuple"). */
export function decodeIes(bytes: Uint8Array, where: string): GsupIe[] {
  const ies: GsupIe[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (bytes.length - at < 2) {
      throw new OsmoError('gsup', `${where}: IE ${hexTag(bytes[at])} truncated before its length byte`);
    }
    const tag = bytes[at];
    const length = bytes[at + 1];
    const remaining = bytes.length - at - 2;
    if (length > remaining) {
      throw new OsmoError(
        'gsup',
        `${where}: IE ${hexTag(tag)} declares ${length} bytes but ${remaining} remain`,
      );
    }
    ies.push({ tag, value: bytes.slice(at + 2, at + 2 + length) });
    at += 2 + length;
  }
  return ies;
}
