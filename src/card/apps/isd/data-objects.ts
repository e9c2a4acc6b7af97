// The ISD's data objects built from the card image: E0 (GPC 11.3.3.1), BF30 (DESIGN.md 4.4), FF33 (GPC Amd F
// 7.4.2), BF21 (GPC Amd F 7.4.1), and the card's own negotiation digest over E0 and BF30.
import { curveByName } from '../../../crypto/index.js';
import { caKeyId } from '../../../pki/index.js';
import { KID_CA_KLOC, KID_SCP11A, KID_SCP11C } from '../../../gp/constants.js';
import { iParameterOf, variantOfKid } from '../../../gp/scp11/index.js';
import {
  caKeyInformation,
  decodeCapabilities,
  encodeCaKlocIdentifiers,
  encodeCapabilities,
  encodeCertificateStore,
  encodeKeyInformation,
  scp11KeyInformation,
  type Capabilities,
  type KeyInformation,
} from '../../../gp/data-objects/index.js';
import { ALGORITHM_MILENAGE, ALGORITHM_TUAK, negotiationDigest } from '../../../gp/key-update/index.js';
import type { CardImage, CardKeySet } from '../../image.js';

const AES_KEY_LENGTHS = [16, 24, 32];

export function keyInformationOf(image: CardImage): KeyInformation[] {
  return [
    ...image.keySets.map((k) =>
      scp11KeyInformation(k.kid, k.kvn, k.keyPair.curve.fieldSize, k.keyPair.curve.gpId),
    ),
    ...image.caKloc.map((c) => caKeyInformation(KID_CA_KLOC, c.kvn, c.curve.fieldSize, c.curve.gpId)),
  ];
}

/** GET DATA 00E0 in the card's form. */
export function keyInformationObject(image: CardImage): Uint8Array {
  return encodeKeyInformation(keyInformationOf(image), image.settings.dataObjects);
}

// DESIGN.md 4.4: 80 and 84 describe the key sets accepted for key update, which needs an authenticated OCE
// (SCP11a or SCP11c).
export function capabilitiesOf(image: CardImage): Capabilities {
  const s = image.settings;
  const variants = new Set<number>();
  for (const k of image.keySets) {
    const variant = variantOfKid(k.kid);
    if (variant !== undefined && (k.kid === KID_SCP11A || k.kid === KID_SCP11C))
      variants.add(iParameterOf(variant));
  }
  return {
    curveIds: s.keyUpdateCurves.map((n) => curveByName(n).gpId),
    aesKeyLengths: AES_KEY_LENGTHS.filter((l) => l >= s.minAesKeyLength),
    akaAlgorithms: s.akaAlgorithms.map((a) => (a === 'milenage' ? ALGORITHM_MILENAGE : ALGORITHM_TUAK)),
    minAesKeyLength: s.minAesKeyLength,
    scp11Variants: [...variants].sort((a, b) => a - b),
  };
}

export function capabilitiesObject(image: CardImage): Uint8Array {
  return encodeCapabilities(capabilitiesOf(image));
}

export function caKlocIdentifiersObject(image: CardImage): Uint8Array {
  return encodeCaKlocIdentifiers(
    image.caKloc.map((c) => ({ keyId: caKeyId(c.publicKey), kid: KID_CA_KLOC, kvn: c.kvn })),
  );
}

export function certificateStoreObject(image: CardImage, keySet: CardKeySet): Uint8Array {
  return encodeCertificateStore(keySet.certificates, image.settings.dataObjects);
}

/** DESIGN.md 4.4: SHA-256(value of E0 || value of BF30) of the card's own objects. */
export function ownNegotiationDigest(image: CardImage): Uint8Array {
  const e0Value = encodeKeyInformation(keyInformationOf(image), 'bare');
  return negotiationDigest(e0Value, decodeCapabilities(capabilitiesObject(image)).value);
}
