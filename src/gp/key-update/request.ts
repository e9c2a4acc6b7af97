// DESIGN.md 4.5 BF70 ProfileKeyUpdateRequest: encode (server) and the strict parse of check 1 (card).
import { akaKeyLengths } from '../../aka/params/index.js';
import { tagName, tlv } from '../../bytes/index.js';
import {
  ALGORITHM_MILENAGE,
  ALGORITHM_TUAK,
  CHECK_VALUES_LENGTH,
  ICCID_LENGTH,
  NEGOTIATION_DIGEST_LENGTH,
  TAG_ALGORITHM,
  TAG_ALGORITHM_PARAMETERS,
  TAG_CHECK_VALUES,
  TAG_ICCID,
  TAG_KEY_UPDATE_REQUEST,
  TAG_KEY_VERSION,
  TAG_NEGOTIATION_DIGEST,
  TAG_TRANSACTION_ID,
  TAG_WRAPPED_K,
  TAG_WRAPPED_OPC,
  TRANSACTION_ID_LENGTH,
} from './constants.js';
import {
  decodeAlgorithmParameters,
  encodeAlgorithmParameters,
  type AlgorithmParameters,
} from './parameters.js';
import { optional, readTemplate, required } from './template.js';

export interface KeyUpdateRequest {
  readonly transactionId: Uint8Array;
  /** 10 bytes, swapped-nibble BCD exactly as in EF.ICCID. */
  readonly iccid: Uint8Array;
  /** ALGORITHM_MILENAGE, ALGORITHM_TUAK, or another value a card answers with outcome 04. */
  readonly algorithm: number;
  readonly keyVersion: number;
  /** K wrapped with S-DEK. */
  readonly wrappedK: Uint8Array;
  /** OPc (Milenage) or TOPc (TUAK) wrapped with S-DEK. */
  readonly wrappedOpc: Uint8Array;
  /** KCV(K) || KCV(OPc). */
  readonly checkValues: Uint8Array;
  readonly negotiationDigest: Uint8Array;
  readonly parameters?: AlgorithmParameters;
}

const CONTEXT = tagName(TAG_KEY_UPDATE_REQUEST);
const FIELDS = [
  TAG_TRANSACTION_ID,
  TAG_ICCID,
  TAG_ALGORITHM,
  TAG_KEY_VERSION,
  TAG_WRAPPED_K,
  TAG_WRAPPED_OPC,
  TAG_CHECK_VALUES,
  TAG_NEGOTIATION_DIGEST,
  TAG_ALGORITHM_PARAMETERS,
];
/** Lengths a wrapped key may have when the algorithm is not one this codec knows (S-DEK wraps 16 or 32). */
const GENERIC_KEY_LENGTHS = [16, 32];

function keyLengths(algorithm: number): { k: readonly number[]; opc: readonly number[] } {
  if (algorithm === ALGORITHM_MILENAGE) return akaKeyLengths('milenage');
  if (algorithm === ALGORITHM_TUAK) return akaKeyLengths('tuak');
  return { k: GENERIC_KEY_LENGTHS, opc: GENERIC_KEY_LENGTHS };
}

export function encodeKeyUpdateRequest(r: KeyUpdateRequest): Uint8Array {
  return tlv(
    TAG_KEY_UPDATE_REQUEST,
    tlv(TAG_TRANSACTION_ID, r.transactionId),
    tlv(TAG_ICCID, r.iccid),
    tlv(TAG_ALGORITHM, Uint8Array.of(r.algorithm)),
    tlv(TAG_KEY_VERSION, Uint8Array.of(r.keyVersion)),
    tlv(TAG_WRAPPED_K, r.wrappedK),
    tlv(TAG_WRAPPED_OPC, r.wrappedOpc),
    tlv(TAG_CHECK_VALUES, r.checkValues),
    tlv(TAG_NEGOTIATION_DIGEST, r.negotiationDigest),
    r.parameters === undefined ? undefined : encodeAlgorithmParameters(r.parameters),
  );
}

/** DESIGN.md 4.5 check 1: well-formed, mandatory tags present, lengths the algorithm allows, parameters in range. */
export function decodeKeyUpdateRequest(bytes: Uint8Array): KeyUpdateRequest {
  const f = readTemplate(bytes, TAG_KEY_UPDATE_REQUEST, FIELDS);
  const algorithm = required(f, TAG_ALGORITHM, CONTEXT, 1)[0];
  const lengths = keyLengths(algorithm);
  const parameters = optional(f, TAG_ALGORITHM_PARAMETERS, CONTEXT);
  const request: KeyUpdateRequest = {
    transactionId: required(f, TAG_TRANSACTION_ID, CONTEXT, TRANSACTION_ID_LENGTH).slice(),
    iccid: required(f, TAG_ICCID, CONTEXT, ICCID_LENGTH).slice(),
    algorithm,
    keyVersion: required(f, TAG_KEY_VERSION, CONTEXT, 1)[0],
    wrappedK: required(f, TAG_WRAPPED_K, CONTEXT, ...lengths.k).slice(),
    wrappedOpc: required(f, TAG_WRAPPED_OPC, CONTEXT, ...lengths.opc).slice(),
    checkValues: required(f, TAG_CHECK_VALUES, CONTEXT, CHECK_VALUES_LENGTH).slice(),
    negotiationDigest: required(f, TAG_NEGOTIATION_DIGEST, CONTEXT, NEGOTIATION_DIGEST_LENGTH).slice(),
    ...(parameters === undefined ? {} : { parameters: decodeAlgorithmParameters(algorithm, parameters) }),
  };
  return request;
}
