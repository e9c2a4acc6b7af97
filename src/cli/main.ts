// `ltku <noun> <verb> [options]`: finds cli/commands/<noun>/<verb>.js, parses its options, runs it.
// `ltku demo` is cli/commands/demo/run.js (a noun whose only verb is `run`).
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Command, CommandIo } from './command.js';
import { UsageError } from './errors.js';

const COMMANDS_DIR = new URL('./commands/', import.meta.url);
const VERSION_FLAGS = ['--version', '-V', 'version'];
const HELP_FLAGS = ['--help', '-h'];
const HELP_NOUN = 'help';
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
  const lines = [
    'usage: ltku <command> [options]   (ltku help <command> or ltku <command> --help: its options; ltku --version)',
    '',
  ];
  for (const noun of only === undefined ? listNouns() : [only]) {
    for (const verb of listVerbs(noun)) {
      const c = await loadCommand(noun, verb);
      const name = verb === DEFAULT_VERB ? noun : `${noun} ${verb}`;
      if (c !== undefined) lines.push(`  ${name.padEnd(18)} ${c.summary}`);
    }
  }
  return lines.join('\n') + '\n';
}

/** The package's version: package.json is two levels up from src/cli, three from dist/src/cli. */
function version(): string {
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'ltku' && pkg.version !== undefined) return pkg.version;
    } catch {
      // not this level
    }
  }
  return 'unknown';
}

/** --json turns every error into one JSON object on stderr: {"error": {command, kind, message}}. */
function reportError(
  io: CommandIo,
  json: boolean,
  command: string,
  kind: 'usage' | 'failure',
  message: string,
  usage?: string,
): void {
  if (json) io.stderr.write(JSON.stringify({ error: { command: `ltku ${command}`, kind, message } }) + '\n');
  else io.stderr.write(`ltku ${command}: ${message}\n${usage === undefined ? '' : `\n${usage}\n`}`);
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
  // `ltku help <command>` is `ltku <command> --help`.
  if (argv[0] === HELP_NOUN && argv.length > 1) return main([...argv.slice(1), HELP_FLAGS[0]], io);
  const [noun, maybeVerb, ...rest] = argv;
  if (noun !== undefined && VERSION_FLAGS.includes(noun)) {
    io.stdout.write(`ltku ${version()}\n`);
    return 0;
  }
  if (noun === undefined || HELP_FLAGS.includes(noun) || noun === HELP_NOUN) {
    io.stdout.write(await overview());
    return noun === undefined ? 2 : 0;
  }
  const json = argv.includes('--json');
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
    if (verbs.length > 0)
      reportError(
        io,
        json,
        noun,
        'usage',
        `unknown command ${JSON.stringify(maybeVerb ?? '')}; one of: ${verbs.join(', ')}`,
      );
    else if (json) reportError(io, json, noun, 'usage', `unknown command ${JSON.stringify(noun)}`);
    else io.stderr.write(`ltku: unknown command ${JSON.stringify(noun)}\n${await overview()}`);
    return 2;
  }
  if (args.some((a) => HELP_FLAGS.includes(a))) {
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
      reportError(io, json, name, 'usage', (e as Error).message, command.usage);
      return 2;
    }
    reportError(io, json, name, 'failure', e instanceof Error ? e.message : String(e));
    return 1;
  }
}
