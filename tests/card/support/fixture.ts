// A personalised card (in memory) and an OCE that can open SCP11a to it and send key update requests.
import { concatBytes } from '../../../src/bytes/index.js';
import {
  P256,
  BRAINPOOL_P256R1,
  SeededRandom,
  generateKeyPair,
  keyCheckValue,
  type Curve,
  type EcKeyPair,
  type RandomSource,
} from '../../../src/crypto/index.js';
import {
  GetResponseChannel,
  command,
  type CardChannel,
  type ResponseApdu,
} from '../../../src/iso7816/index.js';
import { FixedClock } from '../../../src/ports/index.js';
import { issueGpCertificate, issueX509Certificate, type NameInput } from '../../../src/pki/index.js';
import { ISD_AID, INS_STORE_DATA, P1_STORE_DATA_LAST_BERTLV_RESPONSE } from '../../../src/gp/constants.js';
import { openScp11, type Scp11Channel } from '../../../src/gp/scp11/index.js';
import { decodeKeyInformation, decodeCapabilities } from '../../../src/gp/data-objects/index.js';
import {
  ALGORITHM_MILENAGE,
  ALGORITHM_TUAK,
  encodeKeyUpdateRequest,
  negotiationDigest,
  type AlgorithmParameters,
  type KeyUpdateRequest,
} from '../../../src/gp/key-update/index.js';
import {
  MemoryCardStore,
  VirtualCard,
  iccidBytes,
  personaliseCard,
  type CardImage,
  type PersonaliseOptions,
} from '../../../src/card/index.js';

export const NOW = new Date('2030-01-01T00:00:00Z');
const NOT_BEFORE = new Date('2024-01-01T00:00:00Z');
const NOT_AFTER = new Date('2049-12-31T00:00:00Z');
const KLCC_NAME: NameInput = { organization: 'ltku test', commonName: 'CA-KLCC' };
export const KLOC_NAME: NameInput = { organization: 'ltku test', commonName: 'CA-KLOC' };

export interface Pki {
  klcc: EcKeyPair;
  kloc: EcKeyPair;
  oce: EcKeyPair;
  oceCertificate: Uint8Array;
  nextSerial(): Uint8Array;
}

export function makePki(rng: RandomSource, curve: Curve = P256, oceFormat: 'gp' | 'x509' = 'x509'): Pki {
  let serial = 1;
  const nextSerial = () => Uint8Array.of(serial++);
  const klcc = generateKeyPair(P256, rng);
  const kloc = generateKeyPair(P256, rng);
  const oce = generateKeyPair(curve, rng);
  const oceCertificate = issueOce(kloc, oce, nextSerial(), oceFormat);
  return { klcc, kloc, oce, oceCertificate, nextSerial };
}

export function issueOce(
  kloc: EcKeyPair,
  oce: EcKeyPair,
  serial: Uint8Array,
  format: 'gp' | 'x509',
  overrides: Partial<Parameters<typeof issueGpCertificate>[0]> = {},
): Uint8Array {
  const p = {
    issuer: kloc,
    serial,
    keyUsage: 'keyAgreement' as const,
    notBefore: NOT_BEFORE,
    notAfter: NOT_AFTER,
    subjectPublicKey: oce.publicKey,
    curve: oce.curve,
    ...overrides,
  };
  return format === 'gp'
    ? issueGpCertificate(p)
    : issueX509Certificate({
        ...p,
        subjectName: { organization: 'ltku test', commonName: 'CERT.OCE.ECKA' },
        issuerName: KLOC_NAME,
      });
}

export function makeImage(
  pki: Pki,
  rng: RandomSource,
  overrides: Partial<PersonaliseOptions> = {},
): CardImage {
  return personaliseCard({
    eid: '89049032123451234512345678901235',
    profiles: 2,
    algorithm: 'milenage',
    imsiPrefix: '00101',
    curves: [P256, BRAINPOOL_P256R1],
    sdCertificateFormat: 'gp',
    issuer: { keyPair: pki.klcc, name: KLCC_NAME, nextSerial: pki.nextSerial },
    trustedOceCas: [{ curve: pki.kloc.curve, publicKey: pki.kloc.publicKey, name: 'CA-KLOC' }],
    dataObjects: 'gp',
    minAesKeyLength: 16,
    notBefore: NOT_BEFORE,
    notAfter: NOT_AFTER,
    rng,
    ...overrides,
  });
}

