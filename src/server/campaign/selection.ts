// Issue 11: a campaign's selection (a file of ICCIDs or IMSIs, an IMSI range, a manufacturing batch) resolved
// against the inventory. Every bad line is named with its number; one bad line and nothing is created.
import { JobError } from '../errors.js';
import type { Inventory, InventoryEntry } from '../inventory.js';
import {
  MAX_NAMED_PROBLEMS,
  type MemberSeed,
  type SelectionProblem,
  type SelectionSpec,
} from './campaign.js';

const ICCID = /^[0-9]{19,20}$/;
const IMSI = /^[0-9]{15}$/;
const COMMENT = '#';
/** A malformed field longer than this is not quoted in an error (it may be key material: a Ki is 32 hex digits). */
const QUOTED_MAX = 20;

/** A selection as the admin API takes it. */
export type Selection =
  | { readonly lines: readonly string[] }
  | { readonly imsiRange: { readonly first: string; readonly last: string } }
  | { readonly batch: string };

/** A file of only blank lines and comments. */
export const NOTHING_SELECTED: SelectionProblem = {
  reason: 'the file selects no subscriber (only blank lines or comments)',
};

/** The message of a refused selection: at most MAX_NAMED_PROBLEMS named, the rest counted. */
export function selectionRefusal(
  problems: readonly SelectionProblem[],
  count = problems.length,
  outcome = 'nothing created',
): string {
  const listed = problems
    .slice(0, MAX_NAMED_PROBLEMS)
    .map((p) => (p.line === undefined ? p.reason : `line ${p.line}: ${p.reason}`));
  const rest = count - listed.length;
  return `selection refused, ${outcome}: ${listed.join('; ')}${rest > 0 ? `; and ${rest} more` : ''}`;
}

/** A selection that cannot be used; `problems` names the bad lines (`count` of them in all). */
export class SelectionError extends JobError {
  override name = 'SelectionError';
  constructor(
    readonly problems: readonly SelectionProblem[],
    readonly count = problems.length,
    outcome?: string,
  ) {
    super('invalid', selectionRefusal(problems, count, outcome));
  }
}

export interface ResolvedSelection {
  readonly spec: SelectionSpec;
  readonly members: readonly MemberSeed[];
  /** Lines naming a profile already selected (by its ICCID or its IMSI): kept once. */
  readonly duplicates: number;
}

/** Lines of a file resolved against the inventory (a whole file, or one chunk of it). */
export interface ResolvedLines {
  /** Each profile once, in the order of the lines. */
  readonly members: MemberSeed[];
  readonly problems: SelectionProblem[];
  /** Lines naming a profile already in `members`. */
  readonly duplicates: number;
}

function seedOf(e: InventoryEntry): MemberSeed {
  return { iccid: e.iccid, imsi: e.imsi };
}

function malformed(id: string): string {
  const what = id.length <= QUOTED_MAX ? JSON.stringify(id) : `a field of ${id.length} characters`;
  return `malformed: ${what} is neither an ICCID (19 or 20 digits) nor an IMSI (15 digits)`;
}

/**
 * One ICCID or IMSI per line (the first field of a CSV line); blank lines and # comments are skipped. `firstLine`
 * is the file's line number of `lines[0]` (a chunk of a larger file).
 */
export function resolveLines(lines: readonly string[], inventory: Inventory, firstLine = 1): ResolvedLines {
  const problems: SelectionProblem[] = [];
  const members: MemberSeed[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  lines.forEach((raw, i) => {
    const line = firstLine + i;
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
      problems.push({ line, reason: malformed(id) });
    }
    if (entry === undefined) return;
    if (seen.has(entry.iccid)) {
      duplicates++;
      return;
    }
    seen.add(entry.iccid);
    members.push(seedOf(entry));
  });
  return { members, problems, duplicates };
}

/** The selection of a whole file in one request. */
function resolveFile(lines: readonly string[], inventory: Inventory): ResolvedSelection {
  const { members, problems, duplicates } = resolveLines(lines, inventory);
  if (problems.length === 0 && members.length === 0) problems.push(NOTHING_SELECTED);
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
  if ('lines' in selection) return resolveFile(selection.lines, inventory);
  if ('imsiRange' in selection)
    return resolveRange(selection.imsiRange.first, selection.imsiRange.last, inventory);
  return resolveBatch(selection.batch, inventory);
}
