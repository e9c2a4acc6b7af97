// ISO/IEC 7816-4 5.6 status words (and the few GP / TS 31.102 ones this project answers with).

export const SW_OK = 0x9000;
/** 61xx: xx more response bytes available with GET RESPONSE (00 = 256 or more). */
export const SW1_BYTES_AVAILABLE = 0x61;
/** 6Cxx: wrong Le; xx is the exact length available. */
export const SW1_WRONG_LE = 0x6c;
/** 62xx: warning, state of non-volatile memory unchanged. */
export const SW1_WARNING_UNCHANGED = 0x62;
/** 63xx: warning, state of non-volatile memory changed. */
export const SW1_WARNING_CHANGED = 0x63;
export const SW_WARNING_NO_INFO = 0x6200;
export const SW_VERIFICATION_FAILED = 0x6300;
export const SW_MEMORY_FAILURE = 0x6581;
export const SW_WRONG_LENGTH = 0x6700;
export const SW_LOGICAL_CHANNEL_NOT_SUPPORTED = 0x6881;
export const SW_LAST_COMMAND_EXPECTED = 0x6883;
export const SW_CHAINING_NOT_SUPPORTED = 0x6884;
export const SW_SECURITY_STATUS_NOT_SATISFIED = 0x6982;
export const SW_AUTHENTICATION_METHOD_BLOCKED = 0x6983;
export const SW_CONDITIONS_NOT_SATISFIED = 0x6985;
export const SW_COMMAND_NOT_ALLOWED_NO_EF = 0x6986;
export const SW_SM_DATA_OBJECTS_MISSING = 0x6987;
export const SW_SM_DATA_OBJECTS_INCORRECT = 0x6988;
export const SW_WRONG_DATA = 0x6a80;
export const SW_FUNCTION_NOT_SUPPORTED = 0x6a81;
export const SW_FILE_NOT_FOUND = 0x6a82;
export const SW_RECORD_NOT_FOUND = 0x6a83;
export const SW_NOT_ENOUGH_MEMORY = 0x6a84;
export const SW_INCORRECT_P1P2 = 0x6a86;
export const SW_REFERENCED_DATA_NOT_FOUND = 0x6a88;
export const SW_WRONG_P1P2 = 0x6b00;
export const SW_INS_NOT_SUPPORTED = 0x6d00;
export const SW_CLA_NOT_SUPPORTED = 0x6e00;
export const SW_UNKNOWN = 0x6f00;
/** TS 31.102 7.3.1: AUTHENTICATE, authentication error, incorrect MAC. */
export const SW_AUTH_MAC_FAILURE = 0x9862;

const NAMES: Record<number, string> = {
  [SW_OK]: 'success',
  [SW_WARNING_NO_INFO]: 'warning, no information given',
  [SW_VERIFICATION_FAILED]: 'verification failed',
  [SW_MEMORY_FAILURE]: 'memory failure',
  [SW_WRONG_LENGTH]: 'wrong length',
  [SW_LOGICAL_CHANNEL_NOT_SUPPORTED]: 'logical channel not supported',
  [SW_LAST_COMMAND_EXPECTED]: 'last command of the chain expected',
  [SW_CHAINING_NOT_SUPPORTED]: 'command chaining not supported',
  [SW_SECURITY_STATUS_NOT_SATISFIED]: 'security status not satisfied',
  [SW_AUTHENTICATION_METHOD_BLOCKED]: 'authentication method blocked',
  [SW_CONDITIONS_NOT_SATISFIED]: 'conditions of use not satisfied',
  [SW_COMMAND_NOT_ALLOWED_NO_EF]: 'command not allowed, no current EF',
  [SW_SM_DATA_OBJECTS_MISSING]: 'expected secure messaging data objects missing',
  [SW_SM_DATA_OBJECTS_INCORRECT]: 'incorrect secure messaging data objects',
  [SW_WRONG_DATA]: 'incorrect parameters in the data field',
  [SW_FUNCTION_NOT_SUPPORTED]: 'function not supported',
  [SW_FILE_NOT_FOUND]: 'file or application not found',
  [SW_RECORD_NOT_FOUND]: 'record not found',
  [SW_NOT_ENOUGH_MEMORY]: 'not enough memory space',
  [SW_INCORRECT_P1P2]: 'incorrect parameters P1-P2',
  [SW_REFERENCED_DATA_NOT_FOUND]: 'referenced data not found',
  [SW_WRONG_P1P2]: 'wrong parameters P1-P2',
  [SW_INS_NOT_SUPPORTED]: 'instruction not supported',
  [SW_CLA_NOT_SUPPORTED]: 'class not supported',
  [SW_UNKNOWN]: 'no precise diagnosis',
  [SW_AUTH_MAC_FAILURE]: 'authentication error, incorrect MAC',
};

export function swHex(sw: number): string {
  return sw.toString(16).toUpperCase().padStart(4, '0');
}

/** "6A88 (referenced data not found)". */
export function describeSw(sw: number): string {
  if (sw >> 8 === SW1_BYTES_AVAILABLE) return `${swHex(sw)} (${sw & 0xff || 256} bytes available)`;
  if (sw >> 8 === SW1_WRONG_LE) return `${swHex(sw)} (wrong Le, ${sw & 0xff} available)`;
  const name = NAMES[sw];
  return name === undefined ? swHex(sw) : `${swHex(sw)} (${name})`;
}
