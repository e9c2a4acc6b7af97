// The Provisioning Server's session settings for a test PKI (tests/card/support/fixture.ts makePki): its OCE
// credential, its card issuer CA (CA-KLCC) as the trust anchor, the default policy; clock and randomness given.
import type { RandomSource } from '../../src/crypto/index.js';
import type { Clock } from '../../src/ports/index.js';
import { trustAnchor } from '../../src/pki/index.js';
import { DEFAULT_POLICY, type SessionConfig } from '../../src/server/index.js';
import type { Pki } from '../card/support/fixture.js';

export function serverSession(pki: Pki, clock: Clock, rng: RandomSource): SessionConfig {
  return {
    oce: [{ keyPair: pki.oce, certificates: [pki.oceCertificate] }],
    cardIssuers: [trustAnchor(pki.klcc.curve, pki.klcc.publicKey)],
    policy: DEFAULT_POLICY,
    clock,
    rng,
  };
}
