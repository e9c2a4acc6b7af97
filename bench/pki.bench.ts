// pki/: decoding certificates and validating a chain, cold (signature checked) and with the verified cache.
import { SeededRandom, ecdsaVerify, generateKeyPair, curveByName } from '../src/crypto/index.js';
import {
  VerifiedCertificateCache,
  decodeCertificate,
  issueGpCertificate,
  issueX509Certificate,
  trustAnchor,
  validateChain,
} from '../src/pki/index.js';
import { FixedClock } from '../src/ports/index.js';
import { formatRate, measure, type BenchSuite } from './harness.js';

export const suite: BenchSuite = {
  title: 'pki: certificates (P-256)',
  async run(print) {
    const curve = curveByName('P-256');
    const rng = new SeededRandom('pki bench');
    const ca = generateKeyPair(curve, rng);
    const leaf = generateKeyPair(curve, rng);
    const params = {
      issuer: ca,
      serial: Uint8Array.of(7),
      eid: '89049032331351239527778732902160',
      keyUsage: 'keyAgreement' as const,
      notBefore: new Date('2025-01-01T00:00:00Z'),
      notAfter: new Date('2035-01-01T00:00:00Z'),
      subjectPublicKey: leaf.publicKey,
      curve,
    };
    const gp = issueGpCertificate(params);
    const x509 = issueX509Certificate({ ...params, subjectName: 'CERT.SD.ECKA', issuerName: 'CA-KLCC' });
    const anchors = [trustAnchor(curve, ca.publicKey)];
    const clock = new FixedClock(new Date('2030-01-01T00:00:00Z'));
    const gpCert = decodeCertificate(gp);
    print(formatRate(await measure('decode GP 7F21', () => decodeCertificate(gp))));
    print(formatRate(await measure('decode X.509', () => decodeCertificate(x509))));
    print(
      formatRate(
        await measure('ECDSA-P256 verify (floor)', () =>
          ecdsaVerify(curve, ca.publicKey, gpCert.tbs, gpCert.signature),
        ),
      ),
    );
    print(
      formatRate(
        await measure('validate GP chain, cold (no cache)', () =>
          validateChain([decodeCertificate(gp)], {
            anchors,
            clock,
            leafUsage: 'keyAgreement',
            cache: new VerifiedCertificateCache(),
          }),
        ),
      ),
    );
    const cache = new VerifiedCertificateCache();
    print(
      formatRate(
        await measure('validate GP chain, verified cache', () =>
          validateChain([decodeCertificate(gp)], { anchors, clock, leafUsage: 'keyAgreement', cache }),
        ),
      ),
    );
  },
};
