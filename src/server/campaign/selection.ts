// Issue 11: a campaign's selection (a file of ICCIDs or IMSIs, an IMSI range, a manufacturing batch) resolved
// against the inventory. Every bad line is named with its number; one bad line and nothing is created.
import { JobError } from '../errors.js';
import type { Inventory, InventoryEntry } from '../inventory.js';
import type { MemberSeed, SelectionSpec } from './campaign.js';

const ICCID = /^[0-9]{19,20}$/;
const IMSI = /^[0-9]{15}$/;
/** Problems named in one error; the rest are counted. */
const MAX_LISTED = 20;
const COMMENT = '#';

/** A selection as the admin API takes it. */
export type Selection =
  | { readonly lines: readonly string[] }
  | { readonly imsiRange: { readonly first: string; readonly last: string } }
  | { readonly batch: string };

export interface SelectionProblem {
  /** 1-based line of the file (absent for a range or a batch). */
  readonly line?: number;
  readonly reason: string;
}

/** A selection that cannot be used; `problems` names each bad line. */
export class SelectionError extends JobError {
  override name = 'SelectionError';
  constructor(readonly problems: readonly SelectionProblem[]) {
    const listed = problems
      .slice(0, MAX_LISTED)
      .map((p) => (p.line === undefined ? p.reason : `line ${p.line}: ${p.reason}`));
    const more = problems.length > MAX_LISTED ? `; and ${problems.length - MAX_LISTED} more` : '';
    super('invalid', `selection refused, nothing created: ${listed.join('; ')}${more}`);
  }
}

export interface ResolvedSelection {
  readonly spec: SelectionSpec;
  readonly members: readonly MemberSeed[];
  /** Lines naming a profile already selected (by its ICCID or its IMSI): kept once. */
  readonly duplicates: number;
}

function seedOf(e: InventoryEntry): MemberSeed {
  return { iccid: e.iccid, imsi: e.imsi };
}

/** One ICCID or IMSI per line (the first field of a CSV line); blank lines and # comments are skipped. */
function resolveLines(lines: readonly string[], inventory: Inventory): ResolvedSelection {
  const problems: SelectionProblem[] = [];
  const members: MemberSeed[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  lines.forEach((raw, i) => {
    const line = i + 1;
    const text = raw.trim();
    if (text === '' || text.startsWith(COMMENT)) return;
    const id = text.split(/[,;\s]/, 1)[0];
    let entry: InventoryEntry | undefined;
    if (ICCID.test(id)) {
      entry = inventory.byIccid(id);
      if (entry === undefined) problems.push({ line, reason: `unknown ICCID ${id} (not in the inventory)` });
    } else if (IMSI.test(id)) {
      entry = inventory.byImsi(id);
      if (entry === undefined) problems.push({ line, reason: `unknown IMSI ${id} (not in the inventory)` });
    } else {
      problems.push({
        line,
        reason: `malformed: ${JSON.stringify(id.slice(0, 24))} is neither an ICCID (19 or 20 digits) nor an IMSI (15 digits)`,
      });
    }
    if (entry === undefined) return;
    if (seen.has(entry.iccid)) {
      duplicates++;
      return;
    }
    seen.add(entry.iccid);
    members.push(seedOf(entry));
  });
  if (problems.length === 0 && members.length === 0)
    problems.push({ reason: 'the file selects no subscriber (only blank lines or comments)' });
  if (problems.length > 0) throw new SelectionError(problems);
  return { spec: { kind: 'list', count: members.length }, members, duplicates };
}

/** Every profile whose IMSI is in [first, last] (both 15 digits), in IMSI order. */
function resolveRange(first: string, last: string, inventory: Inventory): ResolvedSelection {
  const problems: SelectionProblem[] = [];
  if (!IMSI.test(first)) problems.push({ reason: 'imsiRange.first must be 15 digits' });
  if (!IMSI.test(last)) problems.push({ reason: 'imsiRange.last must be 15 digits' });
  if (problems.length === 0 && first > last)
    problems.push({ reason: `imsiRange: first ${first} is after last ${last}` });
  if (problems.length > 0) throw new SelectionError(problems);
  const members: MemberSeed[] = [];
  for (const e of inventory.entries()) if (e.imsi >= first && e.imsi <= last) members.push(seedOf(e));
  if (members.length === 0)
    throw new SelectionError([{ reason: `no profile in the inventory has an IMSI in ${first}..${last}` }]);
  members.sort((a, b) => (a.imsi < b.imsi ? -1 : a.imsi > b.imsi ? 1 : 0));
  return { spec: { kind: 'imsi-range', first, last }, members, duplicates: 0 };
}

function resolveBatch(batch: string, inventory: Inventory): ResolvedSelection {
  const entries = inventory.byBatch(batch);
  if (entries.length === 0)
    throw new SelectionError([
      { reason: `no profile in the inventory is of batch ${JSON.stringify(batch)}` },
    ]);
  return { spec: { kind: 'batch', batch }, members: entries.map(seedOf), duplicates: 0 };
}

/** Issue 11: the members of a selection, or a SelectionError naming every bad line. */
export function resolveSelection(selection: Selection, inventory: Inventory): ResolvedSelection {
  if ('lines' in selection) return resolveLines(selection.lines, inventory);
  if ('imsiRange' in selection)
    return resolveRange(selection.imsiRange.first, selection.imsiRange.last, inventory);
  return resolveBatch(selection.batch, inventory);
}
