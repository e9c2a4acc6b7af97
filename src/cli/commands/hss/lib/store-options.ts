// Options every `ltku hss` command shares: where the data lives and which KEK opens the keys.
// (A subfolder, so the command dispatcher does not take this file for a verb.)
import { openHssRuntime, type HssRuntime } from '../../../../hss/index.js';
import type { CommandContext } from '../../../command.js';
import { optionalString } from '../../../options.js';

export const STORE_OPTIONS = {
  db: { type: 'string' },
  'data-dir': { type: 'string' },
  'kek-file': { type: 'string' },
  json: { type: 'boolean' },
} as const;

export const STORE_USAGE = '[--db PATH|postgres://...] [--data-dir DIR] [--kek-file F] [--json]';

/** The KEK may also come from the environment (LTKU_HSS_KEK, 64 hex digits). */
export const KEK_ENV = 'LTKU_HSS_KEK';

export async function openFromOptions(
  ctx: CommandContext,
  logger?: HssRuntime['logger'],
): Promise<HssRuntime> {
  const db = optionalString(ctx.values, 'db');
  const dataDir = optionalString(ctx.values, 'data-dir');
  const kekFile = optionalString(ctx.values, 'kek-file');
  const kekHex = ctx.env[KEK_ENV];
  return openHssRuntime({
    ...(db ? { db } : {}),
    ...(dataDir ? { dataDir } : {}),
    ...(kekFile ? { kekFile } : {}),
    ...(kekHex ? { kekHex } : {}),
    ...(logger ? { logger } : {}),
  });
}
