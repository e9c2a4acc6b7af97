// Loads a vector file from tests/vectors/ (works from the sources run by tsx and from dist/).
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above tests/helpers');
    dir = up;
  }
  return dir;
}

export const ROOT = projectRoot();

/** Parsed JSON of tests/vectors/<name>.json. */
export function loadVectors<T = any>(name: string): T {
  return JSON.parse(readFileSync(join(ROOT, 'tests', 'vectors', `${name}.json`), 'utf8')) as T;
}
