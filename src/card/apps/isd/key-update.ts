// DESIGN.md 4.5, card side: a ProfileKeyUpdateRequest (BF70) or ProfileKeyStatusRequest (BF72) received by
// STORE DATA inside SCP11, decided by the checks in their fixed order; outcomes are BF71 values, never SWs.
import { equalBytes, wipe } from '../../../bytes/index.js';
import { constantTimeEqual } from '../../../crypto/index.js';
import type { AkaAlgorithm } from '../../../aka/index.js';
import {
  ALGORITHM_MILENAGE,
  ALGORITHM_TUAK,
  decodeKeyStatusRequest,
  decodeKeyUpdateRequest,
  encodeKeyStatus,
  encodeKeyUpdateResult,
  keyPolicyViolation,
  KeyUpdateFormatError,
  OUTCOME_APPLIED,
  OUTCOME_CHECK_VALUE_MISMATCH,
  OUTCOME_NEGOTIATION_MISMATCH,
  OUTCOME_REJECTED_BY_POLICY,
  OUTCOME_UNKNOWN_PROFILE,
  OUTCOME_UNSUPPORTED,
  OUTCOME_VERSION_NOT_NEWER,
  type KeyUpdateRequest,
} from '../../../gp/key-update/index.js';
import { SW_REFERENCED_DATA_NOT_FOUND, SW_WRONG_DATA, StatusWordError } from '../../../iso7816/index.js';
import type { CardImage, CardProfile, ProfileKeys } from '../../image.js';
import { checkValuesOf, profileByIccidBytes } from '../../profile.js';

export interface KeyUpdateEnvironment {
  readonly image: CardImage;
  /** The card's own SHA-256(E0 value || BF30 value). */
  readonly ownDigest: Uint8Array;
  /** S-DEK unwrap of the open session. */
  unwrapKey(wrapped: Uint8Array): Uint8Array;
}

export interface KeyUpdateDecision {
  /** The BF71 to answer. */
  readonly result: Uint8Array;
  readonly outcome: number;
  /** Present for outcome 00: the image to store (old-or-new) before the result leaves the card. */
  readonly next?: CardImage;
  /** True when `result` is a stored BF71 returned for a retried transaction id. */
  readonly retry?: boolean;
}

function algorithmName(id: number): AkaAlgorithm | undefined {
  return id === ALGORITHM_MILENAGE ? 'milenage' : id === ALGORITHM_TUAK ? 'tuak' : undefined;
}

function decode<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof KeyUpdateFormatError) throw new StatusWordError(SW_WRONG_DATA, e.message);
    throw e;
  }
}

// DESIGN.md 4.5 checks 1-9, in this order (the first that applies decides)
export function decideKeyUpdate(data: Uint8Array, env: KeyUpdateEnvironment): KeyUpdateDecision {
  // 1. well-formed, mandatory tags, lengths, parameter ranges -> 6A80
  const request = decode(() => decodeKeyUpdateRequest(data));
  const refuse = (outcome: number, profile?: CardProfile): KeyUpdateDecision => ({
    outcome,
    result: encodeKeyUpdateResult({
      transactionId: request.transactionId,
      iccid: request.iccid,
      outcome,
      ...(profile === undefined
        ? {}
        : { keyVersion: profile.keyVersion, checkValues: checkValuesOf(profile.keys) }),
    }),
  });

  // 2. no profile with this ICCID -> 01
  const index = profileByIccidBytes(env.image.profiles, request.iccid);
  if (index < 0) return refuse(OUTCOME_UNKNOWN_PROFILE);
  const profile = env.image.profiles[index];

  // 3. the last applied transaction again -> its stored BF71, verbatim
  const last = profile.lastUpdate;
  if (last !== undefined && equalBytes(last.transactionId, request.transactionId)) {
    return { outcome: OUTCOME_APPLIED, result: last.result, retry: true };
  }

  // 4. algorithm or parameters the card does not implement -> 04
  const algorithm = algorithmName(request.algorithm);
  if (algorithm === undefined || !env.image.settings.akaAlgorithms.includes(algorithm)) {
    return refuse(OUTCOME_UNSUPPORTED, profile);
  }

  // 5. negotiation digest differs from the card's own -> 06
  if (!constantTimeEqual(request.negotiationDigest, env.ownDigest))
    return refuse(OUTCOME_NEGOTIATION_MISMATCH, profile);

  // 6. no rollback -> 02
  if (request.keyVersion <= profile.keyVersion) return refuse(OUTCOME_VERSION_NOT_NEWER, profile);

  // 7. check values of the unwrapped keys -> 03
  const keys: ProfileKeys = {
    algorithm,
    k: env.unwrapKey(request.wrappedK),
    opc: env.unwrapKey(request.wrappedOpc),
    ...(request.parameters === undefined ? {} : { parameters: request.parameters }),
  };
  const checkValues = checkValuesOf(keys);
  if (!constantTimeEqual(checkValues, request.checkValues)) {
    wipe(keys.k, keys.opc);
    return refuse(OUTCOME_CHECK_VALUE_MISMATCH, profile);
  }

  // 8. policy -> 05
  if (keyPolicyViolation(keys.k, keys.opc, profile.keys.k) !== undefined) {
    wipe(keys.k, keys.opc);
    return refuse(OUTCOME_REJECTED_BY_POLICY, profile);
  }

  // 9. applied (the caller stores `next` atomically before answering)
  return applied(request, keys, checkValues, index, env.image);
}

function applied(
  request: KeyUpdateRequest,
  keys: ProfileKeys,
  checkValues: Uint8Array,
  index: number,
  image: CardImage,
): KeyUpdateDecision {
  const result = encodeKeyUpdateResult({
    transactionId: request.transactionId,
    iccid: request.iccid,
    outcome: OUTCOME_APPLIED,
    keyVersion: request.keyVersion,
    checkValues,
  });
  const profiles = [...image.profiles];
  // SQN handling is unchanged by a key update: the SQN array belongs to the USIM, not to K.
  profiles[index] = {
    ...image.profiles[index],
    keyVersion: request.keyVersion,
    keys,
    lastUpdate: { transactionId: request.transactionId, result },
  };
  return { outcome: OUTCOME_APPLIED, result, next: { ...image, profiles } };
}

/** BF72 -> BF73 (DESIGN.md 4.5); an unknown ICCID is 6A88. */
export function keyStatus(data: Uint8Array, image: CardImage): Uint8Array {
  const iccid = decode(() => decodeKeyStatusRequest(data));
  const index = profileByIccidBytes(image.profiles, iccid);
  if (index < 0) throw new StatusWordError(SW_REFERENCED_DATA_NOT_FOUND, 'BF72: no profile with this ICCID');
  const p = image.profiles[index];
  return encodeKeyStatus({
    iccid,
    keyVersion: p.keyVersion,
    checkValues: checkValuesOf(p.keys),
    ...(p.lastUpdate === undefined ? {} : { lastTransactionId: p.lastUpdate.transactionId }),
  });
}
