// ETSI TS 102 221 8-11: the small file model of this card: MF with EF.DIR and EF.ICCID, and per profile an
// ADF.USIM with EF.IMSI and EF.AD. Files are data (content computed from the image), not code paths.
import { tlv } from '../bytes/index.js';

export const FID_MF = 0x3f00;
export const FID_EF_DIR = 0x2f00;
export const FID_EF_ICCID = 0x2fe2;
/** TS 102 221 8.4.1: the currently selected ADF. */
export const FID_CURRENT_ADF = 0x7fff;
export const FID_EF_IMSI = 0x6f07;

// TS 102 221 11.1.1.4 FCP template tags
export const TAG_FCP = 0x62;
export const TAG_FCI = 0x6f;
const TAG_FILE_SIZE = 0x80;
const TAG_FILE_DESCRIPTOR = 0x82;
const TAG_FILE_ID = 0x83;
const TAG_DF_NAME = 0x84;
const TAG_LIFE_CYCLE = 0x8a;
const LCS_OPERATIONAL_ACTIVATED = 0x05;
/** TS 102 221 11.1.1.4.3: 41 transparent EF, 42 linear fixed EF, 78 DF/ADF; 21 data coding. */
const DESCRIPTOR_TRANSPARENT = 0x41;
const DESCRIPTOR_LINEAR_FIXED = 0x42;
const DESCRIPTOR_DF = 0x78;
const DATA_CODING = 0x21;

export type ElementaryFile =
  | {
      readonly fid: number;
      readonly name: string;
      readonly structure: 'transparent';
      readonly data: Uint8Array;
    }
  | {
      readonly fid: number;
      readonly name: string;
      readonly structure: 'linear-fixed';
      readonly recordLength: number;
      readonly records: readonly Uint8Array[];
    };

function fid(id: number): Uint8Array {
  return Uint8Array.of(id >> 8, id & 0xff);
}

export function fcpOfEf(ef: ElementaryFile): Uint8Array {
  const size = ef.structure === 'transparent' ? ef.data.length : ef.recordLength * ef.records.length;
  const descriptor =
    ef.structure === 'transparent'
      ? Uint8Array.of(DESCRIPTOR_TRANSPARENT, DATA_CODING)
      : Uint8Array.of(DESCRIPTOR_LINEAR_FIXED, DATA_CODING, 0x00, ef.recordLength, ef.records.length);
  return tlv(
    TAG_FCP,
    tlv(TAG_FILE_DESCRIPTOR, descriptor),
    tlv(TAG_FILE_ID, fid(ef.fid)),
    tlv(TAG_LIFE_CYCLE, Uint8Array.of(LCS_OPERATIONAL_ACTIVATED)),
    tlv(TAG_FILE_SIZE, Uint8Array.of(size >> 8, size & 0xff)),
  );
}

export function fcpOfMf(): Uint8Array {
  return tlv(
    TAG_FCP,
    tlv(TAG_FILE_DESCRIPTOR, Uint8Array.of(DESCRIPTOR_DF, DATA_CODING)),
    tlv(TAG_FILE_ID, fid(FID_MF)),
    tlv(TAG_LIFE_CYCLE, Uint8Array.of(LCS_OPERATIONAL_ACTIVATED)),
  );
}

export function fcpOfAdf(aid: Uint8Array): Uint8Array {
  return tlv(
    TAG_FCP,
    tlv(TAG_FILE_DESCRIPTOR, Uint8Array.of(DESCRIPTOR_DF, DATA_CODING)),
    tlv(TAG_DF_NAME, aid),
    tlv(TAG_LIFE_CYCLE, Uint8Array.of(LCS_OPERATIONAL_ACTIVATED)),
  );
}

// TS 102 221 13.1 EF.DIR record: 61{4F AID, 50 label}, padded with FF to the record length
const TAG_APPLICATION_TEMPLATE = 0x61;
const TAG_AID = 0x4f;
const TAG_LABEL = 0x50;
export const EF_DIR_RECORD_LENGTH = 38;

export function efDirRecord(aid: Uint8Array, label: string): Uint8Array {
  const entry = tlv(
    TAG_APPLICATION_TEMPLATE,
    tlv(TAG_AID, aid),
    tlv(TAG_LABEL, new TextEncoder().encode(label)),
  );
  const record = new Uint8Array(EF_DIR_RECORD_LENGTH).fill(0xff);
  record.set(entry.subarray(0, EF_DIR_RECORD_LENGTH));
  return record;
}
