// Issue 11: the bulk form of the personalisation output file, for fleets of cards: JSON Lines (one JSON object per
// line, RFC 8259 each), every line one card's "ltku-subscribers/1" document as `card create --subscribers-out`
// writes it (without the indentation). One file for N cards; read line by line, so a million subscribers stream.
import { InvalidRequestError } from './errors.js';
import { parsePersonalisationFile, type PersonalisationFile } from './personalisation-file.js';

/** A bulk file's first line is a whole JSON object; an indented single document's first line is `{`. */
export function isPersonalisationLines(firstLine: string): boolean {
  const line = firstLine.trim();
  if (!line.startsWith('{') || !line.endsWith('}')) return false;
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
}

/** One line of a bulk file (1-based `lineNumber` in errors, never a value). */
export function parsePersonalisationLine(line: string, lineNumber: number): PersonalisationFile {
  try {
    return parsePersonalisationFile(line);
  } catch (e) {
    if (e instanceof InvalidRequestError)
      throw new InvalidRequestError(`line ${lineNumber}: ${e.field}`, e.message.slice(e.field.length + 2));
    throw e;
  }
}
