#!/usr/bin/env node
// Runs every compiled test file (dist/tests/**/*.test.js) with node's test runner.
// Node 20's --test takes no globs, so the files are listed here. Pass substrings to filter.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function list(dir) {
  let out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out = out.concat(list(path));
    else if (entry.name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = list('dist/tests')
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
const result = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...files], { stdio: 'inherit' });
process.exitCode = result.status ?? 1;
