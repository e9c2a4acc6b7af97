// Issue 11: the inventory of a whole fleet in one file: JSON Lines, each line one card's "ltku-subscribers/1"
// document (`ltku fleet create --inventory-out`); a single indented document is read as before (inventory.ts).
import { parseInventoryFile, type InventoryEntry } from './inventory.js';

/** A bulk file's first line is a whole JSON object; an indented single document's first line is `{`. */
function isJsonLines(text: string): boolean {
  const end = text.indexOf('\n');
  const first = (end < 0 ? text : text.slice(0, end)).trim();
  if (end < 0 || !first.startsWith('{') || !first.endsWith('}')) return false;
  try {
    JSON.parse(first);
    return true;
  } catch {
    return false;
  }
}

/** The identifiers of a personalisation file or of its bulk form; errors name the line and field, never a value. */
export function parseInventoryText(text: string, source = 'inventory'): InventoryEntry[] {
  if (!isJsonLines(text)) return parseInventoryFile(text, source);
  const entries: InventoryEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    for (const e of parseInventoryFile(lines[i], `${source} line ${i + 1}`)) entries.push(e);
  }
  return entries;
}
