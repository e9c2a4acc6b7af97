// DESIGN.md 4.4 step 2: choosing the SCP11a key set, curve and AES session key length from what the card
// published (E0, BF30) under the server's policy, and the CA-KLOC key reference from FF33 (DESIGN.md 4.2).
import { equalBytes } from '../bytes/index.js';
import { curveByGpId, CryptoError, type Curve, type CurveName } from '../crypto/index.js';
import {
  AES_KEY_LENGTHS,
  KEY_TYPE_ECC_PRIVATE,
  KID_SCP11A,
  curveIdOf,
  iParameterOf,
  type AesKeyLength,
  type Capabilities,
  type CaKlocIdentifier,
  type KeyInformation,
} from '../gp/index.js';
import { SessionError } from './errors.js';

export interface ServerPolicy {
  /** Curves the server accepts, in its order of preference at equal field size (default NIST first). */
  readonly curves: readonly CurveName[];
  readonly aesKeyLengths: readonly AesKeyLength[];
}

export const DEFAULT_POLICY: ServerPolicy = {
  curves: ['P-256', 'P-384', 'P-521', 'brainpoolP256r1', 'brainpoolP384r1', 'brainpoolP512r1'],
  aesKeyLengths: [16, 24, 32],
};

export interface Suite {
  readonly kid: number;
  readonly kvn: number;
  readonly curve: Curve;
  readonly aesKeyLength: AesKeyLength;
}

function curveOf(info: KeyInformation): Curve | undefined {
  const id = curveIdOf(info);
  if (id === undefined) return undefined;
  try {
    return curveByGpId(id);
  } catch (e) {
    if (e instanceof CryptoError) return undefined;
    throw e;
  }
}

// DESIGN.md 4.4: larger field size first; at equal size the policy's order; then the longer AES key.
export function chooseSuite(
  keys: readonly KeyInformation[],
  capabilities: Capabilities,
  policy: ServerPolicy,
  /** Curves the server holds an OCE key pair on. */
  oceCurves: readonly CurveName[],
): Suite {
  if (!capabilities.scp11Variants.includes(iParameterOf('a'))) {
    throw new SessionError('negotiation', 'the card does not accept SCP11a for key update (BF30 84)');
  }
  const aes = AES_KEY_LENGTHS.filter(
    (n) =>
      policy.aesKeyLengths.includes(n) &&
      capabilities.aesKeyLengths.includes(n) &&
      n >= capabilities.minAesKeyLength,
  );
  if (aes.length === 0) {
    throw new SessionError(
      'negotiation',
      `no AES key length both allow (card BF30 81 ${capabilities.aesKeyLengths.join('/')}, minimum ${capabilities.minAesKeyLength}; server ${policy.aesKeyLengths.join('/')})`,
    );
  }
  const candidates = keys
    .filter((k) => k.kid === KID_SCP11A && k.components.some((c) => c.type === KEY_TYPE_ECC_PRIVATE))
    .map((k) => ({ info: k, curve: curveOf(k) }))
    .filter(
      (c): c is { info: KeyInformation; curve: Curve } =>
        c.curve !== undefined &&
        capabilities.curveIds.includes(c.curve.gpId) &&
        policy.curves.includes(c.curve.name) &&
        oceCurves.includes(c.curve.name),
    )
    .sort(
      (a, b) =>
        b.curve.fieldSize - a.curve.fieldSize ||
        policy.curves.indexOf(a.curve.name) - policy.curves.indexOf(b.curve.name) ||
        a.info.kvn - b.info.kvn,
    );
  const best = candidates[0];
  if (best === undefined) {
    throw new SessionError(
      'negotiation',
      'no SCP11a key set on a curve both allow (card E0 and BF30 80 against the server policy and its OCE keys)',
    );
  }
  return { kid: best.info.kid, kvn: best.info.kvn, curve: best.curve, aesKeyLength: aes[aes.length - 1] };
}

// DESIGN.md 4.2: the card's CA-KLOC key whose id is the issuer key id of the first certificate of the chain.
export function caKlocReference(
  ids: readonly CaKlocIdentifier[],
  issuerKeyId: Uint8Array | undefined,
): { kid: number; kvn: number } {
  const found = issuerKeyId === undefined ? undefined : ids.find((i) => equalBytes(i.keyId, issuerKeyId));
  if (found === undefined) {
    throw new SessionError(
      'negotiation',
      'the card trusts no CA-KLOC that issued the OCE certificate chain (FF33 has no matching key id)',
    );
  }
  return { kid: found.kid, kvn: found.kvn };
}
