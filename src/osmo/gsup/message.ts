// A GSUP message (libosmocore gsup.c osmo_gsup_encode / osmo_gsup_decode): message type (1 byte), the IMSI IE
// first (TS 24.008 10.5.1.4 BCD digits, swapped nibbles, F filler), then the message's other IEs in order.
import { decodeSwappedBcd, encodeSwappedBcd } from '../../bytes/index.js';
import { OsmoError } from '../errors.js';
import { GSUP_IEI, GSUP_IMSI_MAX_LENGTH, gsupMessageTypeName } from './constants.js';
import { decodeIes, encodeIes, hexTag, type GsupIe } from './ie.js';

export interface GsupMessage {
  readonly messageType: number;
  readonly imsi: string;
  /** The IEs after the IMSI, in order. */
  readonly ies: readonly GsupIe[];
}

/** TS 23.003 2.2: an IMSI is at most 15 digits; osmo-hlr (osmo_imsi_str_valid) wants at least 6. */
export function checkImsi(imsi: string): void {
  if (!/^[0-9]{6,15}$/.test(imsi)) {
    throw new OsmoError('gsup', `IMSI ${JSON.stringify(imsi.slice(0, 20))} is not 6 to 15 decimal digits`);
  }
}

export function encodeGsupMessage(message: GsupMessage): Uint8Array {
  const name = gsupMessageTypeName(message.messageType);
  if (name === undefined)
    throw new OsmoError('gsup', `unknown GSUP message type ${hexTag(message.messageType)}`);
  checkImsi(message.imsi);
  const ies = encodeIes([
    { tag: GSUP_IEI.IMSI, value: encodeSwappedBcd(message.imsi, 'IMSI') },
    ...message.ies,
  ]);
  const out = new Uint8Array(1 + ies.length);
  out[0] = message.messageType;
  out.set(ies, 1);
  return out;
}

export function decodeGsupMessage(bytes: Uint8Array): GsupMessage {
  if (bytes.length < 1) throw new OsmoError('gsup', 'empty GSUP message');
  const messageType = bytes[0];
  if (gsupMessageTypeName(messageType) === undefined) {
    throw new OsmoError('gsup', `unknown GSUP message type ${hexTag(messageType)}`);
  }
  const [first, ...ies] = decodeIes(bytes.subarray(1), 'GSUP message');
  if (first === undefined || first.tag !== GSUP_IEI.IMSI) {
    throw new OsmoError('gsup', `GSUP message ${hexTag(messageType)} does not start with the IMSI IE`);
  }
  if (first.value.length < 1 || first.value.length > GSUP_IMSI_MAX_LENGTH) {
    throw new OsmoError('gsup', `GSUP IMSI IE of ${first.value.length} bytes (1 to ${GSUP_IMSI_MAX_LENGTH})`);
  }
  let imsi: string;
  try {
    imsi = decodeSwappedBcd(first.value, 'IMSI');
  } catch (e) {
    throw new OsmoError('gsup', `GSUP IMSI IE: ${(e as Error).message}`);
  }
  return { messageType, imsi, ies };
}
