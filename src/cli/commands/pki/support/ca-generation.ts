// One generation of an SCP11 CA (DESIGN.md 4.2): its key, self-signed GP 7F21 and X.509 certificates with
// one serial, and an empty CRL, written into the PKI directory (`ltku pki init`, issue 13 `ltku pki rotate`).
import { join } from 'node:path';
import { toHex } from '../../../../bytes/index.js';
import { generateKeyPair, type Curve, type RandomSource } from '../../../../crypto/index.js';
import { caKeyId, issueGpCertificate, issueX509Certificate } from '../../../../pki/index.js';
import {
  CA_NAMES,
  caNameOf,
  publishCrl,
  takeSerial,
  writeNewFile,
  writePrivateKey,
  type CaId,
  type CaRecord,
  type PkiIndex,
} from './pki-dir.js';

/** Files of generation 1 are ca-<id>.*, of generation N >= 2 ca-<id>-g<N>.* (never the same name twice). */
function baseName(ca: CaId, generation: number): string {
  return generation === 1 ? `ca-${ca}` : `ca-${ca}-g${generation}`;
}

/** Writes generation `generation` of `ca` (key 0600, certificates, CRL number 1) and returns its record. */
export function createCaGeneration(
  dir: string,
  index: PkiIndex,
  ca: CaId,
  generation: number,
  o: { curve: Curve; notBefore: Date; notAfter: Date; rng: RandomSource },
): CaRecord {
  const keyPair = generateKeyPair(o.curve, o.rng);
  // One serial for both encodings of the CA certificate: revoking it covers either.
  const serial = takeSerial(index);
  const base = baseName(ca, generation);
  const record: CaRecord = {
    name: generation === 1 ? CA_NAMES[ca].commonName : `${CA_NAMES[ca].commonName} generation ${generation}`,
    key: `${base}.key`,
    gpCertificate: `${base}.crt`,
    x509Certificate: `${base}.der`,
    crl: `${base}.crl`,
    keyId: toHex(caKeyId(keyPair.publicKey)),
    serial: toHex(serial),
    notAfter: o.notAfter.toISOString(),
    crlNumber: 0,
    revoked: [],
    ...(generation === 1 ? {} : { generation }),
  };
  const common = {
    issuer: keyPair,
    serial,
    keyUsage: 'signature' as const,
    notBefore: o.notBefore,
    notAfter: o.notAfter,
    subjectPublicKey: keyPair.publicKey,
    curve: o.curve,
  };
  writePrivateKey(join(dir, record.key), keyPair);
  writeNewFile(join(dir, record.gpCertificate), issueGpCertificate(common));
  writeNewFile(
    join(dir, record.x509Certificate),
    issueX509Certificate({ ...common, subjectName: caNameOf(record) }),
  );
  publishCrl(dir, index, ca, keyPair, o.notBefore, record);
  return record;
}
