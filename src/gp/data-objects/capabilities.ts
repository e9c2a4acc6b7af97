// DESIGN.md 4.4: BF30{80 curve ids, 81 AES key lengths, 82 AKA algorithms, 83 minimum AES key length,
// 84 SCP11 variants (i values)}; always in this wrapped form.
import { tagName, tlv } from '../../bytes/index.js';
import { TAG_CAPABILITIES } from '../constants.js';
import { DataObjectError } from './errors.js';
import { parseList, unwrap } from './form.js';

export const TAG_CAP_CURVES = 0x80;
export const TAG_CAP_AES_KEY_LENGTHS = 0x81;
export const TAG_CAP_AKA_ALGORITHMS = 0x82;
export const TAG_CAP_MIN_AES_KEY_LENGTH = 0x83;
export const TAG_CAP_SCP11_VARIANTS = 0x84;

export interface Capabilities {
  /** Curve ids (tag F0 values) of the SCP11 key sets the card accepts for key update. */
  readonly curveIds: readonly number[];
  readonly aesKeyLengths: readonly number[];
  /** 01 Milenage, 02 TUAK. */
  readonly akaAlgorithms: readonly number[];
  readonly minAesKeyLength: number;
  /** SCP11 "i" parameters: 00 (b), 01 (a), 03 (c). */
  readonly scp11Variants: readonly number[];
}

export function encodeCapabilities(c: Capabilities): Uint8Array {
  return tlv(
    TAG_CAPABILITIES,
    tlv(TAG_CAP_CURVES, Uint8Array.from(c.curveIds)),
    tlv(TAG_CAP_AES_KEY_LENGTHS, Uint8Array.from(c.aesKeyLengths)),
    tlv(TAG_CAP_AKA_ALGORITHMS, Uint8Array.from(c.akaAlgorithms)),
    tlv(TAG_CAP_MIN_AES_KEY_LENGTH, Uint8Array.of(c.minAesKeyLength)),
    tlv(TAG_CAP_SCP11_VARIANTS, Uint8Array.from(c.scp11Variants)),
  );
}

export interface DecodedCapabilities {
  readonly capabilities: Capabilities;
  /** The value of BF30, the input of the negotiation digest. */
  readonly value: Uint8Array;
}

/** Accepts BF30{...} (and, leniently, its bare content); unknown tags inside are ignored for extensibility. */
export function decodeCapabilities(bytes: Uint8Array): DecodedCapabilities {
  const context = tagName(TAG_CAPABILITIES);
  const { value } = unwrap(bytes, TAG_CAPABILITIES);
  const list = parseList(value, context);
  const get = (tag: number): Uint8Array => {
    const found = list.filter((t) => t.tag === tag);
    if (found.length !== 1) {
      throw new DataObjectError(
        `${context}: tag ${tagName(tag)} ${found.length === 0 ? 'missing' : 'repeated'}`,
      );
    }
    return found[0].value;
  };
  const min = get(TAG_CAP_MIN_AES_KEY_LENGTH);
  if (min.length !== 1) throw new DataObjectError(`${context}: tag 83 must be 1 byte`);
  return {
    capabilities: {
      curveIds: Array.from(get(TAG_CAP_CURVES)),
      aesKeyLengths: Array.from(get(TAG_CAP_AES_KEY_LENGTHS)),
      akaAlgorithms: Array.from(get(TAG_CAP_AKA_ALGORITHMS)),
      minAesKeyLength: min[0],
      scp11Variants: Array.from(get(TAG_CAP_SCP11_VARIANTS)),
    },
    value,
  };
}
