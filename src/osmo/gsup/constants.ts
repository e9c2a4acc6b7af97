// GSUP constants, as libosmocore's include/osmocom/gsm/gsup.h names them (the osmo-hlr user manual's GSUP
// chapter, "Information Elements" and "Message Types", documents the same numbers).

/** gsup.h enum osmo_gsup_iei. */
export const GSUP_IEI = Object.freeze({
  IMSI: 0x01, // OSMO_GSUP_IMSI_IE
  CAUSE: 0x02, // OSMO_GSUP_CAUSE_IE
  AUTH_TUPLE: 0x03, // OSMO_GSUP_AUTH_TUPLE_IE
  MSISDN: 0x08, // OSMO_GSUP_MSISDN_IE
  MESSAGE_CLASS: 0x0a, // OSMO_GSUP_MESSAGE_CLASS_IE
  RAND: 0x20, // OSMO_GSUP_RAND_IE
  SRES: 0x21, // OSMO_GSUP_SRES_IE
  KC: 0x22, // OSMO_GSUP_KC_IE
  IK: 0x23, // OSMO_GSUP_IK_IE
  CK: 0x24, // OSMO_GSUP_CK_IE
  AUTN: 0x25, // OSMO_GSUP_AUTN_IE
  AUTS: 0x26, // OSMO_GSUP_AUTS_IE
  RES: 0x27, // OSMO_GSUP_RES_IE
  CN_DOMAIN: 0x28, // OSMO_GSUP_CN_DOMAIN_IE
  NUM_VECTORS_REQ: 0x52, // OSMO_GSUP_NUM_VECTORS_REQ_IE
});

/**
 * gsup.h enum osmo_gsup_message_type: every type gsup.h defines (a request ends in binary 00, its error 01,
 * its result 10), so a decoder can tell an unknown type from one this client merely does not use.
 */
export const GSUP_MESSAGE_TYPE = Object.freeze({
  UPDATE_LOCATION_REQUEST: 0x04,
  UPDATE_LOCATION_ERROR: 0x05,
  UPDATE_LOCATION_RESULT: 0x06,
  SEND_AUTH_INFO_REQUEST: 0x08, // OSMO_GSUP_MSGT_SEND_AUTH_INFO_REQUEST
  SEND_AUTH_INFO_ERROR: 0x09, // OSMO_GSUP_MSGT_SEND_AUTH_INFO_ERROR
  SEND_AUTH_INFO_RESULT: 0x0a, // OSMO_GSUP_MSGT_SEND_AUTH_INFO_RESULT
  AUTH_FAIL_REPORT: 0x0b,
  PURGE_MS_REQUEST: 0x0c,
  PURGE_MS_ERROR: 0x0d,
  PURGE_MS_RESULT: 0x0e,
  INSERT_DATA_REQUEST: 0x10,
  INSERT_DATA_ERROR: 0x11,
  INSERT_DATA_RESULT: 0x12,
  DELETE_DATA_REQUEST: 0x14,
  DELETE_DATA_ERROR: 0x15,
  DELETE_DATA_RESULT: 0x16,
  LOCATION_CANCEL_REQUEST: 0x1c,
  LOCATION_CANCEL_ERROR: 0x1d,
  LOCATION_CANCEL_RESULT: 0x1e,
  PROC_SS_REQUEST: 0x20,
  PROC_SS_ERROR: 0x21,
  PROC_SS_RESULT: 0x22,
  MO_FORWARD_SM_REQUEST: 0x24,
  MO_FORWARD_SM_ERROR: 0x25,
  MO_FORWARD_SM_RESULT: 0x26,
  MT_FORWARD_SM_REQUEST: 0x28,
  MT_FORWARD_SM_ERROR: 0x29,
  MT_FORWARD_SM_RESULT: 0x2a,
  READY_FOR_SM_REQUEST: 0x2c,
  READY_FOR_SM_ERROR: 0x2d,
  READY_FOR_SM_RESULT: 0x2e,
  CHECK_IMEI_REQUEST: 0x30,
  CHECK_IMEI_ERROR: 0x31,
  CHECK_IMEI_RESULT: 0x32,
  E_PREPARE_HANDOVER_REQUEST: 0x34,
  E_PREPARE_HANDOVER_ERROR: 0x35,
  E_PREPARE_HANDOVER_RESULT: 0x36,
  E_PREPARE_SUBSEQUENT_HANDOVER_REQUEST: 0x38,
  E_PREPARE_SUBSEQUENT_HANDOVER_ERROR: 0x39,
  E_PREPARE_SUBSEQUENT_HANDOVER_RESULT: 0x3a,
  E_SEND_END_SIGNAL_REQUEST: 0x3c,
  E_SEND_END_SIGNAL_ERROR: 0x3d,
  E_SEND_END_SIGNAL_RESULT: 0x3e,
  E_PROCESS_ACCESS_SIGNALLING_REQUEST: 0x40,
  E_FORWARD_ACCESS_SIGNALLING_REQUEST: 0x44,
  E_CLOSE: 0x47,
  E_ABORT: 0x4b,
  E_ROUTING_ERROR: 0x4e,
  EPDG_TUNNEL_REQUEST: 0x50,
  EPDG_TUNNEL_ERROR: 0x51,
  EPDG_TUNNEL_RESULT: 0x52,
});

