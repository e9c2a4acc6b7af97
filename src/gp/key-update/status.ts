// DESIGN.md 4.5 BF72 ProfileKeyStatusRequest and BF73 ProfileKeyStatus (recovery after a lost BF71).
import { tagName, tlv } from '../../bytes/index.js';
import {
  CHECK_VALUES_LENGTH,
  ICCID_LENGTH,
  TAG_CHECK_VALUES,
  TAG_ICCID,
  TAG_KEY_STATUS,
  TAG_KEY_STATUS_REQUEST,
  TAG_KEY_VERSION,
  TAG_TRANSACTION_ID,
  TRANSACTION_ID_LENGTH,
} from './constants.js';
import { optional, readTemplate, required } from './template.js';

export interface KeyStatus {
  readonly iccid: Uint8Array;
  readonly keyVersion: number;
  /** KCV(K) || KCV(OPc) of the active keys. */
  readonly checkValues: Uint8Array;
  /** The last applied transaction id; absent before the first update. */
  readonly lastTransactionId?: Uint8Array;
}

export function encodeKeyStatusRequest(iccid: Uint8Array): Uint8Array {
  return tlv(TAG_KEY_STATUS_REQUEST, tlv(TAG_ICCID, iccid));
}

/** The ICCID of a BF72 (strict, as check 1 of DESIGN.md 4.5). */
export function decodeKeyStatusRequest(bytes: Uint8Array): Uint8Array {
  const f = readTemplate(bytes, TAG_KEY_STATUS_REQUEST, [TAG_ICCID]);
  return required(f, TAG_ICCID, tagName(TAG_KEY_STATUS_REQUEST), ICCID_LENGTH).slice();
}

export function encodeKeyStatus(s: KeyStatus): Uint8Array {
  return tlv(
    TAG_KEY_STATUS,
    tlv(TAG_ICCID, s.iccid),
    tlv(TAG_KEY_VERSION, Uint8Array.of(s.keyVersion)),
    tlv(TAG_CHECK_VALUES, s.checkValues),
    s.lastTransactionId === undefined ? undefined : tlv(TAG_TRANSACTION_ID, s.lastTransactionId),
  );
}

export function decodeKeyStatus(bytes: Uint8Array): KeyStatus {
  const context = tagName(TAG_KEY_STATUS);
  const f = readTemplate(bytes, TAG_KEY_STATUS, [
    TAG_ICCID,
    TAG_KEY_VERSION,
    TAG_CHECK_VALUES,
    TAG_TRANSACTION_ID,
  ]);
  const last = optional(f, TAG_TRANSACTION_ID, context, TRANSACTION_ID_LENGTH);
  return {
    iccid: required(f, TAG_ICCID, context, ICCID_LENGTH).slice(),
    keyVersion: required(f, TAG_KEY_VERSION, context, 1)[0],
    checkValues: required(f, TAG_CHECK_VALUES, context, CHECK_VALUES_LENGTH).slice(),
    ...(last === undefined ? {} : { lastTransactionId: last.slice() }),
  };
}
