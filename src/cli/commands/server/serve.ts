// `ltku server serve`: the Provisioning Server (RAM endpoint for UEs, admin API) until SIGINT/SIGTERM.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import { ROLE_PROVISIONER } from '../../../auth/index.js';
import { cryptoRandom } from '../../../crypto/index.js';
import { HssClient } from '../../../hss/client/index.js';
import { OsmoHlrHss } from '../../../server/osmo-hlr-hss.js';
import { parseCtrlEndpoint } from '../../osmo-hlr-endpoints.js';
import { loadKek } from '../../../hss/index.js';
import {
  DEFAULT_POLICY,
  DEFAULT_UNPINNED_CARD_POLICY,
  UNPINNED_CARD_POLICIES,
  type UnpinnedCardPolicy,
  OCE_VALIDITY_DEFAULTS,
  ServerConfigError,
  openJobStore,
  openCardJobStore,
  listenServer,
  parseInventoryText,
  type InventoryEntry,
  type OceValidityPolicy,
} from '../../../server/index.js';
import type { Command } from '../../command.js';
import { LOG_LEVEL_OPTIONS, LOG_LEVEL_USAGE, logLevelOf } from '../../log-level.js';
import { openServiceAuthenticator, readTokenFile, SERVICE_OPTIONS, tokenFileOf } from '../../credentials.js';
import { UsageError } from '../../errors.js';
import { parseHostPort } from '../../host-port.js';
import {
  optionalHttpUrl,
  optionalInt,
  optionalString,
  requireHttpUrl,
  requireString,
} from '../../options.js';
import { printJson } from '../../output.js';
import { loadServerPki } from './support/server-pki.js';
import { openServiceLog } from './support/service-log.js';
import { INSTANCE_OPTIONS, INSTANCE_USAGE, openServerInstance } from './support/instance.js';

const DEFAULT_LISTEN = '127.0.0.1:8085';
const DEFAULT_ADMIN_LISTEN = '127.0.0.1:8086';
const DEFAULT_DATA_DIR = '.ltku';
const MAX_DAYS = 36500;

function readInventory(paths: readonly string[]): InventoryEntry[] {
  return paths.flatMap((p) => {
    let text: string;
    try {
      text = readFileSync(p, 'utf8');
    } catch (e) {
      throw new UsageError(`--inventory: cannot read ${p}: ${(e as Error).message}`);
    }
    try {
      return parseInventoryText(text, p);
    } catch (e) {
      if (e instanceof ServerConfigError) throw new UsageError(`--inventory: ${e.message}`);
      throw e;
    }
  });
}

/** Issue 13: the OCE expiry guard's margins; the warning window may not be narrower than the margin. */
function oceValidityOf(values: Parameters<typeof optionalInt>[0]): OceValidityPolicy {
  const minValidityDays =
    optionalInt(values, 'oce-min-validity', undefined, [0, MAX_DAYS]) ??
    OCE_VALIDITY_DEFAULTS.minValidityDays;
  const warnDays =
    optionalInt(values, 'oce-warn-days', undefined, [0, MAX_DAYS]) ??
    Math.max(OCE_VALIDITY_DEFAULTS.warnDays, minValidityDays);
  if (warnDays < minValidityDays)
    throw new UsageError(`--oce-warn-days: ${warnDays} is less than --oce-min-validity ${minValidityDays}`);
  return { minValidityDays, warnDays };
}

/** Issue 13: what the server does with a card whose personalisation file recorded no key pin. */
function unpinnedCardsOf(values: Parameters<typeof optionalString>[0]): UnpinnedCardPolicy {
  const v = optionalString(values, 'unpinned-cards') ?? DEFAULT_UNPINNED_CARD_POLICY;
  if (!(UNPINNED_CARD_POLICIES as readonly string[]).includes(v))
    throw new UsageError(`--unpinned-cards: expected ${UNPINNED_CARD_POLICIES.join(' or ')}`);
  return v as UnpinnedCardPolicy;
}

