// Runs `ltku pki <verb> ...` through the real CLI entry (tests/helpers/cli.ts runCli). When the tests run from
// the TypeScript sources (node --import tsx), src/cli/main.ts does not list `.ts` verbs, so runCli answers
// "unknown command"; then the same command module is run with the same option parsing main.ts applies.
import { PassThrough } from 'node:stream';
import { parseArgs } from 'node:util';
import type { Command } from '../../src/cli/command.js';
import { UsageError } from '../../src/cli/errors.js';
import { runCli, type CliResult } from '../helpers/cli.js';

export async function runPki(argv: string[]): Promise<CliResult> {
  const viaMain = await runCli(['pki', ...argv]);
  if (!(viaMain.code === 2 && /unknown command/.test(viaMain.stderr))) return viaMain;
  const [verb, ...args] = argv;
  const { command } = (await import(`../../src/cli/commands/pki/${verb}.js`)) as { command: Command };
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  let code: number;
  try {
    const parsed = parseArgs({
      args,
      options: command.options,
      allowPositionals: command.allowPositionals ?? false,
      strict: true,
    });
    code = await command.run({
      stdout,
      stderr,
      env: process.env,
      stopSignal: new Promise(() => {}),
      values: parsed.values,
      positionals: parsed.positionals,
    });
  } catch (e) {
    const usage = e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    err += `ltku pki ${verb}: ${(e as Error).message}\n`;
    code = usage ? 2 : 1;
  }
  return { code, stdout: out, stderr: err };
}
