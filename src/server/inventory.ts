// The card inventory (EID -> profiles), imported from personalisation files ("ltku-subscribers/1",
// contracts.md). Only identifiers and the card's key pins (issue 13) are kept; the keys in those files are
// ignored here.
import { BytesError, fromHex } from '../bytes/index.js';
import { CARD_KEY_PIN_LENGTH, type CardKeyPin } from '../pki/index.js';
import { ServerConfigError } from './errors.js';

export interface InventoryEntry {
  readonly eid: string;
  readonly iccid: string;
  readonly imsi: string;
  readonly algorithm: 'milenage' | 'tuak';
  /** Issue 13: the card's key pins (`cardKeyPins`); absent in files written before pinning. */
  readonly cardKeyPins?: readonly CardKeyPin[];
}

const FORMAT = 'ltku-subscribers/1';
const EID = /^[0-9]{32}$/;
const ICCID = /^[0-9]{19,20}$/;
const IMSI = /^[0-9]{15}$/;

/** GPC Amd F: KID and KVN are one byte each. */
function isByte(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xff;
}

/** Issue 13: `cardKeyPins`, optional (files written before pinning lack it). */
function parsePins(raw: unknown, source: string): CardKeyPin[] | undefined {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw)) throw new ServerConfigError(`${source}: cardKeyPins must be an array`);
  return raw.map((p: unknown, i: number): CardKeyPin => {
    const e = (p ?? {}) as Record<string, unknown>;
    const where = `${source}: cardKeyPins[${i}]`;
    if (!isByte(e.kid) || !isByte(e.kvn)) throw new ServerConfigError(`${where}: kid and kvn must be 0..255`);
    let sha256: Uint8Array | undefined;
    try {
      if (typeof e.pkSdEckaSha256 === 'string') sha256 = fromHex(e.pkSdEckaSha256, 'pkSdEckaSha256');
    } catch (err) {
      if (!(err instanceof BytesError)) throw err;
    }
    if (sha256?.length !== CARD_KEY_PIN_LENGTH)
      throw new ServerConfigError(`${where}.pkSdEckaSha256 must be ${CARD_KEY_PIN_LENGTH} bytes of hex`);
    return { kid: e.kid, kvn: e.kvn, sha256 };
  });
}

/** The identifiers of a personalisation file; errors name the field, never a value. */
export function parseInventoryFile(text: string, source = 'inventory'): InventoryEntry[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new ServerConfigError(`${source}: not JSON`);
  }
  const d = doc as Record<string, unknown> | null;
  if (typeof d !== 'object' || d === null || d.format !== FORMAT) {
    throw new ServerConfigError(`${source}: format must be "${FORMAT}"`);
  }
  if (typeof d.eid !== 'string' || !EID.test(d.eid))
    throw new ServerConfigError(`${source}: eid must be 32 digits`);
  const eid = d.eid;
  const pins = parsePins(d.cardKeyPins, source);
  if (!Array.isArray(d.subscribers)) throw new ServerConfigError(`${source}: subscribers must be an array`);
  return d.subscribers.map((raw: unknown, i: number): InventoryEntry => {
    const e = (raw ?? {}) as Record<string, unknown>;
    const where = `${source}: subscribers[${i}]`;
    if (typeof e.iccid !== 'string' || !ICCID.test(e.iccid))
      throw new ServerConfigError(`${where}.iccid must be 19 or 20 digits`);
    if (typeof e.imsi !== 'string' || !IMSI.test(e.imsi))
      throw new ServerConfigError(`${where}.imsi must be 15 digits`);
    if (e.algorithm !== 'milenage' && e.algorithm !== 'tuak')
      throw new ServerConfigError(`${where}.algorithm must be milenage or tuak`);
    return {
      eid,
      iccid: e.iccid,
      imsi: e.imsi,
      algorithm: e.algorithm,
      ...(pins === undefined ? {} : { cardKeyPins: pins }),
    };
  });
}

export class Inventory {
  readonly #byIccid = new Map<string, InventoryEntry>();

  constructor(entries: readonly InventoryEntry[] = []) {
    this.add(entries);
  }

  add(entries: readonly InventoryEntry[]): void {
    for (const e of entries) this.#byIccid.set(e.iccid, e);
  }

  byIccid(iccid: string): InventoryEntry | undefined {
    return this.#byIccid.get(iccid);
  }

  byImsi(imsi: string): InventoryEntry | undefined {
    return [...this.#byIccid.values()].find((e) => e.imsi === imsi);
  }

  byEid(eid: string): InventoryEntry[] {
    return [...this.#byIccid.values()].filter((e) => e.eid === eid);
  }

  /** Issue 13: the pins of the card with this EID from its personalisation file (empty: none recorded). */
  pinsOf(eid: string): CardKeyPin[] {
    return (
      this.byEid(eid)
        .find((e) => (e.cardKeyPins?.length ?? 0) > 0)
        ?.cardKeyPins?.slice() ?? []
    );
  }

  get size(): number {
    return this.#byIccid.size;
  }
}
