// SCP11a handshakes per second for each side (P-256, AES-128, one GP CERT.OCE.ECKA), next to the crypto floor
// measured in the same run: the raw key generation, ECDH and signature checks one handshake needs. The ratio
// handshake / floor shows what the protocol adds (and what caching ShSs and verified certificates saves).
import { type BenchSuite, formatRate, measure } from './harness.js';
import { concatBytes, tlv } from '../src/bytes/index.js';
import {
  FixedRandom,
  P256,
  SeededRandom,
  cryptoRandom,
  ecdh,
  ecdsaVerify,
  generateKeyPair,
  keyPairFromPrivate,
  type EcKeyPair,
} from '../src/crypto/index.js';
import {
  INS_MUTUAL_AUTHENTICATE,
  KID_CA_KLOC,
  KID_SCP11A,
  Scp11SecurityDomain,
  StaticSecretCache,
  encodeControlReference,
  openScp11,
  performSecurityOperationCommands,
  type Scp11OceParams,
} from '../src/gp/index.js';
import { SW_OK, type CardChannel, type CommandApdu, type ResponseApdu } from '../src/iso7816/index.js';
import { decodeCertificate, issueGpCertificate, trustAnchor } from '../src/pki/index.js';
import { FixedClock } from '../src/ports/index.js';

const KVN = 1;
/** More distinct OCE ephemeral keys than crypto/ec.ts caches (512), replayed in order: every one is a miss. */
const RING = 1100;

function fixtures() {
  const rng = new SeededRandom('bench scp11');
  const caKloc = generateKeyPair(P256, rng);
  const oce = generateKeyPair(P256, rng);
  const sd = generateKeyPair(P256, rng);
  const oceCertificate = issueGpCertificate({
    issuer: caKloc,
    serial: Uint8Array.of(1),
    keyUsage: 'keyAgreement',
    notBefore: new Date('2024-01-01T00:00:00Z'),
    notAfter: new Date('2049-12-31T00:00:00Z'),
    subjectPublicKey: oce.publicKey,
    curve: P256,
  });
  const card = () =>
    new Scp11SecurityDomain({
      keySets: [{ kid: KID_SCP11A, kvn: KVN, keyPair: sd, certificates: [] }],
      caKloc: [trustAnchor(P256, caKloc.publicKey, { kvn: KVN })],
      clock: new FixedClock(new Date('2030-01-01T00:00:00Z')),
      rng: cryptoRandom,
      minAesKeyLength: 16,
    });
  const params: Scp11OceParams = {
    variant: 'a',
    kvn: KVN,
    curve: P256,
    aesKeyLength: 16,
    pkSdEcka: sd.publicKey,
    skOceEcka: oce,
    oceCertificates: [oceCertificate],
    caKlocReference: { kid: KID_CA_KLOC, kvn: KVN },
    staticSecrets: new StaticSecretCache(),
  };
  const pso = performSecurityOperationCommands([oceCertificate], { kid: KID_CA_KLOC, kvn: KVN });
  return { caKloc, oce, sd, oceCertificate, card, params, pso };
}

function mutualAuthenticate(epkOce: Uint8Array): CommandApdu {
  return {
    cla: 0x80,
    ins: INS_MUTUAL_AUTHENTICATE,
    p1: KVN,
    p2: KID_SCP11A,
    data: concatBytes(encodeControlReference('a', 16), tlv(0x5f49, epkOce)),
    ne: 256,
  };
}

/** Replays the card: 9000 to PSO, the precomputed answer to MUTUAL AUTHENTICATE. */
class ReplayCard implements CardChannel {
  answer: ResponseApdu = { data: new Uint8Array(0), sw: SW_OK };
  async transmit(c: CommandApdu): Promise<ResponseApdu> {
    return c.ins === INS_MUTUAL_AUTHENTICATE ? this.answer : { data: new Uint8Array(0), sw: SW_OK };
  }
}

export const suite: BenchSuite = {
  title: 'SCP11a handshake (P-256, AES-128, GP certificate), per side, against the crypto floor',
  async run(print) {
    const f = fixtures();
    const seconds = 1;

    // Card side: PSO + MUTUAL AUTHENTICATE from precomputed OCE requests (fresh eSK.SD each time).
    const requests = Array.from({ length: 64 }, () =>
      mutualAuthenticate(generateKeyPair(P256, cryptoRandom).publicKey),
    );
    const sd = f.card();
    let i = 0;
    const cardRate = await measure(
      'card: PSO chain + MUTUAL AUTHENTICATE',
      () => {
        for (const c of f.pso) sd.performSecurityOperation(c);
        sd.authenticate(requests[i++ % requests.length]);
      },
      seconds,
    );

    // OCE side: openScp11 against recorded card answers for RING distinct ephemeral keys.
    const recordingCard = f.card();
    const ring = Array.from({ length: RING }, () => {
      const d = generateKeyPair(P256, cryptoRandom).privateKey;
      for (const c of f.pso) recordingCard.performSecurityOperation(c);
      const answer = recordingCard.authenticate(mutualAuthenticate(keyPairFromPrivate(P256, d).publicKey));
      return { d, answer };
    });
    const replay = new ReplayCard();
    let j = 0;
    const oceRate = await measure(
      'OCE: openScp11 (PSO, MUTUAL AUTHENTICATE, receipt)',
      async () => {
        const { d, answer } = ring[j++ % RING];
        replay.answer = answer;
        (await openScp11(replay, f.params, new FixedRandom(d))).close();
      },
      seconds,
    );

    // The crypto floor of one handshake, uncached: OCE keygen + 2 ECDH; card keygen + 2 ECDH + 1 signature check.
    const cert = decodeCertificate(f.oceCertificate);
    const fresh = (): EcKeyPair => generateKeyPair(P256, cryptoRandom);
    const oceFloor = await measure(
      'floor OCE: keygen + 2 ECDH (nothing cached)',
      () => {
        const e = fresh();
        ecdh(P256, e.privateKey, f.sd.publicKey);
        ecdh(P256, f.oce.privateKey, e.publicKey);
      },
      seconds,
    );
    const cardFloor = await measure(
      'floor card: keygen + 2 ECDH + 1 ECDSA verify',
      () => {
        const e = fresh();
        ecdh(P256, e.privateKey, f.oce.publicKey);
        ecdh(P256, f.sd.privateKey, e.publicKey);
        ecdsaVerify(P256, f.caKloc.publicKey, cert.tbs, cert.signature);
      },
      seconds,
    );

    // Both engines in one process, for reference.
    const loopSd = f.card();
    const loopback: CardChannel = {
      async transmit(c) {
        return c.ins === INS_MUTUAL_AUTHENTICATE
          ? loopSd.authenticate(c)
          : loopSd.performSecurityOperation(c);
      },
    };
    const both = await measure(
      'both sides in one process',
      async () => (await openScp11(loopback, f.params, cryptoRandom)).close(),
      seconds,
    );

    for (const r of [oceRate, oceFloor, cardRate, cardFloor, both]) print(formatRate(r));
    print(`ratio OCE handshake / OCE floor   ${(oceRate.opsPerSecond / oceFloor.opsPerSecond).toFixed(2)}`);
    print(`ratio card handshake / card floor ${(cardRate.opsPerSecond / cardFloor.opsPerSecond).toFixed(2)}`);
    print(
      '(ShSs is cached per peer on both sides and verified certificates by pki, so a ratio may exceed 1)',
    );
  },
};
