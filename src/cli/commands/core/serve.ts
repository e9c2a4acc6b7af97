// `ltku core serve`: the core network's attach/detach API (contracts.md) in front of an HSS, until SIGINT/SIGTERM.
import { ROLE_CORE } from '../../../auth/index.js';
import { cryptoRandom } from '../../../crypto/index.js';
import { GsupAuthSource, listenCore, type AuthDataSource } from '../../../core/index.js';
import { HssClient } from '../../../hss/client/index.js';
import type { Command } from '../../command.js';
import { LOG_LEVEL_OPTIONS, LOG_LEVEL_USAGE, logLevelOf } from '../../log-level.js';
import { openServiceAuthenticator, readTokenFile, SERVICE_OPTIONS, tokenFileOf } from '../../credentials.js';
import { UsageError } from '../../errors.js';
import { parseHostPort } from '../../host-port.js';
import { exactlyOne, optionalString, requireHttpUrl, requireString } from '../../options.js';
import { endpointName } from '../../../osmo/index.js';
import { parseGsupUrl } from '../../osmo-hlr-endpoints.js';
import { printJson } from '../../output.js';
import { openServiceLog } from '../server/support/service-log.js';

const DEFAULT_LISTEN = '127.0.0.1:8084';
const SNN_PATTERN = /^5G:mnc[0-9]{3}\.mcc[0-9]{3}\.3gppnetwork\.org$/;

export const command: Command = {
  summary: 'serve the core network attach/detach API (AMF/AUSF role) in front of an HSS',
  usage:
    `ltku core serve --hss URL | --hlr gsup://HOST[:PORT] [--listen HOST:PORT] [--snn NAME] [--data-dir DIR]\n` +
    `                [--credentials DIR] [--token-file FILE] [--json] ${LOG_LEVEL_USAGE}\n` +
    `  --hss: ltku's HSS (Nudm_UEAU); --hlr: osmo-hlr over GSUP (default port 4222): its UMTS vectors become 5G HE\n` +
    `  AVs here, and a success is confirmed only within 10 s of the vector's issue (docs/osmo-hlr.md)\n` +
    `  default --listen ${DEFAULT_LISTEN} (port 0: any free port); --snn: serving network name used when the\n` +
    `  UE names none (default 5G:mnc001.mcc001.3gppnetwork.org)\n` +
    `  --credentials: principals allowed to push (provisioner) and read UE state (operator); default\n` +
    `  <data-dir>/credentials (--data-dir .ltku), created if missing; --token-file: the core's token at the HSS\n` +
    `  (default <credentials>/core.token)`,
  options: {
    ...SERVICE_OPTIONS,
    ...LOG_LEVEL_OPTIONS,
    'data-dir': { type: 'string' },
    hss: { type: 'string' },
    hlr: { type: 'string' },
    listen: { type: 'string' },
    snn: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(ctx) {
    const logLevel = logLevelOf(ctx.values, ctx.env);
    const backend = exactlyOne(ctx.values, ['hss', 'hlr']);
    const hssUrl = backend === 'hss' ? requireHttpUrl(ctx.values, 'hss') : undefined;
    const gsup = backend === 'hlr' ? parseGsupUrl(requireString(ctx.values, 'hlr'), 'hlr') : undefined;
    const { host, port } = parseHostPort(optionalString(ctx.values, 'listen') ?? DEFAULT_LISTEN, 'listen');
    const snn = optionalString(ctx.values, 'snn');
    if (snn !== undefined && !SNN_PATTERN.test(snn))
      throw new UsageError('--snn: expected 5G:mnc<3 digits>.mcc<3 digits>.3gppnetwork.org');
    const log = openServiceLog({ name: 'core', level: logLevel }, ctx.stderr);
    const { logger } = log;
    const authenticator = openServiceAuthenticator(ctx.values, ctx.stderr, logger);
    const clock = { now: () => new Date() };
    const source: AuthDataSource =
      gsup !== undefined
        ? new GsupAuthSource({ gsup, clock, logger })
        : new HssClient(hssUrl as string, { token: readTokenFile(tokenFileOf(ctx.values, ROLE_CORE)) });
    const hssName = gsup !== undefined ? `osmo-hlr gsup://${endpointName(gsup)}` : (hssUrl as string);
    const running = await listenCore(
      {
        hss: source,
        authenticator,
        clock,
        rng: cryptoRandom,
        logger,
        ...(snn === undefined ? {} : { servingNetworkName: snn }),
      },
      host,
      port,
    );
    if (ctx.values.json) printJson(ctx.stdout, { url: running.url, hss: hssName });
    else ctx.stdout.write(`core listening on ${running.url} (HSS ${hssName})\n`);
    const signal = await ctx.stopSignal;
    logger.info({ signal }, 'stopping');
    await running.close();
    if (source instanceof GsupAuthSource) await source.close();
    if (source instanceof HssClient) source.close();
    log.close();
    return 0;
  },
};
