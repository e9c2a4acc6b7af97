// Issue 13: the card's deny list update, STORE DATA BF74{81 <mode>, 93 <serial> ...} (proprietary, see
// gp/constants.ts): the serials of revoked OCE certificates, added to the list or replacing it.
import { concatBytes, tagName, tlv } from '../../bytes/index.js';
import {
  DENY_LIST_MODE_ADD,
  DENY_LIST_MODE_REPLACE,
  TAG_DENY_LIST_MODE,
  TAG_DENY_LIST_UPDATE,
  TAG_OCE_SERIAL,
} from '../constants.js';
import { DataObjectError } from './errors.js';
import { parseList } from './form.js';
import { canonicalSerial } from './oce-allowlist.js';

/** X.509 / 7F21 serials are at most 20 bytes (RFC 5280 4.1.2.2), 21 with the sign byte. */
const MAX_SERIAL_BYTES = 21;

export type DenyListMode = 'add' | 'replace';

const MODE_BYTES: ReadonlyMap<DenyListMode, number> = new Map([
  ['add', DENY_LIST_MODE_ADD],
  ['replace', DENY_LIST_MODE_REPLACE],
]);

export interface DenyListUpdate {
  readonly mode: DenyListMode;
  readonly serials: readonly Uint8Array[];
}

export function encodeDenyListUpdate(update: DenyListUpdate): Uint8Array {
  return tlv(
    TAG_DENY_LIST_UPDATE,
    concatBytes(
      tlv(TAG_DENY_LIST_MODE, Uint8Array.of(MODE_BYTES.get(update.mode)!)),
      ...update.serials.map((s) => tlv(TAG_OCE_SERIAL, canonicalSerial(s))),
    ),
  );
}

// Strict: exactly one BF74 holding 81 first, then only 93 entries of 1..21 bytes
export function decodeDenyListUpdate(bytes: Uint8Array): DenyListUpdate {
  const context = `STORE DATA ${tagName(TAG_DENY_LIST_UPDATE)}`;
  const top = parseList(bytes, context);
  if (top.length !== 1 || top[0].tag !== TAG_DENY_LIST_UPDATE)
    throw new DataObjectError(`${context}: expected one ${tagName(TAG_DENY_LIST_UPDATE)} template`);
  const [modeTlv, ...entries] = parseList(top[0].value, context);
  if (modeTlv?.tag !== TAG_DENY_LIST_MODE || modeTlv.value.length !== 1)
    throw new DataObjectError(`${context}: must start with ${tagName(TAG_DENY_LIST_MODE)} <mode>`);
  const mode = [...MODE_BYTES].find(([, b]) => b === modeTlv.value[0])?.[0];
  if (mode === undefined) throw new DataObjectError(`${context}: unknown mode ${modeTlv.value[0]}`);
  const serials = entries.map((t, i) => {
    if (t.tag !== TAG_OCE_SERIAL || t.value.length === 0 || t.value.length > MAX_SERIAL_BYTES) {
      throw new DataObjectError(
        `${context}: entry ${i + 1} is not 93 <serial of 1..${MAX_SERIAL_BYTES} bytes>`,
      );
    }
    return canonicalSerial(t.value);
  });
  return { mode, serials };
}
