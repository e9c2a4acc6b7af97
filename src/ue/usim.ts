// The ME's view of a profile's USIM: find it by ICCID (TS 102 221 13.1 EF.DIR, 13.2 EF.ICCID), read its IMSI
// (TS 31.102 4.2.2 EF.IMSI) and run AUTHENTICATE in 3G context (TS 31.102 7.1.2; DESIGN.md 4.6).
import { concatBytes, decodeSwappedBcd, decodeTlvs, findTlv, type Tlv } from '../bytes/index.js';
import {
  CLA_ISO,
  INS_AUTHENTICATE,
  INS_READ_BINARY,
  INS_READ_RECORD,
  INS_SELECT,
  SW_AUTH_MAC_FAILURE,
  SW_OK,
  SW_FILE_NOT_FOUND,
  SW_RECORD_NOT_FOUND,
  StatusWordError,
  command,
  transmitOk,
  type CardChannel,
} from '../iso7816/index.js';
import { UsimError } from './errors.js';

// ISO/IEC 7816-4 11.1.1 / TS 102 221 11.1.1 SELECT
const P1_SELECT_BY_FID = 0x00;
const P1_SELECT_BY_DF_NAME = 0x04;
/** P2: first occurrence, return the FCP template. */
const P2_RETURN_FCP = 0x04;
/** TS 102 221 11.1.5 READ RECORD P2 = 04: absolute record number in P1. */
const P2_RECORD_ABSOLUTE = 0x04;
const NE_MAX_SHORT = 256;

export const FID_EF_DIR = 0x2f00;
export const FID_EF_ICCID = 0x2fe2;
export const FID_EF_IMSI = 0x6f07;
/** TS 31.102 7.1.2.1: P2 = 81, authentication context 3G. */
export const P2_CONTEXT_3G = 0x81;
/** TS 31.102 7.1.2.1 response: successful 3G authentication. */
export const TAG_AUTH_SUCCESS = 0xdb;
/** TS 31.102 7.1.2.1 response: synchronisation failure, AUTS follows. */
export const TAG_SYNC_FAILURE = 0xdc;
/** ETSI TS 101 220 Annex E: the RID and application code of a 3GPP USIM. */
const USIM_AID_PREFIX = Uint8Array.of(0xa0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02);
// TS 102 221 13.1 EF.DIR record: 61 application template { 4F AID, 50 label }
const TAG_APPLICATION_TEMPLATE = 0x61;
const TAG_AID = 0x4f;
const MAX_EF_DIR_RECORDS = 254;

export interface UsimSelection {
  readonly aid: Uint8Array;
  readonly iccid: string;
  readonly imsi: string;
}

export type AuthenticateResult =
  | { readonly kind: 'success'; readonly res: Uint8Array; readonly ck: Uint8Array; readonly ik: Uint8Array }
  | { readonly kind: 'sync-failure'; readonly auts: Uint8Array }
  | { readonly kind: 'mac-failure' };

const selectFid = (fid: number) =>
  command(
    CLA_ISO,
    INS_SELECT,
    P1_SELECT_BY_FID,
    P2_RETURN_FCP,
    Uint8Array.of(fid >> 8, fid & 0xff),
    NE_MAX_SHORT,
  );
const selectAid = (aid: Uint8Array) =>
  command(CLA_ISO, INS_SELECT, P1_SELECT_BY_DF_NAME, P2_RETURN_FCP, aid, NE_MAX_SHORT);
const readBinary = () => command(CLA_ISO, INS_READ_BINARY, 0x00, 0x00, undefined, NE_MAX_SHORT);

function isUsimAid(aid: Uint8Array): boolean {
  return aid.length >= USIM_AID_PREFIX.length && USIM_AID_PREFIX.every((b, i) => aid[i] === b);
}

// TS 102 221 13.1: every record of EF.DIR names one application; unused records are FF
export async function listUsimAids(channel: CardChannel): Promise<Uint8Array[]> {
  await transmitOk(channel, selectFid(0x3f00), 'SELECT MF');
  await transmitOk(channel, selectFid(FID_EF_DIR), 'SELECT EF.DIR');
  const aids: Uint8Array[] = [];
  for (let record = 1; record <= MAX_EF_DIR_RECORDS; record++) {
    const r = await channel.transmit(
      command(CLA_ISO, INS_READ_RECORD, record, P2_RECORD_ABSOLUTE, undefined, NE_MAX_SHORT),
    );
    if (r.sw === SW_RECORD_NOT_FOUND) break;
    if (r.sw !== SW_OK) throw new StatusWordError(r.sw, `READ RECORD ${record} of EF.DIR`);
    if (r.data.every((b) => b === 0xff)) continue;
    let end = r.data.length;
    while (end > 0 && r.data[end - 1] === 0xff) end--;
    let aid: Tlv | undefined;
    try {
      const template = findTlv(decodeTlvs(r.data.subarray(0, end)), TAG_APPLICATION_TEMPLATE);
      aid = template === undefined ? undefined : findTlv(decodeTlvs(template.value), TAG_AID);
    } catch {
      throw new UsimError(`EF.DIR record ${record} is not an application template`);
    }
    if (aid !== undefined && isUsimAid(aid.value)) aids.push(aid.value);
  }
  return aids;
}

