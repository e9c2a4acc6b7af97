// Key updates per second in one process: a KeyUpdateSession (server side) driving a VirtualCard (card side)
// through its scripts, no HTTP; then whole key updates over HTTP (admin API job, UE agent over the RAM endpoint,
// SQLite job store, HSS over HTTP on SQLite); next to them the crypto floor of the same work (both sides'
// ephemeral key generation, the two ECDHs each, the certificate signature checks), each printed as a ratio.
import { SeededRandom, cryptoRandom, ecdh, generateKeyPair } from '../src/crypto/index.js';
import {
  GetResponseChannel,
  isScriptSuccess,
  type CardChannel,
  type CommandApdu,
} from '../src/iso7816/index.js';
import { FixedClock } from '../src/ports/index.js';
import {
  VerifiedCertificateCache,
  decodeCertificate,
  trustAnchor,
  verifyCertificateSignature,
} from '../src/pki/index.js';
import { MemoryCardStore, VirtualCard } from '../src/card/index.js';
import { StaticSecretCache } from '../src/gp/index.js';
import { DEFAULT_POLICY, KeyUpdateSession, prepareSessionConfig } from '../src/server/index.js';
import { NOW, setup } from '../tests/card/support/fixture.js';
import { formatRate, measure, type BenchSuite } from './harness.js';
import { httpWorld } from './http-world.js';

const SECONDS = 2;
/** Profiles of the card driven over HTTP: each takes at most 254 key updates (versions end at 255). */
const HTTP_PROFILES = 32;

async function runScript(channel: CardChannel, commands: CommandApdu[]) {
  const responses = [];
  for (const c of commands) {
    const r = await channel.transmit(c);
    responses.push(r);
    if (!isScriptSuccess(r.sw)) break;
  }
  return { executed: responses.length, responses };
}

export const suite: BenchSuite = {
  title: 'Provisioning Server: key updates per second (one process, session + virtual card, P-256)',
  async run(print) {
    const s = setup('bench-server');
    // Prepared once, as the server does: both sides keep ShSs and verified signatures across sessions (one cache each).
    const config = prepareSessionConfig({
      oce: [{ keyPair: s.pki.oce, certificates: [s.pki.oceCertificate] }],
      cardIssuers: [trustAnchor(s.pki.klcc.curve, s.pki.klcc.publicKey)],
      policy: DEFAULT_POLICY,
      clock: new FixedClock(NOW),
      rng: cryptoRandom,
    });
    const cardSecrets = new StaticSecretCache();
    const cardVerified = new VerifiedCertificateCache();
    const rng = new SeededRandom('bench-keys');
    const hooks = { beforeRequest: async () => {} };
    const update = await measure(
      'key update (3 scripts, SCP11a, BF70/BF71), both sides',
      async () => {
        const card = new VirtualCard(s.image, {
          store: new MemoryCardStore(),
          clock: new FixedClock(NOW),
          rng: cryptoRandom,
          staticSecrets: cardSecrets,
          verifiedCertificates: cardVerified,
        });
        const channel = new GetResponseChannel(card);
        const session = new KeyUpdateSession(
          s.image.eid,
          {
            iccid: s.image.profiles[0].iccid,
            algorithm: 'milenage',
            keyVersion: 2,
            transactionId: rng.randomBytes(16),
            openKeys: () => ({ k: rng.randomBytes(16), opc: rng.randomBytes(16) }),
            recover: false,
          },
          config,
          hooks,
        );
        let commands = session.start();
        for (;;) {
          const step = await session.next(await runScript(channel, commands));
          if (step.kind === 'done') {
            if (step.outcome.kind !== 'applied')
              throw new Error(`bench update not applied: ${step.outcome.kind}`);
            break;
          }
          commands = step.commands;
        }
      },
      SECONDS,
    );
    print(formatRate(update));

    const sdCert = decodeCertificate(s.image.keySets[0].certificates[0]);
    const oceCert = decodeCertificate(s.pki.oceCertificate);
    const curve = s.pki.oce.curve;
    const cardKey = s.image.keySets[0].keyPair;
    const floor = await measure(
      'crypto floor: 2 x (keygen + 2 ECDH + 1 certificate signature check)',
      () => {
        for (const [own, peer, cert, issuer] of [
          [s.pki.oce, cardKey, sdCert, s.pki.klcc],
          [cardKey, s.pki.oce, oceCert, s.pki.kloc],
        ] as const) {
          const e = generateKeyPair(curve, cryptoRandom);
          ecdh(curve, e.privateKey, peer.publicKey);
          ecdh(curve, own.privateKey, peer.publicKey);
          if (!verifyCertificateSignature(cert, issuer)) throw new Error('bench certificate did not verify');
        }
      },
      SECONDS,
    );
    print(formatRate(floor));
    print(`  key update / crypto floor = ${(update.opsPerSecond / floor.opsPerSecond).toFixed(2)}`);

    const world = await httpWorld(HTTP_PROFILES);
    try {
      const overHttp = await measure(
        'key update over HTTP (job, 4 POSTs, SQLite, HSS over HTTP)',
        () => world.keyUpdate(),
        SECONDS,
      );
      print(formatRate(overHttp));
      print(
        `  key update over HTTP / crypto floor = ${(overHttp.opsPerSecond / floor.opsPerSecond).toFixed(2)}`,
      );
    } finally {
      await world.close();
    }
  },
};
