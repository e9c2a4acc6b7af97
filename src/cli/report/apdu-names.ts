// Names an APDU from its header as it travels (ISO/IEC 7816-4 5.1, GPC 2.3 11, TS 31.102 7.1): a command under
// secure messaging is opaque, so only CLA INS P1 P2 and the lengths are read, never the data field.
import { INS_MUTUAL_AUTHENTICATE, INS_PERFORM_SECURITY_OPERATION, INS_STORE_DATA } from '../../gp/index.js';
import {
  CLA_CHAINING,
  CLA_GP,
  CLA_SECURE_MESSAGING,
  INS_AUTHENTICATE,
  INS_GET_DATA,
  INS_GET_RESPONSE,
  INS_MANAGE_CHANNEL,
  INS_READ_BINARY,
  INS_READ_RECORD,
  INS_SELECT,
  INS_STATUS,
  SW1_BYTES_AVAILABLE,
  SW_OK,
  describeSw,
  type CommandApdu,
  type ResponseApdu,
} from '../../iso7816/index.js';

/** ISO/IEC 7816-4 5.1.1: CLA 0x40-0x7F is the further interindustry class, where bits 3 and 5 mean other things. */
const CLA_FURTHER_INTERINDUSTRY_MASK = 0x40;
/** ISO/IEC 7816-4 11.1.1: SELECT P1 04 = by DF name (AID). */
const P1_SELECT_BY_NAME = 0x04;
/** GPC 2.3 11.11: first byte of a two-byte BER tag in STORE DATA (BF70, BF72). */
const TAG_CONSTRUCTED_CONTEXT_2BYTE = 0xbf;

const NAMES: Record<number, string> = {
  [INS_SELECT]: 'SELECT',
  [INS_GET_DATA]: 'GET DATA',
  [INS_GET_RESPONSE]: 'GET RESPONSE',
  [INS_READ_BINARY]: 'READ BINARY',
  [INS_READ_RECORD]: 'READ RECORD',
  [INS_STATUS]: 'STATUS',
  [INS_MANAGE_CHANNEL]: 'MANAGE CHANNEL',
  [INS_PERFORM_SECURITY_OPERATION]: 'PERFORM SECURITY OPERATION',
  [INS_MUTUAL_AUTHENTICATE]: 'MUTUAL AUTHENTICATE',
  [INS_STORE_DATA]: 'STORE DATA',
};

const hex2 = (b: number) => b.toString(16).toUpperCase().padStart(2, '0');

function isSecureMessaging(cla: number): boolean {
  return (cla & CLA_FURTHER_INTERINDUSTRY_MASK) === 0 && (cla & CLA_SECURE_MESSAGING) !== 0;
}

/** "GET DATA BF21", "SELECT by AID", "STORE DATA [secure messaging]", "AUTHENTICATE". */
export function apduName(c: CommandApdu): string {
  const sm = isSecureMessaging(c.cla);
  let name: string;
  if (c.ins === INS_AUTHENTICATE) {
    // 0x88: TS 31.102 AUTHENTICATE in the ISO class, GP INTERNAL AUTHENTICATE in the proprietary class.
    name = (c.cla & CLA_GP) !== 0 ? 'INTERNAL AUTHENTICATE' : 'AUTHENTICATE';
  } else {
    name = NAMES[c.ins] ?? `INS ${hex2(c.ins)}`;
  }
  if (c.ins === INS_GET_DATA) name += ` ${hex2(c.p1)}${hex2(c.p2)}`;
  if (c.ins === INS_SELECT && c.p1 === P1_SELECT_BY_NAME) name += ' by AID';
  if (c.ins === INS_STORE_DATA && !sm && c.data.length >= 2 && c.data[0] === TAG_CONSTRUCTED_CONTEXT_2BYTE) {
    name += ` ${hex2(c.data[0])}${hex2(c.data[1])}`;
  }
  if (sm) name += ' [secure messaging]';
  if (!sm && (c.cla & CLA_FURTHER_INTERINDUSTRY_MASK) === 0 && (c.cla & CLA_CHAINING) !== 0)
    name += ' (chained)';
  return name;
}

/** "84 E2 91 00, Lc 120, Le 256": the header and the lengths only. */
export function apduHeader(c: CommandApdu): string {
  const parts = [[c.cla, c.ins, c.p1, c.p2].map(hex2).join(' ')];
  if (c.data.length > 0) parts.push(`Lc ${c.data.length}`);
  if (c.ne !== undefined) parts.push(`Le ${c.ne}`);
  return parts.join(', ');
}

/** 9000 and 61xx carry on a script; anything else stops it (ETSI TS 102 226 5.2.1). */
export function isGoodSw(sw: number): boolean {
  return sw === SW_OK || sw >> 8 === SW1_BYTES_AVAILABLE;
}

/** "9000 (success), 42 B". */
export function responseSummary(r: ResponseApdu): string {
  return `${describeSw(r.sw)}, ${r.data.length} B`;
}
