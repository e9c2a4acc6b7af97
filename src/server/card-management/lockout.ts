// Issue 13: an order the server would lock itself out of cards with is refused before any job exists. The card
// refuses at PERFORM SECURITY OPERATION an OCE chain with a serial on its deny list, and (GPC Amd F 7.5) one not
// on an allowlist: the leaf for a key set's list (KID 11/15), every chain certificate for a CA-KLOC's (KID 10).
import { canonicalSerial } from '../../gp/index.js';
import { fromHex, toHex } from '../../bytes/index.js';
import type { CardJobPayload } from './job.js';

/** One of the server's OCE credentials: the serials of its chain, root side first, leaf last, hex. */
export type OceChainSerials = readonly string[];

function canonical(hex: string): string {
  return toHex(canonicalSerial(fromHex(hex, 'serial')));
}

/**
 * Why `payload` would leave the server no usable OCE credential, or undefined (also when none are known).
 * `caKlocKeyIds`: the key ids (hex) of the CA-KLOCs the server's OCE chains are issued under; a rotation deletes
 * every other CA-KLOC key from the card, so its new key must be one of them.
 */
export function lockoutOf(
  payload: CardJobPayload,
  chains: readonly OceChainSerials[] | undefined,
  caKlocKeyIds?: readonly string[],
): string | undefined {
  if (payload.kind === 'ca-kloc-rotation') {
    if (caKlocKeyIds === undefined || caKlocKeyIds.length === 0) return undefined;
    return caKlocKeyIds.includes(payload.keyId)
      ? undefined
      : `the new CA-KLOC key (key id ${payload.keyId}) certifies no OCE credential this server holds: after the rotation deletes the others it could no longer open a session with the cards (install that generation's OCE first)`;
  }
  if (chains === undefined || chains.length === 0) return undefined;
  const canonicalChains = chains.map((c) => c.map(canonical));
  if (payload.kind === 'deny-list') {
    const usable = canonicalChains.some((c) => !c.some((s) => payload.serials.includes(s)));
    return usable
      ? undefined
      : 'the deny list would revoke a certificate of every OCE credential this server holds: it could no longer open a session with the cards (issue a new OCE certificate first)';
  }
  if (payload.kind === 'oce-allowlist' && payload.serials.length > 0) {
    const listed = (c: readonly string[]) =>
      payload.kid === 0x10
        ? c.every((s) => payload.serials.includes(s))
        : payload.serials.includes(c[c.length - 1]);
    return canonicalChains.some(listed)
      ? undefined
      : 'the allowlist names no OCE certificate (chain) this server holds: it could no longer open a session with the cards';
  }
  return undefined;
}
