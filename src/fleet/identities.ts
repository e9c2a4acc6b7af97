// Fleet personalisation: the card factory of `ltku card create` (card/personalise.ts) run N times with one issuer,
// with identities numbered instead of drawn at random, so that a fleet of a million profiles has no two IMSIs or
// ICCIDs alike (random 10-digit MSINs collide after ~10^5 draws, by the birthday bound).
import { luhnCheckDigit, personaliseCard, type CardImage, type PersonaliseOptions } from '../card/index.js';
import { FleetConfigError } from './errors.js';

const IMSI_DIGITS = 15;
/** ITU-T E.118: 89 (telecommunications), then 01 (a test country code), then the number, then Luhn: 19 digits. */
const ICCID_FLEET_PREFIX = '8901';
const ICCID_BODY_DIGITS = 18;

export interface FleetNumbering {
  /** MCC MNC, 5 or 6 digits. */
  readonly imsiPrefix: string;
  /** The first profile's MSIN (the IMSI's digits after the prefix); each profile takes the next. */
  readonly firstMsin: number;
}

/** TS 23.003 2.2 IMSI = MCC MNC MSIN (15 digits) and an ITU-T E.118 ICCID, both from the profile's number. */
export function fleetProfileIds(n: FleetNumbering, profile: number): { imsi: string; iccid: string } {
  const msinDigits = IMSI_DIGITS - n.imsiPrefix.length;
  const msin = n.firstMsin + profile;
  if (!Number.isSafeInteger(msin) || String(msin).length > msinDigits)
    throw new FleetConfigError(`profile number ${msin} does not fit the ${msinDigits}-digit MSIN`);
  const body = ICCID_FLEET_PREFIX + String(msin).padStart(ICCID_BODY_DIGITS - ICCID_FLEET_PREFIX.length, '0');
  return { imsi: n.imsiPrefix + String(msin).padStart(msinDigits, '0'), iccid: body + luhnCheckDigit(body) };
}

/** Card number `card` of the fleet: personalised as `ltku card create` does, its profiles numbered. */
export function personaliseFleetCard(o: PersonaliseOptions, n: FleetNumbering, card: number): CardImage {
  const image = personaliseCard(o);
  return {
    ...image,
    profiles: image.profiles.map((p, i) => ({ ...p, ...fleetProfileIds(n, card * o.profiles + i) })),
  };
}
