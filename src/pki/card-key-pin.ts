// Issue 13: card key pinning. The personalisation file records each card's pins; the server refuses a card
// whose CERT.SD.ECKA carries another key, even when a (compromised) CA-KLCC signed it.
// The choice, in one place: a pin is SHA-256 of PK.SD.ECKA (the uncompressed point 04||X||Y) per key set, not
// of the certificate, because the key is what the session's secrets are agreed with, and a certificate
// re-issued for the same key (renewal, CA-KLCC rotation, gp or x509 form) must keep the pin.
import { equalBytes } from '../bytes/index.js';
import { sha256 } from '../crypto/index.js';

/** SHA-256 output length. */
export const CARD_KEY_PIN_LENGTH = 32;

/** The pin of one SCP11 key set of a card (KID, KVN as in GET DATA 00E0). */
export interface CardKeyPin {
  readonly kid: number;
  readonly kvn: number;
  /** SHA-256 of PK.SD.ECKA, uncompressed. */
  readonly sha256: Uint8Array;
}

export function cardKeyPin(kid: number, kvn: number, pkSdEcka: Uint8Array): CardKeyPin {
  return { kid, kvn, sha256: sha256(pkSdEcka) };
}

export function sameCardKeyPin(a: CardKeyPin, b: CardKeyPin): boolean {
  return a.kid === b.kid && a.kvn === b.kvn && equalBytes(a.sha256, b.sha256);
}
