// DESIGN.md 4.5 check 8: the card's key policy. The card applies it to unwrapped keys (outcome 05); the server
// applies the same function to operator-imported keys, so a job the card would refuse is never created.
import { constantTimeEqual } from '../../crypto/index.js';

/** Which rule of check 8 a key set breaks. */
export type KeyPolicyViolation = 'one-byte-value' | 'k-equals-opc' | 'k-unchanged';

function oneByteValue(key: Uint8Array): boolean {
  return key.every((b) => b === key[0]);
}

/**
 * DESIGN.md 4.5 check 8: K or OPc (TOPc) all one byte value, K equal to OPc, new K equal to the current K
 * (`currentK` when the caller holds it). Undefined when the keys pass.
 */
export function keyPolicyViolation(
  k: Uint8Array,
  opc: Uint8Array,
  currentK?: Uint8Array,
): KeyPolicyViolation | undefined {
  if (oneByteValue(k) || oneByteValue(opc)) return 'one-byte-value';
  if (constantTimeEqual(k, opc)) return 'k-equals-opc';
  if (currentK !== undefined && constantTimeEqual(k, currentK)) return 'k-unchanged';
  return undefined;
}
