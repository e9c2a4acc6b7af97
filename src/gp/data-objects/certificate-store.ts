// GPC Amd F 7.4.1 / DESIGN.md 4.2: GET DATA BF21 with A6{83 KID KVN} answers the certificate chain, leaf last,
// as BF21{certificates} (gp) or the bare concatenation (a YubiKey's answer).
import { concatBytes, decodeTlv, tagName, tlv, TlvError } from '../../bytes/index.js';
import { TAG_CERT_STORE, TAG_CONTROL_REFERENCE, TAG_KEY_REFERENCE } from '../constants.js';
import { DataObjectError } from './errors.js';
import { parseList, unwrap, type DataObjectForm } from './form.js';

const TAG_GP_CERTIFICATE = 0x7f21;
const TAG_DER_SEQUENCE = 0x30;

export function encodeCertificateStore(chain: readonly Uint8Array[], form: DataObjectForm): Uint8Array {
  const list = concatBytes(...chain);
  return form === 'gp' ? tlv(TAG_CERT_STORE, list) : list;
}

/** The certificates (each a whole 7F21 or X.509 SEQUENCE TLV), from either form. */
export function decodeCertificateStore(bytes: Uint8Array): Uint8Array[] {
  const context = tagName(TAG_CERT_STORE);
  return parseList(unwrap(bytes, TAG_CERT_STORE).value, context).map((t) => {
    if (t.tag !== TAG_GP_CERTIFICATE && t.tag !== TAG_DER_SEQUENCE) {
      throw new DataObjectError(`${context}: tag ${tagName(t.tag)} is neither a GP nor an X.509 certificate`);
    }
    return t.raw.slice();
  });
}

export interface KeyReference {
  readonly kid: number;
  readonly kvn: number;
}

/** The command data of GET DATA BF21: A6{83 <KID KVN>}. */
export function encodeKeyReferenceQuery(ref: KeyReference): Uint8Array {
  return tlv(TAG_CONTROL_REFERENCE, tlv(TAG_KEY_REFERENCE, Uint8Array.of(ref.kid, ref.kvn)));
}

export function decodeKeyReferenceQuery(bytes: Uint8Array): KeyReference {
  const context = tagName(TAG_CONTROL_REFERENCE);
  let a6;
  try {
    a6 = decodeTlv(bytes);
  } catch (e) {
    if (e instanceof TlvError) throw new DataObjectError(`${context}: ${e.message}`);
    throw e;
  }
  if (a6.tag !== TAG_CONTROL_REFERENCE) throw new DataObjectError(`expected tag A6, got ${tagName(a6.tag)}`);
  const inner = parseList(a6.value, context);
  if (inner.length !== 1 || inner[0].tag !== TAG_KEY_REFERENCE || inner[0].value.length !== 2) {
    throw new DataObjectError(`${context}: expected exactly 83 <KID KVN>`);
  }
  return { kid: inner[0].value[0], kvn: inner[0].value[1] };
}
