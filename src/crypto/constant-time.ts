// Constant-time comparison for MACs, receipts and check values.
import { timingSafeEqual } from 'node:crypto';

/** False for different lengths (the length itself is not secret); never throws on Uint8Array input. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array) || a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}