/** EF.IMSI: length byte, then swapped BCD of the parity nibble and the digits (TS 31.102 4.2.2). */
export function decodeEfImsi(ef: Uint8Array): string {
  if (ef.length < 2 || ef[0] < 1 || ef[0] > ef.length - 1) throw new UsimError('EF.IMSI: bad length byte');
  const digits = decodeSwappedBcd(ef.subarray(1, 1 + ef[0]), 'EF.IMSI');
  return digits.slice(1);
}

/** TS 102 221 13.2 EF.ICCID: 10 bytes of swapped BCD, F-padded. */
export function decodeEfIccid(ef: Uint8Array): string {
  return decodeSwappedBcd(ef, 'EF.ICCID');
}

// The USIM whose profile has this ICCID: SELECT each USIM ADF of EF.DIR, then EF.ICCID (the ADF's profile's,
// which on a multi-profile card is the one the selected application belongs to), then EF.IMSI in the ADF.
export async function selectUsim(channel: CardChannel, iccid: string): Promise<UsimSelection> {
  const aids = await listUsimAids(channel);
  if (aids.length === 0) throw new UsimError('the card lists no USIM application in EF.DIR');
  for (const aid of aids) {
    await transmitOk(channel, selectAid(aid), 'SELECT USIM');
    const fcp = await channel.transmit(selectFid(FID_EF_ICCID));
    if (fcp.sw === SW_FILE_NOT_FOUND) continue;
    if (fcp.sw !== SW_OK) throw new StatusWordError(fcp.sw, 'SELECT EF.ICCID');
    const found = decodeEfIccid(await transmitOk(channel, readBinary(), 'READ BINARY EF.ICCID'));
    if (found !== iccid) continue;
    await transmitOk(channel, selectAid(aid), 'SELECT USIM');
    await transmitOk(channel, selectFid(FID_EF_IMSI), 'SELECT EF.IMSI');
    const imsi = decodeEfImsi(await transmitOk(channel, readBinary(), 'READ BINARY EF.IMSI'));
    await transmitOk(channel, selectAid(aid), 'SELECT USIM');
    return { aid, iccid, imsi };
  }
  throw new UsimError(`no USIM on the card has ICCID ${iccid}`);
}

/** Every USIM of the card with its ICCID and IMSI (TS 31.102 4.2.2, TS 102 221 13.2), in EF.DIR order. */
export async function listUsimProfiles(channel: CardChannel): Promise<UsimSelection[]> {
  const out: UsimSelection[] = [];
  for (const aid of await listUsimAids(channel)) {
    await transmitOk(channel, selectAid(aid), 'SELECT USIM');
    const fcp = await channel.transmit(selectFid(FID_EF_ICCID));
    if (fcp.sw === SW_FILE_NOT_FOUND) continue;
    if (fcp.sw !== SW_OK) throw new StatusWordError(fcp.sw, 'SELECT EF.ICCID');
    const iccid = decodeEfIccid(await transmitOk(channel, readBinary(), 'READ BINARY EF.ICCID'));
    await transmitOk(channel, selectAid(aid), 'SELECT USIM');
    await transmitOk(channel, selectFid(FID_EF_IMSI), 'SELECT EF.IMSI');
    out.push({
      aid,
      iccid,
      imsi: decodeEfImsi(await transmitOk(channel, readBinary(), 'READ BINARY EF.IMSI')),
    });
  }
  return out;
}

function lv(value: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(value.length), value);
}

function readLv(data: Uint8Array, at: number, name: string): [Uint8Array, number] {
  if (at >= data.length || at + 1 + data[at] > data.length)
    throw new UsimError(`AUTHENTICATE response: ${name} truncated`);
  return [data.slice(at + 1, at + 1 + data[at]), at + 1 + data[at]];
}

// TS 31.102 7.1.2.1: 00 88 00 81 Lc (L RAND) (L AUTN) -> DB L RES L CK L IK | DC L AUTS | SW 98 62
export async function authenticate(
  channel: CardChannel,
  rand: Uint8Array,
  autn: Uint8Array,
): Promise<AuthenticateResult> {
  const r = await channel.transmit(
    command(CLA_ISO, INS_AUTHENTICATE, 0x00, P2_CONTEXT_3G, concatBytes(lv(rand), lv(autn)), NE_MAX_SHORT),
  );
  if (r.sw === SW_AUTH_MAC_FAILURE) return { kind: 'mac-failure' };
  if (r.sw !== SW_OK) throw new StatusWordError(r.sw, 'AUTHENTICATE');
  if (r.data[0] === TAG_SYNC_FAILURE) {
    const [auts] = readLv(r.data, 1, 'AUTS');
    return { kind: 'sync-failure', auts };
  }
  if (r.data[0] !== TAG_AUTH_SUCCESS) throw new UsimError('AUTHENTICATE response: neither DB nor DC');
  const [res, a] = readLv(r.data, 1, 'RES');
  const [ck, b] = readLv(r.data, a, 'CK');
  const [ik] = readLv(r.data, b, 'IK');
  return { kind: 'success', res, ck, ik };
}
