// GPC Amd F 7.4.2 / DESIGN.md 4.2: GET DATA FF33, CA-KLOC identifiers as bare pairs 42 <CA key id> 83 <KID KVN>;
// the key id is SHA-1 of the CA's uncompressed public point.
import { concatBytes, tagName, tlv } from '../../bytes/index.js';
import { TAG_CA_KLOC_IDS, TAG_KEY_REFERENCE } from '../constants.js';
import { DataObjectError } from './errors.js';
import { parseList, unwrap } from './form.js';

export const TAG_CA_KEY_ID = 0x42;

export interface CaKlocIdentifier {
  readonly keyId: Uint8Array;
  readonly kid: number;
  readonly kvn: number;
}

/** The bare pairs (DESIGN.md 4.3: FF33 is always answered bare). */
export function encodeCaKlocIdentifiers(ids: readonly CaKlocIdentifier[]): Uint8Array {
  return concatBytes(
    ...ids.map((id) =>
      concatBytes(tlv(TAG_CA_KEY_ID, id.keyId), tlv(TAG_KEY_REFERENCE, Uint8Array.of(id.kid, id.kvn))),
    ),
  );
}

/** Accepts the bare pairs and an FF33-wrapped list. */
export function decodeCaKlocIdentifiers(bytes: Uint8Array): CaKlocIdentifier[] {
  const context = tagName(TAG_CA_KLOC_IDS);
  const list = parseList(unwrap(bytes, TAG_CA_KLOC_IDS).value, context);
  if (list.length % 2 !== 0)
    throw new DataObjectError(`${context}: odd number of TLVs, expected 42/83 pairs`);
  const out: CaKlocIdentifier[] = [];
  for (let i = 0; i < list.length; i += 2) {
    const [id, ref] = [list[i], list[i + 1]];
    if (id.tag !== TAG_CA_KEY_ID || ref.tag !== TAG_KEY_REFERENCE || ref.value.length !== 2) {
      throw new DataObjectError(`${context}: pair ${i / 2 + 1} is not 42 <key id> 83 <KID KVN>`);
    }
    out.push({ keyId: id.value.slice(), kid: ref.value[0], kvn: ref.value[1] });
  }
  return out;
}
