// GPC 2.3 11.2.2.3 DELETE of a key (yubikit securitydomain.py delete_key): data D0 <KID> D2 <KVN>.
import { decodeTlvs, tlv, TlvError } from '../../bytes/index.js';
import { TAG_DELETE_KEY_ID, TAG_DELETE_KEY_VERSION } from '../constants.js';
import type { KeyReference } from '../data-objects/index.js';
import { KeyManagementFormatError } from './errors.js';

export function encodeDeleteKey(ref: KeyReference): Uint8Array {
  for (const v of [ref.kid, ref.kvn]) {
    if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new RangeError('DELETE: KID and KVN must be bytes');
  }
  return Uint8Array.of(
    ...tlv(TAG_DELETE_KEY_ID, Uint8Array.of(ref.kid)),
    ...tlv(TAG_DELETE_KEY_VERSION, Uint8Array.of(ref.kvn)),
  );
}

// GPC 2.3 11.2.2.3: this card needs both D0 and D2 (one key version at a time)
export function decodeDeleteKey(data: Uint8Array): KeyReference {
  let fields;
  try {
    fields = decodeTlvs(data);
  } catch (e) {
    if (e instanceof TlvError) throw new KeyManagementFormatError(`DELETE: ${e.message}`);
    throw e;
  }
  const kid = fields.find((f) => f.tag === TAG_DELETE_KEY_ID);
  const kvn = fields.find((f) => f.tag === TAG_DELETE_KEY_VERSION);
  if (fields.length !== 2 || kid?.value.length !== 1 || kvn?.value.length !== 1)
    throw new KeyManagementFormatError('DELETE: expected D0 <KID> D2 <KVN>, one byte each');
  return { kid: kid.value[0], kvn: kvn.value[0] };
}
