// GPC Amd F 7.1.1, 7.5, 7.6: what the off-card entity needs to open an SCP11 session, checked before anything
// goes to the card (a bad parameter must not look like the card's failure).
import { equalBytes } from '../../bytes/index.js';
import { CertificateError, decodeCertificate, type Certificate } from '../../pki/index.js';
import { CryptoError, decodePoint, type Curve, type EcKeyPair } from '../../crypto/index.js';
import { SecureChannelError } from '../errors.js';
import { isAesKeyLength, type AesKeyLength, type MacLength, type Scp11Variant } from './params.js';
import type { EmptyCommandForm } from './secure-messaging.js';
import type { StaticSecretCache } from './static-secret-cache.js';

/** Everything the handshake's commands depend on: PK.SD.ECKA is only needed once the card has answered. */
export interface Scp11HandshakeParams {
  readonly variant: Scp11Variant;
  /** KVN of the card's SCP11 key set (MUTUAL / INTERNAL AUTHENTICATE P1). */
  readonly kvn: number;
  /** KID of the card's key set; default 11 / 13 / 15 by variant. */
  readonly kid?: number;
  readonly curve: Curve;
  readonly aesKeyLength: AesKeyLength;
  /** 8 (default) or 16 bytes of C-MAC and R-MAC. */
  readonly macLength?: MacLength;
  /** SK.OCE.ECKA (SCP11a, SCP11c). */
  readonly skOceEcka?: EcKeyPair;
  /** CERT.OCE.ECKA and its issuers, root side first, leaf last (SCP11a, SCP11c). */
  readonly oceCertificates?: readonly Uint8Array[];
  /** `oceCertificates` already decoded (once per credential), so the check does not decode the leaf again. */
  readonly oceChain?: readonly Certificate[];
  /** The card's CA-KLOC key that verifies the first certificate: PSO P1 = KVN, P2 = KID. Default KID 10, KVN = `kvn`. */
  readonly caKlocReference?: { readonly kid: number; readonly kvn: number };
  /** How commands without data travel; default GP's form (no data field, counter still advances). */
  readonly emptyCommand?: EmptyCommandForm;
  /** Where ShSs (SCP11a, SCP11c) is remembered across sessions; without it each handshake computes it. */
  readonly staticSecrets?: StaticSecretCache;
}

export interface Scp11OceParams extends Scp11HandshakeParams {
  /** PK.SD.ECKA, from the card's verified CERT.SD.ECKA. */
  readonly pkSdEcka: Uint8Array;
}

function fail(message: string): never {
  throw new SecureChannelError('parameters', message);
}

function isByte(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xff;
}

/** The key CERT.OCE.ECKA certifies: from its decoded form when that has the same bytes, else decoded here. */
function leafPublicKey(leaf: Uint8Array, decoded: Certificate | undefined): Uint8Array {
  if (decoded !== undefined && equalBytes(decoded.raw, leaf)) return decoded.publicKey;
  try {
    return decodeCertificate(leaf).publicKey;
  } catch (e) {
    if (e instanceof CertificateError) fail(`CERT.OCE.ECKA: ${e.message}`);
    throw e;
  }
}

/** Throws SecureChannelError('parameters') for parameters that cannot work. */
export function checkHandshakeParams(p: Scp11HandshakeParams): void {
  if (p.variant !== 'a' && p.variant !== 'b' && p.variant !== 'c')
    fail(`unknown SCP11 variant "${String(p.variant)}"`);
  if (!isByte(p.kvn) || p.kvn > 0x7f) fail(`KVN ${p.kvn} out of range 0..127`);
  if (p.kid !== undefined && !isByte(p.kid)) fail(`KID ${p.kid} is not a byte`);
  if (!isAesKeyLength(p.aesKeyLength)) fail(`AES key length ${p.aesKeyLength} is not 16, 24 or 32`);
  if (p.macLength !== undefined && p.macLength !== 8 && p.macLength !== 16)
    fail(`MAC length ${p.macLength} is not 8 or 16`);
  if (p.variant !== 'b') {
    if (p.skOceEcka === undefined) fail(`SCP11${p.variant} needs SK.OCE.ECKA`);
    if (p.skOceEcka.curve.name !== p.curve.name) {
      fail(`SK.OCE.ECKA is on ${p.skOceEcka.curve.name}, the card key set on ${p.curve.name}`);
    }
    if (p.oceCertificates === undefined || p.oceCertificates.length === 0) {
      fail(`SCP11${p.variant} needs the OCE certificate chain`);
    }
    const leaf = p.oceCertificates[p.oceCertificates.length - 1];
    const leafKey = leafPublicKey(leaf, p.oceChain?.[p.oceChain.length - 1]);
    // Otherwise the card would compute ShSs with another key and the failure would look like the card's.
    if (!equalBytes(leafKey, p.skOceEcka.publicKey)) fail('CERT.OCE.ECKA does not certify SK.OCE.ECKA');
    const ref = p.caKlocReference;
    if (ref !== undefined && (!isByte(ref.kid) || ref.kid > 0x7f || !isByte(ref.kvn) || ref.kvn > 0x7f)) {
      fail('CA-KLOC key reference KID/KVN out of range 0..127');
    }
  }
}

/** PK.SD.ECKA as a validated point of the key set's curve. */
export function decodePkSdEcka(curve: Curve, pkSdEcka: Uint8Array): Uint8Array {
  try {
    return decodePoint(curve, pkSdEcka);
  } catch (e) {
    if (e instanceof CryptoError) fail(`PK.SD.ECKA: ${e.message}`);
    throw e;
  }
}
