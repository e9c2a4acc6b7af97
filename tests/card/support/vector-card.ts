// Builds a VirtualCard holding exactly the card side of one scp11-card.json vector.
import { fromHex } from '../../../src/bytes/index.js';
import { curveByName, FixedRandom, importPrivateKey, type CurveName } from '../../../src/crypto/index.js';
import { FixedClock } from '../../../src/ports/index.js';
import { MemoryCardStore, VirtualCard, type CardImage } from '../../../src/card/index.js';

export interface CardVector {
  name: string;
  variant: string;
  curve: string;
  aes_key_len: number;
  SD_KID: string;
  SD_KVN: string;
  OCE_KVN: string;
  EID: string;
  SK_SD_pkcs8: string;
  eSK_SD_pkcs8: string;
  CERT_SD_chain: string[];
  CA_curve: string;
  PK_CA_KLOC: string;
  check_date: string;
  GET_DATA_capdu: string;
  GET_RESPONSE_capdu: string;
  GET_DATA_rapdus: string[];
  PSO_capdus: string[];
  PSO_rapdu: string;
  MA_capdu: string;
  MA_rapdu: string;
  GETSTATUS_plain_capdu: string;
  GETSTATUS_plain_rapdu: string;
  GETSTATUS_capdu: string;
  GETSTATUS_rapdu: string;
  derived_verified_here: Record<string, string>;
}

/** The AIDs of a legacy-format GET STATUS answer: (length, AID, life cycle, privileges)... 9000. */
export function legacyStatusAids(rapdu: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < rapdu.length - 2;) {
    const n = rapdu[at];
    out.push(rapdu.slice(at + 1, at + 1 + n));
    at += 1 + n + 2;
  }
  return out;
}

export function vectorImage(v: CardVector): CardImage {
  const sk = importPrivateKey(fromHex(v.SK_SD_pkcs8));
  return {
    eid: v.EID,
    settings: {
      dataObjects: 'gp',
      minAesKeyLength: 16,
      keyUpdateCurves: [v.curve as CurveName],
      akaAlgorithms: ['milenage', 'tuak'],
    },
    keySets: [
      {
        kid: parseInt(v.SD_KID, 16),
        kvn: parseInt(v.SD_KVN, 16),
        keyPair: sk,
        certificates: v.CERT_SD_chain.map((c) => fromHex(c)),
      },
    ],
    caKloc:
      v.PK_CA_KLOC === ''
        ? []
        : [
            {
              kvn: parseInt(v.OCE_KVN, 16),
              curve: curveByName(v.CA_curve),
              publicKey: fromHex(v.PK_CA_KLOC),
            },
          ],
    denyList: [],
    loadFiles: legacyStatusAids(fromHex(v.GETSTATUS_plain_rapdu)),
    profiles: [],
  };
}

export function vectorCard(v: CardVector): { card: VirtualCard; store: MemoryCardStore } {
  const store = new MemoryCardStore();
  const ephemeral = v.eSK_SD_pkcs8 === '' ? [] : [importPrivateKey(fromHex(v.eSK_SD_pkcs8)).privateKey];
  const card = new VirtualCard(vectorImage(v), {
    store,
    clock: new FixedClock(new Date(`${v.check_date}T00:00:00Z`)),
    rng: new FixedRandom(...ephemeral),
  });
  return { card, store };
}
