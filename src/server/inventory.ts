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
  /** Issue 11: the manufacturing batch (TR 33.834 key issue #2: a batch of keys exposed); optional. */
  readonly batch?: string;
}

const FORMAT = 'ltku-subscribers/1';
const EID = /^[0-9]{32}$/;
const ICCID = /^[0-9]{19,20}$/;
const IMSI = /^[0-9]{15}$/;
/** A batch id as personalisation centres print them: letters, digits and . _ - (1..64). */
export const BATCH_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

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

/** Issue 11: `batch`, optional, of the file or of one subscriber (which then wins). */
function parseBatch(raw: unknown, where: string): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !BATCH_ID.test(raw))
    throw new ServerConfigError(`${where}batch must be 1 to 64 letters, digits, '.', '_' or '-'`);
  return raw;
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
  const fileBatch = parseBatch(d.batch, `${source}: `);
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
    const batch = parseBatch(e.batch, `${where}.`) ?? fileBatch;
    return {
      eid,
      iccid: e.iccid,
      imsi: e.imsi,
      algorithm: e.algorithm,
      ...(pins === undefined ? {} : { cardKeyPins: pins }),
      ...(batch === undefined ? {} : { batch }),
    };
  });
}

/** Issue 11: every lookup is one Map access (1M profiles), by ICCID, IMSI, EID and batch. */
export class Inventory {
  readonly #byIccid = new Map<string, InventoryEntry>();
  readonly #byImsi = new Map<string, InventoryEntry>();
  readonly #byEid = new Map<string, InventoryEntry[]>();
  readonly #byBatch = new Map<string, InventoryEntry[]>();

  constructor(entries: readonly InventoryEntry[] = []) {
    this.add(entries);
  }

  /** Adds or replaces entries (by ICCID); a replaced entry leaves every index. */
  add(entries: readonly InventoryEntry[]): void {
    for (const e of entries) {
      const old = this.#byIccid.get(e.iccid);
      if (old !== undefined) this.#unindex(old);
      this.#byIccid.set(e.iccid, e);
      if (!this.#byImsi.has(e.imsi)) this.#byImsi.set(e.imsi, e); // the first holder, as a scan found it
      pushTo(this.#byEid, e.eid, e);
      if (e.batch !== undefined) pushTo(this.#byBatch, e.batch, e);
    }
  }

  #unindex(e: InventoryEntry): void {
    if (this.#byImsi.get(e.imsi) === e) this.#byImsi.delete(e.imsi);
    removeFrom(this.#byEid, e.eid, e);
    if (e.batch !== undefined) removeFrom(this.#byBatch, e.batch, e);
  }

  byIccid(iccid: string): InventoryEntry | undefined {
    return this.#byIccid.get(iccid);
  }

  byImsi(imsi: string): InventoryEntry | undefined {
    return this.#byImsi.get(imsi);
  }

  byEid(eid: string): InventoryEntry[] {
    return (this.#byEid.get(eid) ?? []).slice();
  }

  /** Issue 11: the profiles of a manufacturing batch, in the order they were added. */
  byBatch(batch: string): readonly InventoryEntry[] {
    return this.#byBatch.get(batch) ?? [];
  }

  /** Every profile, in the order added (for IMSI ranges: one pass, no copy). */
  entries(): IterableIterator<InventoryEntry> {
    return this.#byIccid.values();
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

function pushTo(index: Map<string, InventoryEntry[]>, key: string, e: InventoryEntry): void {
  const list = index.get(key);
  if (list === undefined) index.set(key, [e]);
  else list.push(e);
}

function removeFrom(index: Map<string, InventoryEntry[]>, key: string, e: InventoryEntry): void {
  const list = index.get(key);
  if (list === undefined) return;
  const rest = list.filter((x) => x !== e);
  if (rest.length === 0) index.delete(key);
  else index.set(key, rest);
}
