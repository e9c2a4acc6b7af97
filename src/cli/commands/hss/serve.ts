// `ltku hss serve`: the HSS/AuC HTTP API (contracts.md) until SIGINT/SIGTERM.
import { listenHss } from '../../../hss/index.js';
import type { Command } from '../../command.js';
import { LOG_LEVEL_OPTIONS, LOG_LEVEL_USAGE, logLevelOf } from '../../log-level.js';
import { openServiceAuthenticator } from '../../credentials.js';
import { parseHostPort } from '../../host-port.js';
import { optionalString } from '../../options.js';
import { printJson } from '../../output.js';
import { openServiceLog } from '../server/support/service-log.js';
import { openFromOptions, STORE_OPTIONS, STORE_USAGE } from './lib/store-options.js';

const DEFAULT_LISTEN = '127.0.0.1:8083';

export const command: Command = {
  summary: 'serve the HSS/AuC HTTP API (Nudm_UEAU vectors, admin, key transition)',
  usage: [
    `ltku hss serve [--listen HOST:PORT] [--credentials DIR] ${STORE_USAGE}`,
    `               ${LOG_LEVEL_USAGE}`,
    `  default --listen ${DEFAULT_LISTEN} (port 0: any free port)`,
    '  --credentials: principals.json of the callers (default <data-dir>/credentials, created with the',
    '  principals operator, provisioner and core if missing; re-read when it changes)',
  ].join('\n'),
  options: {
    ...STORE_OPTIONS,
    ...LOG_LEVEL_OPTIONS,
    listen: { type: 'string' },
    credentials: { type: 'string' },
  },
  async run(ctx) {
    const logLevel = logLevelOf(ctx.values, ctx.env);
    const { host, port } = parseHostPort(optionalString(ctx.values, 'listen') ?? DEFAULT_LISTEN, 'listen');
    const log = openServiceLog({ name: 'hss', level: logLevel }, ctx.stderr);
    const { logger } = log;
    const authenticator = openServiceAuthenticator(ctx.values, ctx.stderr, logger);
    const runtime = await openFromOptions(ctx, logger);
    let running;
    try {
      running = await listenHss({ hss: runtime.hss, auc: runtime.auc, logger, authenticator }, host, port);
    } catch (e) {
      await runtime.close();
      throw e;
    }
    if (ctx.values.json)
      printJson(ctx.stdout, { url: running.url, database: runtime.database, kekCreated: runtime.kekCreated });
    else ctx.stdout.write(`hss listening on ${running.url} (database ${runtime.database})\n`);
    const signal = await ctx.stopSignal;
    logger.info({ signal }, 'stopping');
    await running.close();
    await runtime.close();
    log.close();
    return 0;
  },
};
