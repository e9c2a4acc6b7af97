// GPC Amd F 7.1.1 / 7.6.2.3: SCP11 variants, their key identifiers and "i" parameters, and the control
// reference template A6 both sides put into (and check in) MUTUAL / INTERNAL AUTHENTICATE.
import { children, decodeTlv, tlv, type Tlv } from '../../bytes/index.js';
import {
  KEY_TYPE_AES,
  KEY_USAGE_SECURE_MESSAGING,
  KID_SCP11A,
  KID_SCP11B,
  KID_SCP11C,
  SCP11_ID,
  TAG_CONTROL_REFERENCE,
  TAG_KEY_LENGTH,
  TAG_KEY_TYPE,
  TAG_KEY_USAGE_QUALIFIER,
  TAG_SCP_ID_PARAMS,
} from '../constants.js';

export type Scp11Variant = 'a' | 'b' | 'c';
export type AesKeyLength = 16 | 24 | 32;
export type MacLength = 8 | 16;

export const AES_KEY_LENGTHS: readonly AesKeyLength[] = [16, 24, 32];

interface VariantInfo {
  readonly kid: number;
  /** GPC Amd F 7.1.1: b1 = OCE authenticated with a certificate, b2 = card static key only (no ePK.SD). */
  readonly i: number;
}

const VARIANTS: Record<Scp11Variant, VariantInfo> = {
  a: { kid: KID_SCP11A, i: 0x01 },
  b: { kid: KID_SCP11B, i: 0x00 },
  c: { kid: KID_SCP11C, i: 0x03 },
};

export function kidOfVariant(variant: Scp11Variant): number {
  return VARIANTS[variant].kid;
}

export function iParameterOf(variant: Scp11Variant): number {
  return VARIANTS[variant].i;
}

export function variantOfKid(kid: number): Scp11Variant | undefined {
  return (Object.keys(VARIANTS) as Scp11Variant[]).find((v) => VARIANTS[v].kid === kid);
}

export function isAesKeyLength(n: number): n is AesKeyLength {
  return n === 16 || n === 24 || n === 32;
}

// GPC Amd F 7.6.2.3 Table 7-17: A6{90 02 11 <i>, 95 01 3C, 80 01 88, 81 01 <key length>}
export function encodeControlReference(variant: Scp11Variant, aesKeyLength: AesKeyLength): Uint8Array {
  return tlv(
    TAG_CONTROL_REFERENCE,
    tlv(TAG_SCP_ID_PARAMS, Uint8Array.of(SCP11_ID, iParameterOf(variant))),
    tlv(TAG_KEY_USAGE_QUALIFIER, Uint8Array.of(KEY_USAGE_SECURE_MESSAGING)),
    tlv(TAG_KEY_TYPE, Uint8Array.of(KEY_TYPE_AES)),
    tlv(TAG_KEY_LENGTH, Uint8Array.of(aesKeyLength)),
  );
}

/** The values of A6 as received; `undefined` fields were absent or not one/two bytes long. */
export interface ControlReference {
  readonly tlv: Tlv;
  readonly scpId?: number;
  readonly i?: number;
  readonly keyUsage?: number;
  readonly keyType?: number;
  readonly keyLength?: number;
}

/** Parses an A6 TLV (throws TlvError when it is not BER-TLV). Semantic checks are the caller's. */
export function decodeControlReference(raw: Uint8Array): ControlReference {
  const a6 = decodeTlv(raw);
  const one = (tag: number): number | undefined => {
    const t = children(a6).find((c) => c.tag === tag);
    return t !== undefined && t.value.length === 1 ? t.value[0] : undefined;
  };
  const id = children(a6).find((c) => c.tag === TAG_SCP_ID_PARAMS);
  const idOk = id !== undefined && id.value.length === 2;
  return {
    tlv: a6,
    scpId: idOk ? id.value[0] : undefined,
    i: idOk ? id.value[1] : undefined,
    keyUsage: one(TAG_KEY_USAGE_QUALIFIER),
    keyType: one(TAG_KEY_TYPE),
    keyLength: one(TAG_KEY_LENGTH),
  };
}

// GPC Amd F 3.1.2 (v1.3) / 6.5.2.3: SharedInfo = key usage || key type || key length
export function sharedInfoOf(aesKeyLength: AesKeyLength): Uint8Array {
  return Uint8Array.of(KEY_USAGE_SECURE_MESSAGING, KEY_TYPE_AES, aesKeyLength);
}
