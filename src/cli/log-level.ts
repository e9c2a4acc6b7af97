// One way to set a service's log level (issue 14): --log-level on every `serve` command, else the LTKU_LOG_LEVEL
// environment variable, else info; an unknown level is a usage error naming where it came from.
import type { CommandIo, OptionValues } from './command.js';
import { UsageError } from './errors.js';

export const LOG_LEVEL_ENV = 'LTKU_LOG_LEVEL';
/** pino's levels, most to least verbose, and silent. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
const DEFAULT_LEVEL: LogLevel = 'info';

export const LOG_LEVEL_OPTIONS = { 'log-level': { type: 'string' } } as const;
export const LOG_LEVEL_USAGE = `[--log-level ${LOG_LEVELS.join('|')}] (default $${LOG_LEVEL_ENV}, else ${DEFAULT_LEVEL})`;

export function logLevelOf(values: OptionValues, env: CommandIo['env']): LogLevel {
  const given = values['log-level'];
  const [level, source] =
    typeof given === 'string' ? [given, '--log-level'] : [env[LOG_LEVEL_ENV], LOG_LEVEL_ENV];
  if (level === undefined || level === '') return DEFAULT_LEVEL;
  if (!(LOG_LEVELS as readonly string[]).includes(level))
    throw new UsageError(`${source}: ${JSON.stringify(level)} is not one of ${LOG_LEVELS.join(', ')}`);
  return level as LogLevel;
}
