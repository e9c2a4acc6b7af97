// Keys and certificates for OCE <-> card tests on every curve (deterministic, generated once per curve).
import {
  SeededRandom,
  generateKeyPair,
  type Curve,
  type EcKeyPair,
  type RandomSource,
} from '../../../src/crypto/index.js';
import {
  KID_SCP11A,
  KID_SCP11B,
  KID_SCP11C,
  Scp11SecurityDomain,
  type Scp11SecurityDomainOptions,
  type SdKeySet,
} from '../../../src/gp/index.js';
import { issueGpCertificate, trustAnchor, type TrustAnchor } from '../../../src/pki/index.js';
import { FixedClock } from '../../../src/ports/index.js';

export const NOT_BEFORE = new Date('2024-01-01T00:00:00Z');
export const NOT_AFTER = new Date('2049-12-31T23:59:59Z');
export const NOW = new Date('2030-01-01T00:00:00Z');
export const CA_KLOC_KVN = 0x01;
export const SD_KVN = 0x01;

export interface Pki {
  readonly curve: Curve;
  readonly caKloc: EcKeyPair;
  readonly caKlocAnchor: TrustAnchor;
  readonly oce: EcKeyPair;
  /** CERT.OCE.ECKA (GP 7F21), signed by CA-KLOC. */
  readonly oceCertificate: Uint8Array;
  readonly oceSerial: Uint8Array;
  readonly sd: EcKeyPair;
  readonly sdCertificate: Uint8Array;
}

const cache = new Map<string, Pki>();

export function issueOce(
  issuer: EcKeyPair,
  subject: EcKeyPair,
  overrides: Partial<Parameters<typeof issueGpCertificate>[0]> = {},
): Uint8Array {
  return issueGpCertificate({
    issuer,
    serial: Uint8Array.of(0x0c, 0xe0, 0x01),
    keyUsage: 'keyAgreement',
    notBefore: NOT_BEFORE,
    notAfter: NOT_AFTER,
    subjectPublicKey: subject.publicKey,
    curve: subject.curve,
    ...overrides,
  });
}

export function pkiFor(curve: Curve): Pki {
  let pki = cache.get(curve.name);
  if (pki === undefined) {
    const rng = new SeededRandom(`scp11 fixtures ${curve.name}`);
    const caKloc = generateKeyPair(curve, rng);
    const oce = generateKeyPair(curve, rng);
    const sd = generateKeyPair(curve, rng);
    const oceSerial = Uint8Array.of(0x0c, 0xe0, 0x01);
    pki = {
      curve,
      caKloc,
      caKlocAnchor: trustAnchor(curve, caKloc.publicKey, { kvn: CA_KLOC_KVN, name: `CA-KLOC ${curve.name}` }),
      oce,
      oceCertificate: issueOce(caKloc, oce, { serial: oceSerial }),
      oceSerial,
      sd,
      sdCertificate: issueGpCertificate({
        issuer: caKloc,
        serial: Uint8Array.of(0x5d, 0x01),
        keyUsage: 'keyAgreement',
        notBefore: NOT_BEFORE,
        notAfter: NOT_AFTER,
        subjectPublicKey: sd.publicKey,
        curve,
      }),
    };
    cache.set(curve.name, pki);
  }
  return pki;
}

export function keySets(pki: Pki): SdKeySet[] {
  return [KID_SCP11A, KID_SCP11B, KID_SCP11C].map((kid) => ({
    kid,
    kvn: SD_KVN,
    keyPair: pki.sd,
    certificates: [pki.sdCertificate],
  }));
}

export function securityDomain(
  pki: Pki,
  overrides: Partial<Scp11SecurityDomainOptions> = {},
  rng: RandomSource = new SeededRandom(`card ${pki.curve.name}`),
): Scp11SecurityDomain {
  return new Scp11SecurityDomain({
    keySets: keySets(pki),
    caKloc: [pki.caKlocAnchor],
    clock: new FixedClock(NOW),
    rng,
    minAesKeyLength: 16,
    ...overrides,
  });
}
