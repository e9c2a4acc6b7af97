// Personalisation: a new card image (EID, SCP11a key sets with CERT.SD.ECKA, trusted CA-KLOC keys, profiles
// with fresh K/OPc), and the personalisation output file an operator's HSS imports (the lead's contract
// "ltku-subscribers/1"). Randomness and time are injected; certificates are issued by pki/.
import { concatBytes, toHex } from '../bytes/index.js';
import { generateKeyPair, type Curve, type EcKeyPair, type RandomSource } from '../crypto/index.js';
import { TUAK_DEFAULT_PARAMS, UsimSqnArray, type AkaAlgorithm } from '../aka/index.js';
import { kidOfVariant, variantOfKid, type Scp11Variant } from '../gp/scp11/index.js';
import type { DataObjectForm } from '../gp/data-objects/index.js';
import type { TuakParameters } from '../gp/key-update/index.js';
import { cardKeyPin, issueGpCertificate, issueX509Certificate, type NameInput } from '../pki/index.js';
import type { CardCaKey, CardImage, CardKeySet, CardProfile } from './image.js';

/** TS 31.102 / ETSI TS 101 220 Annex E: RID A000000087, application code 1002 (3GPP USIM), then our extension. */
export const USIM_AID_PREFIX = Uint8Array.of(
  0xa0,
  0x00,
  0x00,
  0x00,
  0x87,
  0x10,
  0x02,
  0xff,
  0x49,
  0xff,
  0x05,
  0x89,
);
export const SUBSCRIBERS_FORMAT = 'ltku-subscribers/1';
export const DEFAULT_AMF = '8000';
const IMSI_DIGITS = 15;
const ICCID_DIGITS = 19;
/** ITU-T E.118: major industry identifier 89 (telecommunications). */
const ICCID_PREFIX = '89';

export interface SdCertificateIssuer {
  readonly keyPair: EcKeyPair;
  /** X.509 issuer name (must match the CA certificate's subject). */
  readonly name: NameInput;
  /** A fresh serial for each certificate (the PKI's counter). */
  nextSerial(): Uint8Array;
}

export interface PersonaliseOptions {
  readonly eid: string;
  readonly profiles: number;
  readonly algorithm: AkaAlgorithm;
  /** MCC MNC, 5 or 6 digits. */
  readonly imsiPrefix: string;
  /** One key set per curve and variant; the curves' KVNs are 1, 2, ... in this order. */
  readonly curves: readonly Curve[];
  /** SCP11 variants to hold key sets for (default a only; key update needs a or c). */
  readonly variants?: readonly Scp11Variant[];
  readonly sdCertificateFormat: 'gp' | 'x509';
  readonly issuer: SdCertificateIssuer;
  readonly trustedOceCas: readonly Omit<CardCaKey, 'kvn'>[];
  /** GPC Amd F 7.5: OCE certificate serials every SCP11a/c key set accepts (absent or empty: any). */
  readonly oceAllowlist?: readonly Uint8Array[];
  /** GPC Amd F 7.5, KID 10 form (yubikit): serials set on every trusted CA-KLOC key; every chain certificate must be listed. */
  readonly caKlocOceAllowlist?: readonly Uint8Array[];
  readonly dataObjects: DataObjectForm;
  readonly minAesKeyLength: 16 | 24 | 32;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly rng: RandomSource;
}

function randomDigits(rng: RandomSource, count: number): string {
  let out = '';
  while (out.length < count) {
    for (const b of rng.randomBytes(count - out.length))
      if (b < 250 && out.length < count) out += String(b % 10);
  }
  return out;
}

