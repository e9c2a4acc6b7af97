// Human and machine output: one JSON object per command with --json, or an aligned table.

export function printJson(out: NodeJS.WritableStream, value: unknown): void {
  out.write(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n');
}

/** Two aligned columns: name, value. */
export function printTable(out: NodeJS.WritableStream, rows: readonly (readonly [string, string])[]): void {
  const width = Math.max(0, ...rows.map(([k]) => k.length));
  for (const [k, v] of rows) out.write(`${k.padEnd(width)}  ${v}\n`);
}
