// `ltku <noun> <verb> [options]`: finds cli/commands/<noun>/<verb>.js, parses its options, runs it.
// `ltku demo` is cli/commands/demo/run.js (a noun whose only verb is `run`).
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Command, CommandIo } from './command.js';
import { UsageError } from './errors.js';

const COMMANDS_DIR = new URL('./commands/', import.meta.url);
const DEFAULT_VERB = 'run';

function listNouns(): string[] {
  return readdirSync(fileURLToPath(COMMANDS_DIR), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

function listVerbs(noun: string): string[] {
  try {
    return [
      ...new Set(
        readdirSync(fileURLToPath(new URL(`${noun}/`, COMMANDS_DIR)))
          .filter((f) => /\.(js|ts)$/.test(f) && !f.endsWith('.d.ts'))
          .map((f) => f.slice(0, -3)),
      ),
    ].sort();
  } catch {
    return [];
  }
}

async function loadCommand(noun: string, verb: string): Promise<Command | undefined> {
  if (!/^[a-z0-9-]+$/.test(noun) || !/^[a-z0-9-]+$/.test(verb)) return undefined;
  if (!listVerbs(noun).includes(verb)) return undefined;
  // Compiled (dist/) the files end in .js; run from the sources (tsx) they end in .ts.
  const extension = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  const module = (await import(new URL(`${noun}/${verb}.${extension}`, COMMANDS_DIR).href)) as {
    command: Command;
  };
  return module.command;
}

async function overview(only?: string): Promise<string> {
  const lines = ['usage: ltku <command> [options]   (ltku <command> --help for its options)', ''];
  for (const noun of only === undefined ? listNouns() : [only]) {
    for (const verb of listVerbs(noun)) {
      const c = await loadCommand(noun, verb);
      const name = verb === DEFAULT_VERB ? noun : `${noun} ${verb}`;
      if (c !== undefined) lines.push(`  ${name.padEnd(18)} ${c.summary}`);
    }
  }
  return lines.join('\n') + '\n';
}

function processIo(): CommandIo {
  const stopSignal = new Promise<string>((resolve) => {
    const onSignal = (signal: string) => resolve(signal);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, stopSignal };
}

/** Runs one command line; returns the exit code (0 ok, 1 failure, 2 usage error). */
export async function main(argv: string[], io: CommandIo = processIo()): Promise<number> {
  const [noun, maybeVerb, ...rest] = argv;
  if (noun === undefined || noun === '--help' || noun === '-h' || noun === 'help') {
    io.stdout.write(await overview());
    return noun === undefined ? 2 : 0;
  }
  let verb = maybeVerb;
  let args = rest;
  let command = verb !== undefined && !verb.startsWith('-') ? await loadCommand(noun, verb) : undefined;
  if (command === undefined) {
    command = await loadCommand(noun, DEFAULT_VERB);
    verb = DEFAULT_VERB;
    args = argv.slice(1);
  }
  if (command === undefined) {
    const verbs = listVerbs(noun);
    if (verbs.length > 0 && (maybeVerb === undefined || maybeVerb === '--help' || maybeVerb === '-h')) {
      io.stdout.write(await overview(noun));
      return maybeVerb === undefined ? 2 : 0;
    }
    io.stderr.write(
      verbs.length > 0
        ? `ltku ${noun}: unknown command ${JSON.stringify(maybeVerb ?? '')}; one of: ${verbs.join(', ')}\n`
        : `ltku: unknown command ${JSON.stringify(noun)}\n${await overview()}`,
    );
    return 2;
  }
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout.write(`${command.summary}\n\n${command.usage}\n`);
    return 0;
  }
  try {
    const parsed = parseArgs({
      args,
      options: command.options,
      allowPositionals: command.allowPositionals ?? false,
      strict: true,
    });
    return await command.run({ ...io, values: parsed.values, positionals: parsed.positionals });
  } catch (e) {
    const name = verb === DEFAULT_VERB ? noun : `${noun} ${verb}`;
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr.write(`ltku ${name}: ${(e as Error).message}\n\n${command.usage}\n`);
      return 2;
    }
    io.stderr.write(`ltku ${name}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
