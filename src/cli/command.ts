// The shape of one `ltku <noun> <verb>` command: a file at cli/commands/<noun>/<verb>.ts exporting `command`.
import type { ParseArgsConfig } from 'node:util';

export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface CommandIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
  /** Resolves when the user asks the process to stop (SIGINT/SIGTERM); serve commands await it. */
  readonly stopSignal: Promise<string>;
}

export interface CommandContext extends CommandIo {
  readonly values: OptionValues;
  readonly positionals: string[];
}

export interface Command {
  readonly summary: string;
  /** Usage lines shown by --help and after a usage error. */
  readonly usage: string;
  readonly options: NonNullable<ParseArgsConfig['options']>;
  readonly allowPositionals?: boolean;
  run(ctx: CommandContext): Promise<number>;
}
