// DESIGN.md 4.4: the negotiation digest binds what the server read before the channel was open.
import { concatBytes } from '../../bytes/index.js';
import { sha256 } from '../../crypto/index.js';

/**
 * SHA-256(value of E0 || value of BF30): the values without their outer tag and length. A bare E0 answer
 * (a list of C0) is already the value of E0, so both forms give the same digest.
 */
export function negotiationDigest(
  keyInformationValue: Uint8Array,
  capabilitiesValue: Uint8Array,
): Uint8Array {
  return sha256(concatBytes(keyInformationValue, capabilitiesValue));
}
