// DESIGN.md 4.5: the key update application protocol carried by STORE DATA inside SCP11 secure messaging.

/** ProfileKeyUpdateRequest (server -> card). */
export const TAG_KEY_UPDATE_REQUEST = 0xbf70;
/** ProfileKeyUpdateResult (card -> server). */
export const TAG_KEY_UPDATE_RESULT = 0xbf71;
/** ProfileKeyStatusRequest (server -> card). */
export const TAG_KEY_STATUS_REQUEST = 0xbf72;
/** ProfileKeyStatus (card -> server). */
export const TAG_KEY_STATUS = 0xbf73;

// Inside BF70 / BF71 / BF72 / BF73
export const TAG_TRANSACTION_ID = 0x80;
export const TAG_ICCID = 0x5a;
/** BF70: the AKA algorithm of the new keys. */
export const TAG_ALGORITHM = 0x81;
/** BF71: the outcome (same tag number as the algorithm in BF70). */
export const TAG_OUTCOME = 0x81;
export const TAG_KEY_VERSION = 0x82;
export const TAG_WRAPPED_K = 0x83;
/** OPc (Milenage) or TOPc (TUAK), wrapped with S-DEK. */
export const TAG_WRAPPED_OPC = 0x84;
/** KCV(K) || KCV(OPc), 3 bytes each. */
export const TAG_CHECK_VALUES = 0x85;
/** SHA-256(value of E0 || value of BF30), DESIGN.md 4.4. */
export const TAG_NEGOTIATION_DIGEST = 0x86;
export const TAG_ALGORITHM_PARAMETERS = 0xa6;

// Inside A6: Milenage (TS 35.206 4.1)
export const TAG_MILENAGE_R = 0x80;
export const TAG_MILENAGE_C = 0x81;
// Inside A6: TUAK (TS 35.231 6.1)
export const TAG_TUAK_KECCAK_ITERATIONS = 0x82;
export const TAG_TUAK_MAC_LENGTH = 0x83;
export const TAG_TUAK_RES_LENGTH = 0x84;
export const TAG_TUAK_CK_LENGTH = 0x85;
export const TAG_TUAK_IK_LENGTH = 0x86;

/** 81 in BF70 (also the AKA algorithm ids of BF30 82). */
export const ALGORITHM_MILENAGE = 0x01;
export const ALGORITHM_TUAK = 0x02;

export const TRANSACTION_ID_LENGTH = 16;
export const ICCID_LENGTH = 10;
export const KCV_LENGTH = 3;
export const CHECK_VALUES_LENGTH = 2 * KCV_LENGTH;
export const NEGOTIATION_DIGEST_LENGTH = 32;
// Key lengths and TUAK parameter ranges: aka/params (one definition for every layer).
export const MILENAGE_R_COUNT = 5;
export const MILENAGE_C_LENGTH = 16;

/** BF71 81: outcomes of a key update request. */
export const OUTCOME_APPLIED = 0x00;
export const OUTCOME_UNKNOWN_PROFILE = 0x01;
export const OUTCOME_VERSION_NOT_NEWER = 0x02;
export const OUTCOME_CHECK_VALUE_MISMATCH = 0x03;
export const OUTCOME_UNSUPPORTED = 0x04;
export const OUTCOME_REJECTED_BY_POLICY = 0x05;
export const OUTCOME_NEGOTIATION_MISMATCH = 0x06;

const OUTCOME_NAMES: Record<number, string> = {
  [OUTCOME_APPLIED]: 'applied',
  [OUTCOME_UNKNOWN_PROFILE]: 'unknown profile',
  [OUTCOME_VERSION_NOT_NEWER]: 'key version not newer',
  [OUTCOME_CHECK_VALUE_MISMATCH]: 'check value mismatch',
  [OUTCOME_UNSUPPORTED]: 'unsupported algorithm or parameters',
  [OUTCOME_REJECTED_BY_POLICY]: 'rejected by policy',
  [OUTCOME_NEGOTIATION_MISMATCH]: 'negotiation mismatch',
};

/** "03 (check value mismatch)". */
export function describeOutcome(outcome: number): string {
  const hex = outcome.toString(16).toUpperCase().padStart(2, '0');
  const name = OUTCOME_NAMES[outcome];
  return name === undefined ? hex : `${hex} (${name})`;
}