export const command: Command = {
  summary: 'serve the Provisioning Server (RAM over HTTP for UEs; the key-update jobs admin API apart)',
  usage: [
    'ltku server serve --pki DIR --hss URL|osmo-hlr [--hlr-ctrl HOST[:PORT]] [--db PATH|postgres://...] [--data-dir DIR] [--listen HOST:PORT]',
    '  --hss osmo-hlr: keys written to osmo-hlr over CTRL (--hlr-ctrl, default 127.0.0.1:4259) only after the',
    "  card's BF71; no candidate key set (docs/osmo-hlr.md)",
    '                  [--admin-listen HOST:PORT] [--inventory FILE]... [--kek-file FILE] [--core URL]',
    '                  [--credentials DIR] [--token-file FILE] [--oce-min-validity DAYS] [--oce-warn-days DAYS]',
    '                  [--unpinned-cards refuse|tofu] [--advertise-url URL] [--instance-name NAME]',
    '                  [--campaign-lease-seconds N] [--json]',
    ...INSTANCE_USAGE,
    `                  ${LOG_LEVEL_USAGE}`,
    '  --listen: the UE-facing RAM endpoint only; --admin-listen: the admin API (role operator)',
    '  --core: push new jobs to attached UEs through the core network',
    `  default --listen ${DEFAULT_LISTEN}, --admin-listen ${DEFAULT_ADMIN_LISTEN}, --db <data-dir>/server.sqlite,`,
    '  --kek-file <data-dir>/server-kek.hex, --credentials <data-dir>/credentials (created if missing),',
    '  --token-file <credentials>/provisioner.token (the server at the HSS and for core push)',
    '  --inventory: personalisation output files (ltku-subscribers/1), EID -> ICCID/IMSI and card key pins',
    `  --unpinned-cards: a card its file gives no key pin is refused, or pinned at first use (default ${DEFAULT_UNPINNED_CARD_POLICY})`,
    `  --oce-min-validity: refuse to run when an OCE certificate expires within DAYS (default ${OCE_VALIDITY_DEFAULTS.minValidityDays});`,
    `  --oce-warn-days: warn when one expires within DAYS (default ${OCE_VALIDITY_DEFAULTS.warnDays}); checked again daily`,
  ].join('\n'),
  options: {
    pki: { type: 'string' },
    hss: { type: 'string' },
    'hlr-ctrl': { type: 'string' },
    db: { type: 'string' },
    'data-dir': { type: 'string' },
    listen: { type: 'string' },
    'admin-listen': { type: 'string' },
    ...SERVICE_OPTIONS,
    ...LOG_LEVEL_OPTIONS,
    inventory: { type: 'string', multiple: true },
    'kek-file': { type: 'string' },
    core: { type: 'string' },
    'oce-min-validity': { type: 'string' },
    'oce-warn-days': { type: 'string' },
    'unpinned-cards': { type: 'string' },
    json: { type: 'boolean' },
    ...INSTANCE_OPTIONS,
  },
  async run(ctx) {
    const logLevel = logLevelOf(ctx.values, ctx.env);
    const pkiDir = requireString(ctx.values, 'pki');
    // DESIGN.md 8: the HSS role's backend, ltku's HSS by URL or osmo-hlr over CTRL
    const osmoHlr = optionalString(ctx.values, 'hss') === 'osmo-hlr';
    const hssUrl = osmoHlr ? undefined : requireHttpUrl(ctx.values, 'hss');
    const hlrCtrl = optionalString(ctx.values, 'hlr-ctrl');
    if (hlrCtrl !== undefined && !osmoHlr) throw new UsageError('--hlr-ctrl: only with --hss osmo-hlr');
    const ctrl = osmoHlr ? parseCtrlEndpoint(hlrCtrl ?? '127.0.0.1', 'hlr-ctrl') : undefined;
    const { host, port } = parseHostPort(optionalString(ctx.values, 'listen') ?? DEFAULT_LISTEN, 'listen');
    const adminListen = parseHostPort(
      optionalString(ctx.values, 'admin-listen') ?? DEFAULT_ADMIN_LISTEN,
      'admin-listen',
    );
    const dataDir = resolve(optionalString(ctx.values, 'data-dir') ?? DEFAULT_DATA_DIR);
    const inventoryFiles = (ctx.values.inventory ?? []) as string[];
    const oceValidity = oceValidityOf(ctx.values);
    const unpinnedCards = unpinnedCardsOf(ctx.values);
    const log = openServiceLog({ name: 'server', level: logLevel }, ctx.stderr);
    const { logger } = log;
    const trust = loadServerPki(pkiDir);
    const inventory = readInventory(inventoryFiles);
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const db = optionalString(ctx.values, 'db') ?? join(dataDir, 'server.sqlite');
    const { kek, created } = loadKek(
      { kekFile: optionalString(ctx.values, 'kek-file') ?? join(dataDir, 'server-kek.hex') },
      cryptoRandom,
    );
    const authenticator = openServiceAuthenticator(ctx.values, ctx.stderr, logger);
    const token = readTokenFile(tokenFileOf(ctx.values, ROLE_PROVISIONER));
    const coreUrl = optionalHttpUrl(ctx.values, 'core');
    const instance = await openServerInstance(ctx.values, db);
    const store = await openJobStore(db).catch(async (e: Error) => {
      await instance.close();
      throw e;
    });
    // Issue 13: card-management jobs in their own table of the same database
    const cardJobStore = await openCardJobStore(db).catch(async (e: Error) => {
      await store.close();
      await instance.close();
      throw e;
    });
    // Issue 11: the HSS client's kept-alive connections end with the server
    const hssClient = ctrl === undefined ? new HssClient(hssUrl as string, { token }) : undefined;
    let running;
    try {
      running = await listenServer(
        {
          store,
          cardJobStore,
          hss: hssClient ?? new OsmoHlrHss({ ctrl: ctrl! }),
          authenticator,
          kek,
          inventory,
          logger,
          oceValidity,
          ...instance.deps,
          ...(coreUrl === undefined ? {} : { coreUrl, coreToken: token }),
          session: {
            ...trust,
            policy: DEFAULT_POLICY,
            unpinnedCards,
            clock: { now: () => new Date() },
            rng: cryptoRandom,
          },
        },
        host,
        port,
        adminListen,
      );
    } catch (e) {
      hssClient?.close();
      await cardJobStore.close();
      await store.close();
      await instance.close();
      throw e;
    }
    const summary = {
      ramUrl: running.ramUrl,
      adminUrl: running.adminUrl,
      database: db,
      hss: ctrl !== undefined ? `osmo-hlr CTRL ${ctrl.host}:${ctrl.port} (no candidate key set)` : hssUrl,
      kekCreated: created,
      profiles: running.inventory.size,
      unpinnedCards,
      oceCurves: trust.oce.map((o) => o.keyPair.curve.name),
    };
    if (ctx.values.json) printJson(ctx.stdout, summary);
    else
      ctx.stdout.write(
        `server listening: RAM ${running.ramUrl}, admin ${running.adminUrl} (database ${db}, ${summary.profiles} profiles)\n`,
      );
    const signal = await ctx.stopSignal;
    logger.info({ signal }, 'stopping');
    await running.close();
    hssClient?.close();
    await cardJobStore.close();
    await store.close();
    await instance.close();
    kek.fill(0);
    log.close();
    return 0;
  },
};
