// GPC 2.3 11.3.3.1 Key Information Template E0{C0{KID KVN (type length)...}...}; DESIGN.md 4.3: an SCP11 key set
// is C0{KID KVN B1 <field size> F0 <curve id>}, a CA-KLOC public key C0{10 KVN B0 <field size> F0 <curve id>}.
import { concatBytes, tagName, tlv } from '../../bytes/index.js';
import { TAG_KEY_INFO, TAG_KEY_INFO_TEMPLATE } from '../constants.js';
import { DataObjectError } from './errors.js';
import { parseList, unwrap, type DataObjectForm } from './form.js';

/** GPC 2.3 Table 11-16 key types used here. */
export const KEY_TYPE_ECC_PUBLIC = 0xb0;
export const KEY_TYPE_ECC_PRIVATE = 0xb1;
/** ECC key parameters reference: its "length" byte is the curve id (tag F0 values, DESIGN.md 4.2). */
export const KEY_TYPE_ECC_PARAMETERS = 0xf0;

export interface KeyComponent {
  readonly type: number;
  readonly length: number;
}

export interface KeyInformation {
  readonly kid: number;
  readonly kvn: number;
  readonly components: readonly KeyComponent[];
}

function eccKeyInformation(
  kid: number,
  kvn: number,
  keyType: number,
  fieldSize: number,
  curveId: number,
): KeyInformation {
  return {
    kid,
    kvn,
    components: [
      { type: keyType, length: fieldSize },
      { type: KEY_TYPE_ECC_PARAMETERS, length: curveId },
    ],
  };
}

/** An SCP11 key set held by the card (private key of CERT.SD.ECKA). */
export function scp11KeyInformation(
  kid: number,
  kvn: number,
  fieldSize: number,
  curveId: number,
): KeyInformation {
  return eccKeyInformation(kid, kvn, KEY_TYPE_ECC_PRIVATE, fieldSize, curveId);
}

/** A trusted CA public key (CA-KLOC, KID 10). */
export function caKeyInformation(
  kid: number,
  kvn: number,
  fieldSize: number,
  curveId: number,
): KeyInformation {
  return eccKeyInformation(kid, kvn, KEY_TYPE_ECC_PUBLIC, fieldSize, curveId);
}

/** The curve id of an ECC entry (its F0 component), if any. */
export function curveIdOf(info: KeyInformation): number | undefined {
  return info.components.find((c) => c.type === KEY_TYPE_ECC_PARAMETERS)?.length;
}

function encodeEntry(info: KeyInformation): Uint8Array {
  const bytes = [info.kid, info.kvn];
  for (const c of info.components) bytes.push(c.type, c.length);
  if (bytes.some((b) => !Number.isInteger(b) || b < 0 || b > 0xff)) {
    throw new DataObjectError(
      `${tagName(TAG_KEY_INFO)}: a value of key ${info.kid}/${info.kvn} is not a byte`,
    );
  }
  return tlv(TAG_KEY_INFO, Uint8Array.from(bytes));
}

/** GET DATA 00E0 answer: E0{C0...} (gp) or the bare C0 list. */
export function encodeKeyInformation(entries: readonly KeyInformation[], form: DataObjectForm): Uint8Array {
  const list = concatBytes(...entries.map(encodeEntry));
  return form === 'gp' ? tlv(TAG_KEY_INFO_TEMPLATE, list) : list;
}

export interface DecodedKeyInformation {
  readonly entries: KeyInformation[];
  /** The value of E0 (the C0 list), the input of the negotiation digest. */
  readonly value: Uint8Array;
  readonly form: DataObjectForm;
}

/** Accepts E0{C0...} and the bare C0 list. */
export function decodeKeyInformation(bytes: Uint8Array): DecodedKeyInformation {
  const { value, form } = unwrap(bytes, TAG_KEY_INFO_TEMPLATE);
  const entries = parseList(value, tagName(TAG_KEY_INFO_TEMPLATE)).map((t): KeyInformation => {
    const v = t.value;
    if (t.tag !== TAG_KEY_INFO) {
      throw new DataObjectError(`${tagName(TAG_KEY_INFO_TEMPLATE)}: unexpected tag ${tagName(t.tag)}`);
    }
    if (v.length < 2 || v.length % 2 !== 0) {
      throw new DataObjectError(
        `${tagName(TAG_KEY_INFO)}: ${v.length} bytes is not KID KVN (type length)...`,
      );
    }
    const components: KeyComponent[] = [];
    for (let i = 2; i < v.length; i += 2) components.push({ type: v[i], length: v[i + 1] });
    return { kid: v[0], kvn: v[1], components };
  });
  return { entries, value, form };
}
