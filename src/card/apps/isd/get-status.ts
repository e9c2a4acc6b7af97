// GPC 2.3 11.4 GET STATUS: the card's registry (ISD, applications, executable load files), legacy (P2 00) or
// TLV (P2 02, E3 entries) format, filtered by the AID prefix of the 4F search qualifier.
import { concatBytes, decodeTlvs, tlv, TlvError } from '../../../bytes/index.js';
import {
  SW_INCORRECT_P1P2,
  SW_REFERENCED_DATA_NOT_FOUND,
  SW_WRONG_DATA,
  StatusWordError,
} from '../../../iso7816/index.js';
import { ISD_AID } from '../../../gp/constants.js';
import type { CardImage } from '../../image.js';

export const P1_STATUS_ISD = 0x80;
export const P1_STATUS_APPLICATIONS = 0x40;
export const P1_STATUS_LOAD_FILES = 0x20;
export const P2_STATUS_LEGACY = 0x00;
export const P2_STATUS_TLV = 0x02;
const TAG_AID = 0x4f;
const TAG_REGISTRY_ENTRY = 0xe3;
const TAG_LIFE_CYCLE = 0x9f70;
const TAG_PRIVILEGES = 0xc5;

// GPC 2.3 5.1.1 / 5.3.1 life cycle states and Table 6-1 privileges
const LCS_ISD_SECURED = 0x0f;
const LCS_APPLICATION_SELECTABLE = 0x07;
const LCS_LOAD_FILE_LOADED = 0x01;
const PRIVILEGES_ISD = 0x9e;

interface RegistryEntry {
  readonly aid: Uint8Array;
  readonly lifeCycle: number;
  readonly privileges: number;
}

function registry(image: CardImage, p1: number): RegistryEntry[] {
  switch (p1) {
    case P1_STATUS_ISD:
      return [{ aid: ISD_AID, lifeCycle: LCS_ISD_SECURED, privileges: PRIVILEGES_ISD }];
    case P1_STATUS_APPLICATIONS:
      return image.profiles.map((p) => ({
        aid: p.usimAid,
        lifeCycle: LCS_APPLICATION_SELECTABLE,
        privileges: 0,
      }));
    case P1_STATUS_LOAD_FILES:
      return image.loadFiles.map((aid) => ({ aid, lifeCycle: LCS_LOAD_FILE_LOADED, privileges: 0 }));
    default:
      throw new StatusWordError(SW_INCORRECT_P1P2, `GET STATUS: P1 ${p1.toString(16)} not supported`);
  }
}

function startsWith(aid: Uint8Array, prefix: Uint8Array): boolean {
  return prefix.length <= aid.length && prefix.every((b, i) => aid[i] === b);
}

export function getStatus(image: CardImage, p1: number, p2: number, data: Uint8Array): Uint8Array {
  if (p2 !== P2_STATUS_LEGACY && p2 !== P2_STATUS_TLV) {
    throw new StatusWordError(SW_INCORRECT_P1P2, `GET STATUS: P2 ${p2.toString(16)} not supported`);
  }
  let prefix: Uint8Array;
  try {
    const qualifier = decodeTlvs(data).find((t) => t.tag === TAG_AID);
    if (qualifier === undefined)
      throw new StatusWordError(SW_WRONG_DATA, 'GET STATUS: search qualifier 4F missing');
    prefix = qualifier.value;
  } catch (e) {
    if (e instanceof TlvError) throw new StatusWordError(SW_WRONG_DATA, `GET STATUS: ${e.message}`);
    throw e;
  }
  const entries = registry(image, p1).filter((e) => startsWith(e.aid, prefix));
  if (entries.length === 0)
    throw new StatusWordError(SW_REFERENCED_DATA_NOT_FOUND, 'GET STATUS: no matching entry');
  return concatBytes(
    ...entries.map((e) =>
      p2 === P2_STATUS_LEGACY
        ? concatBytes(Uint8Array.of(e.aid.length), e.aid, Uint8Array.of(e.lifeCycle, e.privileges))
        : tlv(
            TAG_REGISTRY_ENTRY,
            tlv(TAG_AID, e.aid),
            tlv(TAG_LIFE_CYCLE, Uint8Array.of(e.lifeCycle)),
            tlv(TAG_PRIVILEGES, Uint8Array.of(e.privileges)),
          ),
    ),
  );
}
