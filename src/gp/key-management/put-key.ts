// GPC 2.3 11.8 PUT KEY of one ECC public key, in the form of yubikit's securitydomain.py put_key:
// data = KVN || B0 <uncompressed point> || F0 <curve parameters reference> || 00 (no key check value);
// P1 = the KVN replaced (00 adds), P2 = KID; the response is the new KVN (no KCV for a public key).
import { decodeTlvs, tlv, TlvError } from '../../bytes/index.js';
import { KCV_LENGTH_NONE, KEY_TYPE_EC_PARAMETERS, KEY_TYPE_EC_PUBLIC } from '../constants.js';
import { KeyManagementFormatError } from './errors.js';

export interface EcPublicKeyField {
  readonly kvn: number;
  /** GP curve identifier (GPC Amd F / Table 11-16 F0 value, e.g. 00 = P-256). */
  readonly curveId: number;
  /** Uncompressed point 04 || X || Y. */
  readonly publicKey: Uint8Array;
}

// GPC 2.3 11.8.2.3: the new KVN, then the key data fields
export function encodePutKeyEcPublic(key: EcPublicKeyField): Uint8Array {
  checkByte(key.kvn, 'KVN');
  checkByte(key.curveId, 'curve');
  const fields = [
    tlv(KEY_TYPE_EC_PUBLIC, key.publicKey),
    tlv(KEY_TYPE_EC_PARAMETERS, Uint8Array.of(key.curveId)),
  ];
  const out = new Uint8Array(1 + fields[0].length + fields[1].length + 1);
  out[0] = key.kvn;
  out.set(fields[0], 1);
  out.set(fields[1], 1 + fields[0].length);
  out[out.length - 1] = KCV_LENGTH_NONE;
  return out;
}

// GPC 2.3 11.8.2.3, read back (card side); the point itself is checked against the curve by the caller
export function decodePutKeyEcPublic(data: Uint8Array): EcPublicKeyField {
  if (data.length < 1 + 2 + 3 + 1) throw new KeyManagementFormatError('PUT KEY: data field too short');
  if (data[data.length - 1] !== KCV_LENGTH_NONE)
    throw new KeyManagementFormatError('PUT KEY: a public key carries no key check value');
  let fields;
  try {
    fields = decodeTlvs(data.subarray(1, data.length - 1));
  } catch (e) {
    if (e instanceof TlvError) throw new KeyManagementFormatError(`PUT KEY: ${e.message}`);
    throw e;
  }
  const [point, params] = fields;
  if (fields.length !== 2 || point.tag !== KEY_TYPE_EC_PUBLIC || params.tag !== KEY_TYPE_EC_PARAMETERS)
    throw new KeyManagementFormatError('PUT KEY: expected key types B0 then F0');
  if (params.value.length !== 1) throw new KeyManagementFormatError('PUT KEY: F0 must be one byte');
  return { kvn: data[0], curveId: params.value[0], publicKey: Uint8Array.from(point.value) };
}

function checkByte(v: number, label: string): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new RangeError(`PUT KEY: ${label} must be a byte`);
}
