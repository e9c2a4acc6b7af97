// DESIGN.md 4.5 BF71 ProfileKeyUpdateResult: built by the card inside the protected response, read by the server.
import { tagName, tlv } from '../../bytes/index.js';
import {
  CHECK_VALUES_LENGTH,
  ICCID_LENGTH,
  OUTCOME_UNKNOWN_PROFILE,
  TAG_CHECK_VALUES,
  TAG_ICCID,
  TAG_KEY_UPDATE_RESULT,
  TAG_KEY_VERSION,
  TAG_OUTCOME,
  TAG_TRANSACTION_ID,
  TRANSACTION_ID_LENGTH,
} from './constants.js';
import { KeyUpdateFormatError } from './errors.js';
import { optional, readTemplate, required } from './template.js';

export interface KeyUpdateResult {
  /** As received in BF70. */
  readonly transactionId: Uint8Array;
  /** As received in BF70. */
  readonly iccid: Uint8Array;
  readonly outcome: number;
  /** The key version now active (absent for outcome 01, unknown profile). */
  readonly keyVersion?: number;
  /** KCV(K) || KCV(OPc) of the keys now active (absent for outcome 01). */
  readonly checkValues?: Uint8Array;
}

const CONTEXT = tagName(TAG_KEY_UPDATE_RESULT);
const FIELDS = [TAG_TRANSACTION_ID, TAG_ICCID, TAG_OUTCOME, TAG_KEY_VERSION, TAG_CHECK_VALUES];

export function encodeKeyUpdateResult(r: KeyUpdateResult): Uint8Array {
  return tlv(
    TAG_KEY_UPDATE_RESULT,
    tlv(TAG_TRANSACTION_ID, r.transactionId),
    tlv(TAG_ICCID, r.iccid),
    tlv(TAG_OUTCOME, Uint8Array.of(r.outcome)),
    r.keyVersion === undefined ? undefined : tlv(TAG_KEY_VERSION, Uint8Array.of(r.keyVersion)),
    r.checkValues === undefined ? undefined : tlv(TAG_CHECK_VALUES, r.checkValues),
  );
}

export function decodeKeyUpdateResult(bytes: Uint8Array): KeyUpdateResult {
  const f = readTemplate(bytes, TAG_KEY_UPDATE_RESULT, FIELDS);
  const outcome = required(f, TAG_OUTCOME, CONTEXT, 1)[0];
  const keyVersion = optional(f, TAG_KEY_VERSION, CONTEXT, 1);
  const checkValues = optional(f, TAG_CHECK_VALUES, CONTEXT, CHECK_VALUES_LENGTH);
  if (outcome !== OUTCOME_UNKNOWN_PROFILE && (keyVersion === undefined || checkValues === undefined)) {
    throw new KeyUpdateFormatError(`${CONTEXT}: key version and check values missing for outcome ${outcome}`);
  }
  return {
    transactionId: required(f, TAG_TRANSACTION_ID, CONTEXT, TRANSACTION_ID_LENGTH).slice(),
    iccid: required(f, TAG_ICCID, CONTEXT, ICCID_LENGTH).slice(),
    outcome,
    ...(keyVersion === undefined ? {} : { keyVersion: keyVersion[0] }),
    ...(checkValues === undefined ? {} : { checkValues: checkValues.slice() }),
  };
}
