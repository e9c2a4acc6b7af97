// GPC Amd F 7.4.3 / DESIGN.md 4.2, OCE side: read CERT.SD.ECKA (GET DATA BF21, wrapped or bare) and verify it
// against the card issuers the OCE trusts before its public key is used for SCP11.
import { type CardChannel, transmitOk } from '../../iso7816/index.js';
import {
  decodeCertificates,
  validateChain,
  type Certificate,
  type TrustAnchor,
  type VerifiedCertificateCache,
} from '../../pki/index.js';
import type { Curve } from '../../crypto/index.js';
import type { Clock } from '../../ports/index.js';
import { certificateStoreQuery } from '../get-data.js';

export interface CardCertificateOptions {
  /** Card issuer CA keys (CA-KLCC) the OCE trusts. */
  readonly anchors: readonly TrustAnchor[];
  readonly clock: Clock;
  /** Revoked serials from the issuers' CRLs. */
  readonly denyList?: readonly Uint8Array[];
  /** The curve the OCE expects the key set on (from the Key Information Template). */
  readonly expectedCurve?: Curve;
  /** Signatures already verified, shared across reads; without one, every signature is checked. */
  readonly cache?: VerifiedCertificateCache;
}

/** The verified CERT.SD.ECKA of key set KID/KVN; its publicKey is PK.SD.ECKA, its eid the card's EID. */
export async function readSdCertificate(
  channel: CardChannel,
  reference: { readonly kid: number; readonly kvn: number },
  options: CardCertificateOptions,
): Promise<Certificate> {
  const store = await transmitOk(
    channel,
    certificateStoreQuery(reference.kid, reference.kvn),
    'GET DATA BF21',
  );
  return validateChain(decodeCertificates(store), { ...options, leafUsage: 'keyAgreement' });
}