const MESSAGE_TYPE_NAMES = new Map<number, string>(
  Object.entries(GSUP_MESSAGE_TYPE).map(([name, value]) => [value, name]),
);

/** The gsup.h name of a message type, or undefined for a type gsup.h does not define. */
export function gsupMessageTypeName(type: number): string | undefined {
  return MESSAGE_TYPE_NAMES.get(type);
}

/** gsup.h enum osmo_gsup_message_class. */
export const GSUP_MESSAGE_CLASS_SUBSCRIBER_MANAGEMENT = 1;

/** gsup.h: OSMO_GSUP_MAX_NUM_AUTH_INFO, the most tuples one SendAuthInfo asks for or returns. */
export const GSUP_MAX_NUM_AUTH_INFO = 5;

/** IE value lengths libosmocore's gsup.c checks (struct osmo_auth_vector; AUTS "length != 14"). */
export const GSUP_RAND_LENGTH = 16;
export const GSUP_SRES_LENGTH = 4;
export const GSUP_KC_LENGTH = 8;
export const GSUP_IK_LENGTH = 16;
export const GSUP_CK_LENGTH = 16;
export const GSUP_AUTN_LENGTH = 16;
export const GSUP_RES_MAX_LENGTH = 16;
export const GSUP_AUTS_LENGTH = 14;
/** IMSI: at most 15 digits (TS 23.003 2.2), 8 BCD bytes. */
export const GSUP_IMSI_MAX_LENGTH = 8;

/**
 * The GSUP cause IE carries a GMM cause (TS 24.008 10.5.5.14; libosmocore gsm_04_08_gprs.h GMM_CAUSE_*).
 */
export const GMM_CAUSE = Object.freeze({
  IMSI_UNKNOWN: 0x02,
  ILLEGAL_MS: 0x03,
  IMEI_NOT_ACCEPTED: 0x05,
  ILLEGAL_ME: 0x06,
  GPRS_NOTALLOWED: 0x07,
  GPRS_OTHER_NOTALLOWED: 0x08,
  MS_ID_NOT_DERIVED: 0x09,
  IMPL_DETACHED: 0x0a,
  PLMN_NOTALLOWED: 0x0b,
  LA_NOTALLOWED: 0x0c,
  ROAMING_NOTALLOWED: 0x0d,
  NO_GPRS_PLMN: 0x0e,
  NO_SUIT_CELL_IN_LA: 0x0f,
  MSC_TEMP_NOTREACH: 0x10,
  NET_FAIL: 0x11,
  MAC_FAIL: 0x14,
  SYNC_FAIL: 0x15,
  CONGESTION: 0x16,
  GSM_AUTH_UNACCEPT: 0x17,
  NOT_AUTH_FOR_CSG: 0x19,
  SMS_VIA_GPRS_IN_RA: 0x1c,
  NO_PDP_ACTIVATED: 0x28,
  SEM_INCORR_MSG: 0x5f,
  INV_MAND_INFO: 0x60,
  MSGT_NOTEXIST_NOTIMPL: 0x61,
  MSGT_INCOMP_P_STATE: 0x62,
  IE_NOTEXIST_NOTIMPL: 0x63,
  COND_IE_ERR: 0x64,
  MSG_INCOMP_P_STATE: 0x65,
  PROTO_ERR_UNSPEC: 0x6f,
});

const CAUSE_NAMES = new Map<number, string>(Object.entries(GMM_CAUSE).map(([name, value]) => [value, name]));

/** "IMSI_UNKNOWN (0x02)", or "unknown cause (0x..)". */
export function gmmCauseName(cause: number): string {
  const hex = `0x${cause.toString(16).padStart(2, '0')}`;
  return `${CAUSE_NAMES.get(cause) ?? 'unknown cause'} (${hex})`;
}