export interface Setup {
  pki: Pki;
  image: CardImage;
  card: VirtualCard;
  store: MemoryCardStore;
  channel: CardChannel;
  rng: RandomSource;
}

export function setup(seed = 'card', overrides: Partial<PersonaliseOptions> = {}): Setup {
  const rng = new SeededRandom(seed);
  const pki = makePki(rng);
  const image = makeImage(pki, rng, overrides);
  const store = new MemoryCardStore();
  const card = new VirtualCard(image, { store, clock: new FixedClock(NOW), rng });
  return { pki, image, card, store, channel: new GetResponseChannel(card), rng };
}

export async function selectIsd(channel: CardChannel): Promise<ResponseApdu> {
  return channel.transmit(command(0x00, 0xa4, 0x04, 0x00, ISD_AID, 256));
}

export async function openSession(
  s: Setup,
  options: { kvn?: number; aes?: 16 | 24 | 32; curve?: Curve } = {},
): Promise<Scp11Channel> {
  await selectIsd(s.channel);
  const kvn = options.kvn ?? 1;
  const keySet = s.card.image.keySets.find((k) => k.kvn === kvn)!;
  return openScp11(
    s.channel,
    {
      variant: 'a',
      kvn,
      curve: keySet.keyPair.curve,
      aesKeyLength: options.aes ?? 16,
      pkSdEcka: keySet.keyPair.publicKey,
      skOceEcka: s.pki.oce,
      oceCertificates: [s.pki.oceCertificate],
      caKlocReference: { kid: 0x10, kvn: 1 },
    },
    s.rng,
  );
}

/** The digest as a server computes it from the card's answers to GET DATA 00E0 and BF30. */
export async function readDigest(channel: CardChannel): Promise<Uint8Array> {
  const e0 = await channel.transmit(command(0x80, 0xca, 0x00, 0xe0, new Uint8Array(0), 256));
  const bf30 = await channel.transmit(command(0x80, 0xca, 0xbf, 0x30, new Uint8Array(0), 256));
  return negotiationDigest(decodeKeyInformation(e0.data).value, decodeCapabilities(bf30.data).value);
}

export interface NewKeys {
  k: Uint8Array;
  opc: Uint8Array;
  algorithm?: number;
  parameters?: AlgorithmParameters;
}

export function request(
  scp: Scp11Channel,
  iccid: string | Uint8Array,
  keys: NewKeys,
  fields: Partial<KeyUpdateRequest> & { digest: Uint8Array; transactionId?: Uint8Array },
): Uint8Array {
  const algorithm = keys.algorithm ?? (keys.opc.length === 32 ? ALGORITHM_TUAK : ALGORITHM_MILENAGE);
  return encodeKeyUpdateRequest({
    transactionId: fields.transactionId ?? new Uint8Array(16).fill(0x42),
    iccid: typeof iccid === 'string' ? iccidBytes(iccid) : iccid,
    algorithm,
    keyVersion: fields.keyVersion ?? 2,
    wrappedK: fields.wrappedK ?? scp.wrapKey(keys.k),
    wrappedOpc: fields.wrappedOpc ?? scp.wrapKey(keys.opc),
    checkValues: fields.checkValues ?? concatBytes(keyCheckValue(keys.k), keyCheckValue(keys.opc)),
    negotiationDigest: fields.digest,
    ...(keys.parameters === undefined ? {} : { parameters: keys.parameters }),
  });
}

export function storeData(
  channel: CardChannel,
  data: Uint8Array,
  p1 = P1_STORE_DATA_LAST_BERTLV_RESPONSE,
  p2 = 0,
) {
  return channel.transmit(command(0x80, INS_STORE_DATA, p1, p2, data, 256));
}

export function newKeys(rng: RandomSource, opcLength = 16): NewKeys {
  return { k: rng.randomBytes(16), opc: rng.randomBytes(opcLength) };
}
