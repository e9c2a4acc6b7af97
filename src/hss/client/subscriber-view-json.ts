// The JSON shape of a SubscriberView (contracts: hex on the wire, bytes inside), both directions in one place:
// the HSS encodes it, its client decodes it.
import { BytesError, fromHex, toHex } from '../../bytes/index.js';
import { HssClientError } from './errors.js';
import { TRANSACTION_ID_LENGTH, type SubscriberView } from './model.js';
import type { SubscriberViewJson } from './wire.js';

/** Hex from an HSS answer; anything else is the HSS's fault (INVALID_RESPONSE), named by field. */
export function bytes(value: unknown, field: string, ...lengths: number[]): Uint8Array {
  try {
    return fromHex(String(value), field, ...lengths);
  } catch (e) {
    if (e instanceof BytesError)
      throw new HssClientError(
        200,
        'INVALID_RESPONSE',
        `HSS answer: ${field} is not hex of the expected length`,
      );
    throw e;
  }
}

export function subscriberViewJson(v: SubscriberView): SubscriberViewJson {
  return {
    imsi: v.imsi,
    iccid: v.iccid,
    algorithm: v.algorithm,
    activeVersion: v.activeVersion,
    ...(v.activeTransactionId === undefined ? {} : { activeTransactionId: toHex(v.activeTransactionId) }),
    ...(v.candidate === undefined
      ? {}
      : {
          candidate: {
            version: v.candidate.version,
            transactionId: toHex(v.candidate.transactionId),
            stagedAt: v.candidate.stagedAt.toISOString(),
          },
        }),
    ...(v.tuak === undefined ? {} : { tuak: v.tuak }),
    amf: toHex(v.amf),
    sqn: Number(v.sqn),
    updatedAt: v.updatedAt.toISOString(),
  };
}

export function subscriberViewFromJson(v: SubscriberViewJson): SubscriberView {
  return {
    imsi: v.imsi,
    iccid: v.iccid,
    algorithm: v.algorithm,
    activeVersion: v.activeVersion,
    ...(v.activeTransactionId === undefined
      ? {}
      : {
          activeTransactionId: bytes(v.activeTransactionId, 'activeTransactionId', TRANSACTION_ID_LENGTH),
        }),
    ...(v.candidate === undefined
      ? {}
      : {
          candidate: {
            version: v.candidate.version,
            transactionId: bytes(v.candidate.transactionId, 'candidate.transactionId', TRANSACTION_ID_LENGTH),
            stagedAt: new Date(v.candidate.stagedAt),
          },
        }),
    ...(v.tuak === undefined ? {} : { tuak: v.tuak }),
    amf: bytes(v.amf, 'amf'),
    sqn: BigInt(v.sqn),
    updatedAt: new Date(v.updatedAt),
  };
}
