// A small deterministic PKI for the tests: a CA and leaves on any curve, from a seeded random source.
import { CURVES, SeededRandom, generateKeyPair, type Curve, type EcKeyPair } from '../../src/crypto/index.js';
import {
  caKeyId,
  decodeCertificate,
  issueGpCertificate,
  issueX509Certificate,
  trustAnchor,
  type Certificate,
  type TrustAnchor,
} from '../../src/pki/index.js';

export const NOT_BEFORE = new Date('2025-01-01T00:00:00Z');
export const NOT_AFTER = new Date('2030-12-31T00:00:00Z');
export const INSIDE = new Date('2027-06-15T12:00:00Z');
export const EID = '89049032331351239527778732902160';

export type Format = 'gp' | 'x509';

export interface TestCa {
  readonly key: EcKeyPair;
  readonly name: string;
  readonly anchor: TrustAnchor;
  certificate(format: Format): Certificate;
  issue(opts: LeafOptions): { key: EcKeyPair; certificate: Certificate };
}

export interface LeafOptions {
  format: Format;
  curve?: Curve;
  serial?: Uint8Array;
  usage?: 'keyAgreement' | 'signature';
  notBefore?: Date;
  notAfter?: Date;
  eid?: string;
  key?: EcKeyPair;
}

export function makeCa(curve: Curve, seed: string, name = `Test CA ${seed}`): TestCa {
  const rng = new SeededRandom(seed);
  const key = generateKeyPair(curve, rng);
  const base = {
    issuer: key,
    serial: Uint8Array.of(0x01),
    keyUsage: 'signature' as const,
    notBefore: NOT_BEFORE,
    notAfter: NOT_AFTER,
    subjectPublicKey: key.publicKey,
    curve,
  };
  const certs = {
    gp: decodeCertificate(issueGpCertificate(base)),
    x509: decodeCertificate(issueX509Certificate({ ...base, subjectName: name })),
  };
  let counter = 0x10;
  return {
    key,
    name,
    anchor: trustAnchor(curve, key.publicKey, { name }),
    certificate: (format) => certs[format],
    issue(o) {
      const leafCurve = o.curve ?? curve;
      const leafKey = o.key ?? generateKeyPair(leafCurve, rng);
      const params = {
        issuer: key,
        issuerKeyId: caKeyId(key.publicKey),
        serial: o.serial ?? Uint8Array.of(counter++),
        eid: o.eid,
        keyUsage: o.usage ?? ('keyAgreement' as const),
        notBefore: o.notBefore ?? NOT_BEFORE,
        notAfter: o.notAfter ?? NOT_AFTER,
        subjectPublicKey: leafKey.publicKey,
        curve: leafCurve,
      };
      const raw =
        o.format === 'gp'
          ? issueGpCertificate(params)
          : issueX509Certificate({ ...params, subjectName: 'CERT.SD.ECKA', issuerName: name });
      return { key: leafKey, certificate: decodeCertificate(raw) };
    },
  };
}

export { CURVES };