// ITU-T E.118 / ISO/IEC 7812: the Luhn check digit
export function luhnCheckDigit(digits: string): string {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 0x30;
    if (i % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

/** Fresh keys that pass the card's own policy (DESIGN.md 4.5 check 8). */
function freshKey(rng: RandomSource, length: number): Uint8Array {
  for (;;) {
    const k = rng.randomBytes(length);
    if (!k.every((b) => b === k[0])) return k;
  }
}

function newProfile(o: PersonaliseOptions, index: number): CardProfile {
  const imsi = o.imsiPrefix + randomDigits(o.rng, IMSI_DIGITS - o.imsiPrefix.length);
  const body = ICCID_PREFIX + randomDigits(o.rng, ICCID_DIGITS - 1 - ICCID_PREFIX.length);
  const tuak = o.algorithm === 'tuak';
  return {
    iccid: body + luhnCheckDigit(body),
    imsi,
    usimAid: concatBytes(USIM_AID_PREFIX, Uint8Array.of(index >> 8, index & 0xff)),
    keyVersion: 1,
    keys: { algorithm: o.algorithm, k: freshKey(o.rng, 16), opc: freshKey(o.rng, tuak ? 32 : 16) },
    sqn: new UsimSqnArray().toJSON(),
  };
}

function newKeySet(o: PersonaliseOptions, curve: Curve, kvn: number, kid: number): CardKeySet {
  const keyPair = generateKeyPair(curve, o.rng);
  const common = {
    issuer: o.issuer.keyPair,
    serial: o.issuer.nextSerial(),
    eid: o.eid,
    keyUsage: 'keyAgreement' as const,
    notBefore: o.notBefore,
    notAfter: o.notAfter,
    subjectPublicKey: keyPair.publicKey,
    curve,
  };
  const certificate =
    o.sdCertificateFormat === 'gp'
      ? issueGpCertificate(common)
      : issueX509Certificate({
          ...common,
          subjectName: {
            organization: o.issuer.name.organization,
            commonName: 'CERT.SD.ECKA',
            serialNumber: o.eid,
          },
          issuerName: o.issuer.name,
        });
  const allowlist = o.oceAllowlist ?? [];
  const restricted = allowlist.length > 0 && variantOfKid(kid) !== 'b';
  return {
    kid,
    kvn,
    keyPair,
    certificates: [certificate],
    ...(restricted ? { oceAllowlist: allowlist.map((s) => s.slice()) } : {}),
  };
}

export function personaliseCard(o: PersonaliseOptions): CardImage {
  if (!Number.isInteger(o.profiles) || o.profiles < 1 || o.profiles > 255) {
    throw new RangeError(`profiles: ${o.profiles} is not 1..255`);
  }
  if (!/^[0-9]{5,6}$/.test(o.imsiPrefix)) throw new RangeError('IMSI prefix must be MCC MNC (5 or 6 digits)');
  return {
    eid: o.eid,
    settings: {
      dataObjects: o.dataObjects,
      minAesKeyLength: o.minAesKeyLength,
      keyUpdateCurves: o.curves.map((c) => c.name),
      akaAlgorithms: ['milenage', 'tuak'],
    },
    keySets: o.curves.flatMap((c, i) =>
      (o.variants ?? ['a']).map((v) => newKeySet(o, c, i + 1, kidOfVariant(v))),
    ),
    caKloc: o.trustedOceCas.map((c, i) => ({
      ...c,
      kvn: i + 1,
      ...((o.caKlocOceAllowlist ?? []).length > 0
        ? { oceAllowlist: o.caKlocOceAllowlist!.map((s) => s.slice()) }
        : {}),
    })),
    denyList: [],
    loadFiles: [USIM_AID_PREFIX],
    profiles: Array.from({ length: o.profiles }, (_, i) => newProfile(o, i + 1)),
  };
}

/** The personalisation output file (contract "ltku-subscribers/1"); it holds keys: write it with mode 0600. */
export function subscribersFile(image: CardImage): object {
  return {
    format: SUBSCRIBERS_FORMAT,
    eid: image.eid,
    // Issue 13: the card's pins (pki/card-key-pin.ts), one per key set; the server refuses any other key
    cardKeyPins: image.keySets.map((ks) => ({
      kid: ks.kid,
      kvn: ks.kvn,
      pkSdEckaSha256: toHex(cardKeyPin(ks.kid, ks.kvn, ks.keyPair.publicKey).sha256),
    })),
    subscribers: image.profiles.map((p) => {
      const tuak = p.keys.algorithm === 'tuak';
      const params: Omit<TuakParameters, 'kind'> =
        p.keys.parameters?.kind === 'tuak' ? p.keys.parameters : {};
      return {
        iccid: p.iccid,
        imsi: p.imsi,
        algorithm: p.keys.algorithm,
        k: toHex(p.keys.k),
        ...(tuak ? { topc: toHex(p.keys.opc) } : { opc: toHex(p.keys.opc) }),
        keyVersion: p.keyVersion,
        ...(tuak
          ? {
              tuak: {
                keccakIterations: params.keccakIterations ?? TUAK_DEFAULT_PARAMS.keccakIterations,
                macLength: params.macLength ?? TUAK_DEFAULT_PARAMS.macLength,
                resLength: params.resLength ?? TUAK_DEFAULT_PARAMS.resLength,
                ckLength: params.ckLength ?? TUAK_DEFAULT_PARAMS.ckLength,
                ikLength: params.ikLength ?? TUAK_DEFAULT_PARAMS.ikLength,
              },
            }
          : {}),
        amf: DEFAULT_AMF,
      };
    }),
  };
}
