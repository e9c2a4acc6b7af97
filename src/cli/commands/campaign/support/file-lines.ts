// Issue 11: a selection file read a piece at a time (a file of 1M ICCIDs is never held whole): its lines in
// order, each reduced to the field the server reads (the first CSV field; other columns, which may hold keys,
// never leave the machine).
import { createReadStream } from 'node:fs';

const LINE_END = '\n';
const CARRIAGE_RETURN = '\r';
const COMMENT = '#';
/** The server takes lines this long at most (server/campaign/routes.ts); a longer first field is malformed anyway. */
export const MAX_FIELD_LENGTH = 200;

/** The lines of a file, without their line ends (a last line without one included). */
export async function* fileLines(path: string): AsyncGenerator<string> {
  let rest = '';
  // The stream's async iterator reads the next piece only when the loop asks: memory stays one piece.
  for await (const piece of createReadStream(path, { encoding: 'utf8' })) {
    const lines = (rest + (piece as string)).split(LINE_END);
    rest = lines.pop() ?? '';
    for (const line of lines) yield line.endsWith(CARRIAGE_RETURN) ? line.slice(0, -1) : line;
  }
  if (rest !== '') yield rest;
}

/** What of a line the server needs: its first field, trimmed; '' for a blank line or a comment. */
export function selectionField(line: string): string {
  const text = line.trim();
  if (text === '' || text.startsWith(COMMENT)) return '';
  return text.split(/[,;\s]/, 1)[0].slice(0, MAX_FIELD_LENGTH);
}
