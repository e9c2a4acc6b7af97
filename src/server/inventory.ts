// The card inventory (EID -> profiles), imported from personalisation files ("ltku-subscribers/1",
// contracts.md). Only identifiers are kept; the keys in those files are ignored here.
import { ServerConfigError } from './errors.js';

export interface InventoryEntry {
  readonly eid: string;
  readonly iccid: string;
  readonly imsi: string;
  readonly algorithm: 'milenage' | 'tuak';
}

const FORMAT = 'ltku-subscribers/1';
const EID = /^[0-9]{32}$/;
const ICCID = /^[0-9]{19,20}$/;
const IMSI = /^[0-9]{15}$/;

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
    return { eid, iccid: e.iccid, imsi: e.imsi, algorithm: e.algorithm };
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

  get size(): number {
    return this.#byIccid.size;
  }
}
