// What a fleet's cards take from an `ltku pki` directory, as `ltku card create` does: the current CA-KLCC
// generation issues CERT.SD.ECKA (serials from the PKI's counter), the CA-KLOC is the trusted OCE issuer (KVN 1).
import { join } from 'node:path';
import { decodeCertificate } from '../../../../pki/index.js';
import type { CardCaKey, SdCertificateIssuer } from '../../../../card/index.js';
import {
  caNameOf,
  loadCaKey,
  loadIndex,
  saveIndex,
  takeSerial,
  type PkiIndex,
} from '../../pki/support/pki-dir.js';
import { readCertificateFile } from '../../card/support/files.js';

export interface FleetPki {
  readonly index: PkiIndex;
  readonly issuer: SdCertificateIssuer;
  readonly trustedOceCas: Omit<CardCaKey, 'kvn'>[];
  /** Records the serials taken (the PKI's counter); the fleet's certificates are not listed one by one. */
  save(): void;
}

export function loadFleetPki(dir: string): FleetPki {
  const index = loadIndex(dir);
  const kloc = decodeCertificate(readCertificateFile(join(dir, index.cas.kloc.x509Certificate), 'pki')[0]);
  return {
    index,
    issuer: {
      keyPair: loadCaKey(dir, index, 'klcc'),
      name: caNameOf(index.cas.klcc),
      nextSerial: () => takeSerial(index),
    },
    trustedOceCas: [{ curve: kloc.curve, publicKey: kloc.publicKey, name: kloc.subject || 'CA-KLOC' }],
    save: () => saveIndex(dir, index),
  };
}
