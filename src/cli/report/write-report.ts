// Writes a run report to its file (the I/O edge of cli/report; rendering is pure in render.ts).
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import type { RunReport } from './events.js';
import { renderReport } from './render.js';

export function writeReport(path: string, report: RunReport): void {
  writeFileSync(path, renderReport(report));
}

/** The --report FILE option, resolved; a usage error before the run when its directory does not exist. */
export function reportPath(value: string): string {
  const path = resolve(value);
  if (!existsSync(dirname(path)) || !statSync(dirname(path)).isDirectory()) {
    throw new UsageError(`--report: no directory ${dirname(path)} to write ${basename(path)} into`);
  }
  return path;
}
