// IPA multiplex constants, as libosmocore's include/osmocom/gsm/protocol/ipaccess.h names them.

/** ipaccess.h struct ipaccess_head: 2-byte big-endian length, then the 1-byte stream id. */
export const IPA_HEADER_LENGTH = 3;
/** The length field is 16 bits: the largest payload one frame carries. */
export const IPA_MAX_PAYLOAD_LENGTH = 0xffff;

/** ipaccess.h enum ipaccess_proto: IPAC_PROTO_IPACCESS, the CCM stream (PING, PONG, ID_GET, ...). */
export const IPA_STREAM_CCM = 0xfe;
/** ipaccess.h enum ipaccess_proto: IPAC_PROTO_OSMO, the Osmocom extension stream (one extension byte first). */
export const IPA_STREAM_OSMO = 0xee;

/** ipaccess.h enum ipaccess_proto_ext: IPAC_PROTO_EXT_CTRL. */
export const IPA_EXT_CTRL = 0x00;
/** ipaccess.h enum ipaccess_proto_ext: IPAC_PROTO_EXT_GSUP. */
export const IPA_EXT_GSUP = 0x05;

/** ipaccess.h enum ipaccess_msgtype (the first payload byte of a CCM frame). */
export const IPA_CCM_PING = 0x00;
export const IPA_CCM_PONG = 0x01;
export const IPA_CCM_ID_GET = 0x04;
export const IPA_CCM_ID_RESP = 0x05;
export const IPA_CCM_ID_ACK = 0x06;

/** ipaccess.h enum ipaccess_id_tags: IPAC_IDTAG_SERNR, the serial number (osmo-hlr routes GSUP by it). */
export const IPA_IDTAG_SERNR = 0x00;
/** ipaccess.h enum ipaccess_id_tags: IPAC_IDTAG_UNITNAME. */
export const IPA_IDTAG_UNITNAME = 0x01;
