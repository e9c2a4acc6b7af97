// The schema of tests/vectors/scp11.json entries (and of scp11-card.json, which adds the card's side).
import { fromHex } from '../../../src/bytes/index.js';

export interface Scp11Vector {
  name: string;
  curve: string;
  mac_len: number;
  OCE_KID: string;
  SD_keyref_kid_kvn: string;
  SK_OCE_pkcs8: string;
  eSK_OCE_pkcs8: string;
  CERT_OCE: string;
  CERT_OCE_chain?: string[];
  GET_DATA_capdu: string;
  GET_RESPONSE_capdu: string;
  GET_DATA_rapdus: string[];
  PSO_capdus: string[];
  PSO_rapdu: string;
  MA_capdu: string;
  MA_rapdu: string;
  GETSTATUS_plain_capdu: string;
  GETSTATUS_capdu: string;
  GETSTATUS_rapdu: string;
  derived_verified_here: Record<string, string>;
  // scp11-card.json only
  variant?: string;
  aes_key_len?: number;
  cert_format?: string;
  SD_KID?: string;
  SD_KVN?: string;
  OCE_KVN?: string;
  EID?: string;
  SK_SD_pkcs8?: string;
  eSK_SD_pkcs8?: string;
  CERT_SD?: string;
  CERT_SD_chain?: string[];
  CA_curve?: string;
  PK_CA_KLCC?: string;
  PK_CA_KLOC?: string;
  check_date?: string;
  GETSTATUS_plain_rapdu?: string;
  derived_card_side?: Record<string, string>;
}

export interface Scp11VectorFile {
  description: string;
  note: string;
  vectors: Scp11Vector[];
}

export const hex = (s: string, label = 'vector'): Uint8Array => fromHex(s.replace(/^0x/i, ''), label);

/** KID and KVN of the card key set (SD_keyref_kid_kvn = KID || KVN). */
export function sdKeyRef(v: Scp11Vector): { kid: number; kvn: number } {
  const ref = hex(v.SD_keyref_kid_kvn, 'SD_keyref_kid_kvn');
  return { kid: ref[0], kvn: ref[1] };
}

/** The AES session key length: explicit, or the last byte of SharedInfo 3C 88 <len>. */
export function aesKeyLengthOf(v: Scp11Vector): 16 | 24 | 32 {
  const n = v.aes_key_len ?? hex(v.derived_verified_here.sharedinfo)[2];
  if (n !== 16 && n !== 24 && n !== 32) throw new Error(`${v.name}: AES key length ${n}`);
  return n;
}

/** A scalar from the derived_* fields ("0x..."), left-padded to the field size. */
export function scalar(value: string, fieldSize: number): Uint8Array {
  const digits = value.replace(/^0x/i, '').padStart(fieldSize * 2, '0');
  return fromHex(digits, 'scalar');
}
