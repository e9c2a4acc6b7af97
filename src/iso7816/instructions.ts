// ISO/IEC 7816-4 and ETSI TS 102 221 instruction bytes used by this project. GP's own are in gp/.

/** ISO/IEC 7816-4 11.1.1 SELECT. */
export const INS_SELECT = 0xa4;
/** ISO/IEC 7816-4 11.2.3 READ BINARY. */
export const INS_READ_BINARY = 0xb0;
/** ISO/IEC 7816-4 11.3.3 READ RECORD(S). */
export const INS_READ_RECORD = 0xb2;
/** ISO/IEC 7816-4 11.4.3 GET DATA (even INS). */
export const INS_GET_DATA = 0xca;
/** ISO/IEC 7816-4 7.4.2 / ETSI TS 102 221 10.1.7 GET RESPONSE. */
export const INS_GET_RESPONSE = 0xc0;
/** TS 31.102 7.1.2 AUTHENTICATE (USIM, P2 = 81 3G context). */
export const INS_AUTHENTICATE = 0x88;
/** ETSI TS 102 221 11.1.2 STATUS. */
export const INS_STATUS = 0xf2;
/** ISO/IEC 7816-4 11.1.2 MANAGE CHANNEL. */
export const INS_MANAGE_CHANNEL = 0x70;

/** ISO/IEC 7816-4 5.4.1: CLA bit 5 (0x10) set = command chaining, more commands follow. */
export const CLA_CHAINING = 0x10;
/** ISO/IEC 7816-4 5.4.1 / GP 11.1.4: CLA bit 3 (0x04) = secure messaging with authenticated header. */
export const CLA_SECURE_MESSAGING = 0x04;
/** GP 11.1.4: CLA 0x80 proprietary (GlobalPlatform) class. */
export const CLA_GP = 0x80;
export const CLA_ISO = 0x00;
