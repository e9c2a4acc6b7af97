// GPC Amd F 7.5 / yubikit securitydomain.py store_allowlist: STORE DATA A6{83 <KID KVN>} 70{93 <serial> ...}, the
// serials of the OCE certificates accepted. KID 11/15: the SCP11a/c key set KID/KVN accepts these leaves; KID 10
// (yubikit's KeyRef(0x10, kvn)): chains under that CA-KLOC key. An empty 70 clears the list (any OCE accepted).
import { concatBytes, equalBytes, tagName, tlv } from '../../bytes/index.js';
import { TAG_CONTROL_REFERENCE, TAG_KEY_REFERENCE, TAG_OCE_ALLOWLIST, TAG_OCE_SERIAL } from '../constants.js';
import type { KeyReference } from './certificate-store.js';
import { DataObjectError } from './errors.js';
import { parseList } from './form.js';

/** X.509 / 7F21 serials are at most 20 bytes (RFC 5280 4.1.2.2), 21 with the sign byte. */
const MAX_SERIAL_BYTES = 21;

export interface OceAllowlistUpdate {
  readonly keyReference: KeyReference;
  readonly serials: readonly Uint8Array[];
}

/** A serial as the ASN.1 INTEGER content yubikit sends: no redundant leading 00, a 00 before a high bit. */
export function canonicalSerial(serial: Uint8Array): Uint8Array {
  let i = 0;
  while (i < serial.length - 1 && serial[i] === 0 && (serial[i + 1] & 0x80) === 0) i++;
  const s = serial.subarray(i);
  return s.length > 0 && (s[0] & 0x80) !== 0 ? concatBytes(Uint8Array.of(0), s) : s.slice();
}

/** Whether `serial` is on `list` (leading zero bytes do not count). */
export function serialOnList(list: readonly Uint8Array[], serial: Uint8Array): boolean {
  const c = canonicalSerial(serial);
  return list.some((s) => equalBytes(canonicalSerial(s), c));
}

/**
 * The CA-KLOC (KID 10) form: every certificate of the OCE chain sent at PSO must be listed, not only the leaf.
 * Reason: yubikit/ykman documents that each chain certificate is checked (its test lists them all), and a leaf-only
 * check would let an intermediate the CA-KLOC once certified mint a leaf carrying a listed serial.
 */
export function chainOnList(list: readonly Uint8Array[], chainSerials: readonly Uint8Array[]): boolean {
  return chainSerials.length > 0 && chainSerials.every((serial) => serialOnList(list, serial));
}

export function encodeOceAllowlist(update: OceAllowlistUpdate): Uint8Array {
  const { kid, kvn } = update.keyReference;
  return concatBytes(
    tlv(TAG_CONTROL_REFERENCE, tlv(TAG_KEY_REFERENCE, Uint8Array.of(kid, kvn))),
    tlv(
      TAG_OCE_ALLOWLIST,
      concatBytes(...update.serials.map((s) => tlv(TAG_OCE_SERIAL, canonicalSerial(s)))),
    ),
  );
}

export function decodeOceAllowlist(bytes: Uint8Array): OceAllowlistUpdate {
  const context = `STORE DATA ${tagName(TAG_CONTROL_REFERENCE)} ${tagName(TAG_OCE_ALLOWLIST)}`;
  const top = parseList(bytes, context);
  if (top.length !== 2 || top[0].tag !== TAG_CONTROL_REFERENCE || top[1].tag !== TAG_OCE_ALLOWLIST) {
    throw new DataObjectError(`${context}: expected A6{83 KID KVN} 70{93 ...}`);
  }
  const ref = parseList(top[0].value, context);
  if (ref.length !== 1 || ref[0].tag !== TAG_KEY_REFERENCE || ref[0].value.length !== 2) {
    throw new DataObjectError(`${context}: A6 must hold exactly 83 <KID KVN>`);
  }
  const serials = parseList(top[1].value, context).map((t, i) => {
    if (t.tag !== TAG_OCE_SERIAL || t.value.length === 0 || t.value.length > MAX_SERIAL_BYTES) {
      throw new DataObjectError(
        `${context}: entry ${i + 1} is not 93 <serial of 1..${MAX_SERIAL_BYTES} bytes>`,
      );
    }
    return canonicalSerial(t.value);
  });
  return { keyReference: { kid: ref[0].value[0], kvn: ref[0].value[1] }, serials };
}
