// The JSON shapes of the HSS HTTP API (contracts.md), hex strings lowercase. Shared by the client and the
// server side of the API; nothing here imports a store or a driver. The values inside are model.ts's.
import type { AkaAlgorithm, TuakParams } from '../../aka/params/index.js';
import type { AuditEventName } from './model.js';

export type Hex = string;
/** The algorithm as the JSON names it: the same names as inside. */
export type AkaAlgorithmName = AkaAlgorithm;

export interface ResynchronizationInfoJson {
  rand: Hex;
  auts: Hex;
}

/** TS 29.503 AuthenticationInfoRequest (the subset used here). */
export interface AuthenticationInfoRequestJson {
  servingNetworkName: string;
  resynchronizationInfo?: ResynchronizationInfoJson;
}

/** TS 29.503 AuthenticationInfoResult with a 5G HE AV. */
export interface AuthenticationInfoResultJson {
  authType: '5G_AKA';
  supi: string;
  authenticationVector: { avType: '5G_HE_AKA'; rand: Hex; autn: Hex; xresStar: Hex; kausf: Hex };
}

export interface EpsAuthenticationInfoRequestJson {
  servingNetworkId: { mcc: string; mnc: string };
  resynchronizationInfo?: ResynchronizationInfoJson;
}

export interface EpsAuthenticationInfoResultJson {
  authType: 'EPS_AKA';
  supi: string;
  authenticationVector: { avType: 'EPS_AKA'; rand: Hex; autn: Hex; xres: Hex; kasme: Hex };
}

/** TS 29.503 AuthEvent, extended with the failure cause. */
export interface AuthEventJson {
  success: boolean;
  rand: Hex;
  authType: '5G_AKA' | 'EPS_AKA';
  servingNetworkName?: string;
  failure?: 'MAC_FAILURE';
}

/** TUAK parameters, lengths in bytes (DESIGN.md 4.5). */
export interface TuakParamsJson {
  keccakIterations?: number;
  macLength?: number;
  resLength?: number;
  ckLength?: number;
  ikLength?: number;
}

export interface NewSubscriberJson {
  imsi: string;
  iccid?: string;
  algorithm: AkaAlgorithmName;
  k: Hex;
  opc?: Hex;
  topc?: Hex;
  keyVersion?: number;
  amf?: Hex;
  tuak?: TuakParamsJson;
}

export interface SubscriberPatchJson {
  iccid?: string;
  amf?: Hex;
}

export interface CandidateJson {
  keyVersion: number;
  transactionId: Hex;
  algorithm: AkaAlgorithmName;
  k: Hex;
  opc?: Hex;
  topc?: Hex;
  tuak?: TuakParamsJson;
}

export interface TransactionJson {
  transactionId: Hex;
}

export interface SubscriberViewJson {
  imsi: string;
  iccid: string | null;
  algorithm: AkaAlgorithmName | null;
  activeVersion: number | null;
  activeTransactionId?: Hex;
  candidate?: { version: number; transactionId: Hex; stagedAt: string };
  /** The active keys' TUAK parameters, every one given (the HSS fills in the defaults). */
  tuak?: TuakParams;
  amf: Hex;
  /** SQN_HE (TS 33.102 Annex C), a 48-bit integer. */
  sqn: number;
  updatedAt: string;
}

export interface SubscriberListJson {
  subscribers: SubscriberViewJson[];
}

/** Issue 11: `POST /admin/v1/subscribers/lookup`, 1..SUBSCRIBER_LOOKUP_LIMIT IMSIs (answer: SubscriberListJson). */
export interface SubscriberLookupJson {
  imsis: string[];
}

export interface AuditEventJson {
  at: string;
  event: AuditEventName;
  keyVersion: number | null;
  transactionId?: Hex;
  actor: string;
}

export interface AuditJson {
  events: AuditEventJson[];
}

/** RFC 7807 / TS 29.571 ProblemDetails. */
export interface ProblemDetailsJson {
  type?: string;
  status: number;
  title: string;
  detail?: string;
  cause?: string;
  invalidParams?: { param: string; reason?: string }[];
}

export const NUDM_UEAU_PREFIX = '/nudm-ueau/v1';
export const ADMIN_PREFIX = '/admin/v1';
/** Issue 11: the most IMSIs one subscriber lookup may name. */
export const SUBSCRIBER_LOOKUP_LIMIT = 1000;
