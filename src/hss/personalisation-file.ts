// The personalisation output file (contracts.md, written by `ltku card create --subscribers-out`), read by
// `ltku hss import`: format "ltku-subscribers/1", one entry per USIM profile with its keys. The optional
// top-level `cardKeyPins` (issue 13) and `batch` (issue 11) are the Provisioning Server's, accepted here unread.
import { BytesError, fromHex } from '../bytes/index.js';
import { InvalidRequestError } from './errors.js';
import { checkKeyMaterial, checkKeyVersion, ICCID_PATTERN, IMSI_PATTERN } from './subscriber.js';
import type { KeyMaterial, NewSubscriber } from './client/model.js';

export const SUBSCRIBERS_FORMAT = 'ltku-subscribers/1';

export interface PersonalisationFile {
  readonly eid: string | undefined;
  readonly subscribers: NewSubscriber[];
}

type Json = Record<string, unknown>;

function hexField(entry: Json, name: string, where: string): Uint8Array {
  const v = entry[name];
  if (typeof v !== 'string') throw new InvalidRequestError(`${where}.${name}`, 'missing or not a string');
  try {
    return fromHex(v, `${where}.${name}`);
  } catch (e) {
    if (e instanceof BytesError) throw new InvalidRequestError(`${where}.${name}`, 'not hex');
    throw e;
  }
}

/** Parses and checks the whole file; errors name the entry and field (e.g. `subscribers[2].opc`), never a value. */
export function parsePersonalisationFile(text: string): PersonalisationFile {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new InvalidRequestError('file', 'not JSON');
  }
  if (typeof doc !== 'object' || doc === null) throw new InvalidRequestError('file', 'not a JSON object');
  const d = doc as Json;
  if (d.format !== SUBSCRIBERS_FORMAT)
    throw new InvalidRequestError('format', `expected ${JSON.stringify(SUBSCRIBERS_FORMAT)}`);
  if (d.eid !== undefined && (typeof d.eid !== 'string' || !/^[0-9]{32}$/.test(d.eid))) {
    throw new InvalidRequestError('eid', 'expected 32 digits');
  }
  if (!Array.isArray(d.subscribers)) throw new InvalidRequestError('subscribers', 'expected an array');
  const subscribers = d.subscribers.map((raw: unknown, i: number): NewSubscriber => {
    const where = `subscribers[${i}]`;
    if (typeof raw !== 'object' || raw === null) throw new InvalidRequestError(where, 'not an object');
    const e = raw as Json;
    if (typeof e.imsi !== 'string' || !IMSI_PATTERN.test(e.imsi))
      throw new InvalidRequestError(`${where}.imsi`, 'expected 15 digits');
    if (e.iccid !== undefined && (typeof e.iccid !== 'string' || !ICCID_PATTERN.test(e.iccid))) {
      throw new InvalidRequestError(`${where}.iccid`, 'expected 19 or 20 digits');
    }
    const algorithm = e.algorithm;
    if (algorithm !== 'milenage' && algorithm !== 'tuak')
      throw new InvalidRequestError(`${where}.algorithm`, 'expected milenage or tuak');
    const keys: KeyMaterial = {
      algorithm,
      k: hexField(e, 'k', where),
      opc: hexField(e, algorithm === 'milenage' ? 'opc' : 'topc', where),
      ...(algorithm === 'tuak' && e.tuak !== undefined ? { tuak: e.tuak as KeyMaterial['tuak'] } : {}),
    };
    const keyVersion = e.keyVersion === undefined ? 1 : Number(e.keyVersion);
    checkKeyVersion(keyVersion, `${where}.keyVersion`);
    const amf = e.amf === undefined ? undefined : hexField(e, 'amf', where);
    if (amf !== undefined && amf.length !== 2)
      throw new InvalidRequestError(`${where}.amf`, 'expected 2 bytes');
    return {
      imsi: e.imsi,
      ...(typeof e.iccid === 'string' ? { iccid: e.iccid } : {}),
      ...(amf ? { amf } : {}),
      keyVersion,
      keys: checkKeyMaterial(keys, `${where}.`),
    };
  });
  return { eid: typeof d.eid === 'string' ? d.eid : undefined, subscribers };
}
