#!/usr/bin/env node
// Entry point: the compiled CLI lives in dist/ (built by `npm ci` through the prepare script).
import('../dist/src/cli/main.js').then((m) => m.main(process.argv.slice(2))).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`ltku: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
