// SendAuthInfo (osmo-hlr user manual, GSUP "Send Authentication Info"; libosmocore gsup.h message types
// 0x08/0x09/0x0a): the request with optional number of vectors and resync (AUTS + RAND), the result's auth
// tuples, the error's cause.
import { OsmoError } from '../errors.js';
import {
  GSUP_AUTS_LENGTH,
  GSUP_IEI,
  GSUP_MAX_NUM_AUTH_INFO,
  GSUP_MESSAGE_CLASS_SUBSCRIBER_MANAGEMENT,
  GSUP_MESSAGE_TYPE,
  GSUP_RAND_LENGTH,
  gmmCauseName,
} from './constants.js';
import { decodeAuthTuple, encodeAuthTuple, type UmtsAuthTuple } from './auth-tuple.js';
import { hexTag, type GsupIe } from './ie.js';
import type { GsupMessage } from './message.js';

export interface SendAuthInfoRequest {
  readonly imsi: string;
  /** 1..5 (gsup.h OSMO_GSUP_MAX_NUM_AUTH_INFO); absent: the HLR's default (osmo-hlr: 5). */
  readonly numVectors?: number;
  /** TS 33.102 6.3.5: the RAND of the vector the USIM rejected and its AUTS. */
  readonly resync?: { readonly rand: Uint8Array; readonly auts: Uint8Array };
}

/** IEs in gsup.c osmo_gsup_encode order: IMSI, number of vectors, AUTS, RAND, message class. */
export function sendAuthInfoRequest(r: SendAuthInfoRequest): GsupMessage {
  const ies: GsupIe[] = [];
  if (r.numVectors !== undefined) {
    if (!Number.isInteger(r.numVectors) || r.numVectors < 1 || r.numVectors > GSUP_MAX_NUM_AUTH_INFO) {
      throw new OsmoError(
        'gsup',
        `SendAuthInfo: number of vectors ${r.numVectors} is not 1..${GSUP_MAX_NUM_AUTH_INFO}`,
      );
    }
    ies.push({ tag: GSUP_IEI.NUM_VECTORS_REQ, value: Uint8Array.of(r.numVectors) });
  }
  if (r.resync) {
    if (r.resync.auts.length !== GSUP_AUTS_LENGTH) {
      throw new OsmoError(
        'gsup',
        `SendAuthInfo resync: AUTS of ${r.resync.auts.length} bytes, expected ${GSUP_AUTS_LENGTH}`,
      );
    }
    if (r.resync.rand.length !== GSUP_RAND_LENGTH) {
      throw new OsmoError(
        'gsup',
        `SendAuthInfo resync: RAND of ${r.resync.rand.length} bytes, expected ${GSUP_RAND_LENGTH}`,
      );
    }
    ies.push({ tag: GSUP_IEI.AUTS, value: r.resync.auts }, { tag: GSUP_IEI.RAND, value: r.resync.rand });
  }
  ies.push({ tag: GSUP_IEI.MESSAGE_CLASS, value: Uint8Array.of(GSUP_MESSAGE_CLASS_SUBSCRIBER_MANAGEMENT) });
  return { messageType: GSUP_MESSAGE_TYPE.SEND_AUTH_INFO_REQUEST, imsi: r.imsi, ies };
}

export type SendAuthInfoResponse =
  | { readonly kind: 'result'; readonly imsi: string; readonly tuples: readonly UmtsAuthTuple[] }
  | { readonly kind: 'error'; readonly imsi: string; readonly cause: number | undefined };

/** The HLR's answer: a result carries auth tuple IEs, an error a cause IE (1 byte). */
export function parseSendAuthInfoResponse(m: GsupMessage): SendAuthInfoResponse {
  if (m.messageType === GSUP_MESSAGE_TYPE.SEND_AUTH_INFO_RESULT) {
    const tuples = m.ies
      .filter((ie) => ie.tag === GSUP_IEI.AUTH_TUPLE)
      .map((ie) => decodeAuthTuple(ie.value));
    if (tuples.length > GSUP_MAX_NUM_AUTH_INFO) {
      throw new OsmoError(
        'gsup',
        `SendAuthInfo result for IMSI ${m.imsi} with ${tuples.length} tuples (at most ${GSUP_MAX_NUM_AUTH_INFO})`,
      );
    }
    return { kind: 'result', imsi: m.imsi, tuples };
  }
  if (m.messageType === GSUP_MESSAGE_TYPE.SEND_AUTH_INFO_ERROR) {
    const ie = m.ies.find((i) => i.tag === GSUP_IEI.CAUSE);
    if (ie && ie.value.length !== 1) {
      throw new OsmoError(
        'gsup',
        `SendAuthInfo error for IMSI ${m.imsi}: cause IE of ${ie.value.length} bytes, expected 1`,
      );
    }
    return { kind: 'error', imsi: m.imsi, cause: ie?.value[0] };
  }
  throw new OsmoError('gsup', `GSUP message ${hexTag(m.messageType)} is not a SendAuthInfo answer`);
}

/** A SendAuthInfo result message (the HLR side; tests and fakes build answers with it). */
export function sendAuthInfoResult(imsi: string, tuples: readonly UmtsAuthTuple[]): GsupMessage {
  return {
    messageType: GSUP_MESSAGE_TYPE.SEND_AUTH_INFO_RESULT,
    imsi,
    ies: tuples.map((t) => ({ tag: GSUP_IEI.AUTH_TUPLE, value: encodeAuthTuple(t) })),
  };
}

/** A SendAuthInfo error message with its cause (TS 24.008 10.5.5.14). */
export function sendAuthInfoError(imsi: string, cause: number): GsupMessage {
  return {
    messageType: GSUP_MESSAGE_TYPE.SEND_AUTH_INFO_ERROR,
    imsi,
    ies: [{ tag: GSUP_IEI.CAUSE, value: Uint8Array.of(cause) }],
  };
}

/** The error an SendAuthInfo error answer becomes: names the IMSI and the cause. */
export function sendAuthInfoFailure(imsi: string, cause: number | undefined): OsmoError {
  const what = cause === undefined ? 'no cause given' : `cause ${gmmCauseName(cause)}`;
  return new OsmoError('gsup', `SendAuthInfo for IMSI ${imsi} refused by the HLR: ${what}`, cause);
}
