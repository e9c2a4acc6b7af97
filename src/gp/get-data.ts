// GPC 2.3 11.3 / Amd F 7.4: GET DATA commands of the SCP11 data objects the OCE reads before the handshake.
import { CLA_ISO, SHORT_MAX_NE, type CommandApdu } from '../iso7816/index.js';
import { INS_GET_DATA, TAG_CERT_STORE } from './constants.js';
import { encodeKeyReferenceQuery } from './data-objects/certificate-store.js';

/** GET DATA of a one- or two-byte tag (P1 P2 = the tag), Le = 00. */
export function getDataCommand(tag: number, data: Uint8Array = new Uint8Array(0)): CommandApdu {
  return { cla: CLA_ISO, ins: INS_GET_DATA, p1: (tag >> 8) & 0xff, p2: tag & 0xff, data, ne: SHORT_MAX_NE };
}

// GPC Amd F 7.4.3: GET DATA BF21 A6{83 <KID KVN>} returns the certificate chain of that key set, leaf last.
export function certificateStoreQuery(kid: number, kvn: number): CommandApdu {
  return getDataCommand(TAG_CERT_STORE, encodeKeyReferenceQuery({ kid, kvn }));
}
