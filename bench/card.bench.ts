// The virtual card's hot paths: USIM AUTHENTICATE, GET DATA BF21, and a whole key update (SCP11a handshake +
// STORE DATA BF70 applied and persisted in memory), in-process through the APDU dispatcher.
import { concatBytes } from '../src/bytes/index.js';
import { P256, SeededRandom, generateKeyPair, keyCheckValue } from '../src/crypto/index.js';
import { generateVector, milenage } from '../src/aka/index.js';
import { command, GetResponseChannel } from '../src/iso7816/index.js';
import { FixedClock } from '../src/ports/index.js';
import { issueX509Certificate } from '../src/pki/index.js';
import { ISD_AID } from '../src/gp/constants.js';
import { openScp11 } from '../src/gp/scp11/index.js';
import { decodeCapabilities, decodeKeyInformation } from '../src/gp/data-objects/index.js';
import {
  ALGORITHM_MILENAGE,
  decodeKeyUpdateResult,
  encodeKeyUpdateRequest,
  negotiationDigest,
} from '../src/gp/key-update/index.js';
import { MemoryCardStore, VirtualCard, iccidBytes, personaliseCard } from '../src/card/index.js';
import { formatRate, measure, type BenchSuite } from './harness.js';

const NOW = new Date('2030-01-01T00:00:00Z');
const NOT_BEFORE = new Date('2024-01-01T00:00:00Z');
const NOT_AFTER = new Date('2049-12-31T00:00:00Z');

export const suite: BenchSuite = {
  title: 'virtual card (in-process APDUs)',
  async run(print) {
    const rng = new SeededRandom('bench');
    const klcc = generateKeyPair(P256, rng);
    const kloc = generateKeyPair(P256, rng);
    const oce = generateKeyPair(P256, rng);
    let serial = 1;
    const name = { organization: 'bench', commonName: 'CA' };
    const oceCert = issueX509Certificate({
      issuer: kloc,
      serial: Uint8Array.of(serial++),
      keyUsage: 'keyAgreement',
      notBefore: NOT_BEFORE,
      notAfter: NOT_AFTER,
      subjectPublicKey: oce.publicKey,
      curve: P256,
      subjectName: { organization: 'bench', commonName: 'OCE' },
      issuerName: name,
    });
    const image = personaliseCard({
      eid: '89049032123451234512345678901235',
      profiles: 1,
      algorithm: 'milenage',
      imsiPrefix: '00101',
      curves: [P256],
      sdCertificateFormat: 'gp',
      issuer: { keyPair: klcc, name, nextSerial: () => Uint8Array.of(serial++) },
      trustedOceCas: [{ curve: P256, publicKey: kloc.publicKey }],
      dataObjects: 'gp',
      minAesKeyLength: 16,
      notBefore: NOT_BEFORE,
      notAfter: NOT_AFTER,
      rng,
    });
    const fresh = () =>
      new VirtualCard(image, { store: new MemoryCardStore(), clock: new FixedClock(NOW), rng });
    let card = fresh();
    const p = image.profiles[0];

    const fns = milenage(p.keys.k, p.keys.opc);
    card.processApdu(concatBytes(Uint8Array.of(0x00, 0xa4, 0x04, 0x04, p.usimAid.length), p.usimAid));
    let sqn = 32n;
    print(
      formatRate(
        await measure('USIM AUTHENTICATE (Milenage, SQN stored; incl. the AV)', () => {
          sqn += 32n;
          const v = generateVector(fns, rng.randomBytes(16), sqn, Uint8Array.of(0x80, 0));
          card.processApdu(
            concatBytes(
              Uint8Array.of(0, 0x88, 0, 0x81, 34, 16),
              v.rand,
              Uint8Array.of(16),
              v.autn,
              Uint8Array.of(0),
            ),
          );
        }),
      ),
    );

    card.processApdu(concatBytes(Uint8Array.of(0x00, 0xa4, 0x04, 0x00, 8), ISD_AID));
    const bf21 = Uint8Array.of(0x00, 0xca, 0xbf, 0x21, 6, 0xa6, 4, 0x83, 2, 0x11, 1, 0);
    print(formatRate(await measure('GET DATA BF21', () => card.processApdu(bf21))));

    const channel = new GetResponseChannel({ transmit: (c) => card.transmit(c) });
    let version = 1;
    print(
      formatRate(
        await measure(
          'SCP11a open + key update applied (STORE DATA BF70)',
          async () => {
            if (version === 255) {
              card = fresh(); // key versions end at 255 (DESIGN.md 4.5): start again from the personalised image
              version = 1;
            }
            version += 1;
            await channel.transmit(command(0, 0xa4, 4, 0, ISD_AID, 256));
            const keySet = card.image.keySets[0];
            const scp = await openScp11(
              channel,
              {
                variant: 'a',
                kvn: keySet.kvn,
                curve: P256,
                aesKeyLength: 16,
                pkSdEcka: keySet.keyPair.publicKey,
                skOceEcka: oce,
                oceCertificates: [oceCert],
                caKlocReference: { kid: 0x10, kvn: 1 },
              },
              rng,
            );
            const e0 = await scp.transmit(command(0x80, 0xca, 0, 0xe0, new Uint8Array(0), 256));
            const bf30 = await scp.transmit(command(0x80, 0xca, 0xbf, 0x30, new Uint8Array(0), 256));
            const k = rng.randomBytes(16);
            const opc = rng.randomBytes(16);
            const r = await scp.transmit(
              command(
                0x80,
                0xe2,
                0x91,
                0,
                encodeKeyUpdateRequest({
                  transactionId: rng.randomBytes(16),
                  iccid: iccidBytes(p.iccid),
                  algorithm: ALGORITHM_MILENAGE,
                  keyVersion: version,
                  wrappedK: scp.wrapKey(k),
                  wrappedOpc: scp.wrapKey(opc),
                  checkValues: concatBytes(keyCheckValue(k), keyCheckValue(opc)),
                  negotiationDigest: negotiationDigest(
                    decodeKeyInformation(e0.data).value,
                    decodeCapabilities(bf30.data).value,
                  ),
                }),
                256,
              ),
            );
            if (r.sw !== 0x9000 || decodeKeyUpdateResult(r.data).outcome !== 0)
              throw new Error('key update not applied');
          },
          2,
        ),
      ),
    );
  },
};
