// The Provisioning Server's HTTP side (DESIGN.md 7) on the kit (src/http): the UE-facing RAM endpoint on one
// listener (with the probes, nothing else), the admin API of admin-api.ts on another, with /openapi.json and
// /metrics (role operator). Errors are RFC 7807 ProblemDetails; a 5xx body never carries internal text.
import type { FastifyInstance } from 'fastify';
import type { Authenticator } from '../auth/index.js';
import { type HssClient } from '../hss/client/index.js';
import type { HssRole } from './hss-role.js';
import { hssRoleOf } from './ltku-hss.js';
import {
  createHttpApp,
  createServiceApp,
  listenApp,
  probeRoutes,
  registerRoutes,
  type ReadinessCheck,
} from '../http/index.js';
import { silentLogger, type Clock, type Logger } from '../ports/index.js';
import { adminRoutes } from './admin-api.js';
import { corePushNotifier } from './push.js';
import { Inventory, type InventoryEntry } from './inventory.js';
import type { JobStore } from './job-store.js';
import { JobService } from './jobs.js';
import { ServerMetrics } from './metrics.js';
import { serverProblemOf } from './problem.js';
import { registerRamEndpoint, RAM_PATH, type RamEndpointOptions } from './ram-endpoint.js';
import { Reconciler } from './reconciler.js';
import type { OceValidityPolicy } from './oce-validity.js';
import { OceValidityWatch } from './oce-validity-watch.js';
import { prepareSessionConfig, type SessionConfig } from './session.js';
import { ServerCardKeyPins, isCardPinStore } from './card-pins.js';
import { ServerConfigError } from './errors.js';
import { toHex } from '../bytes/index.js';
import { CardManagementService, cardManagementRoutes, type CardJobStore } from './card-management/index.js';
import {
  CampaignService,
  campaignRoutes,
  registerCampaignMetrics,
  unlessPolled,
  type CampaignFeederOptions,
} from './campaign/index.js';

export { ADMIN_PREFIX } from './admin-api.js';
export { ServerMetrics } from './metrics.js';
/** contracts.md: the reconciler's period (it also runs once at start). */
export const DEFAULT_RECONCILE_INTERVAL_MS = 30_000;

export interface ServerDeps {
  readonly store: JobStore;
  /** The HSS role (DESIGN.md 8): ltku's HSS (an HssClient, or LtkuHss) or osmo-hlr (OsmoHlrHss). */
  readonly hss: HssRole | HssClient;
  readonly session: SessionConfig;
  /** 32-byte KEK for the new keys at rest. */
  readonly kek: Uint8Array;
  /** DESIGN.md 7: who may call the admin API (role operator). */
  readonly authenticator: Authenticator;
  readonly inventory?: readonly InventoryEntry[] | Inventory;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly onSessionEnd?: RamEndpointOptions['onSessionEnd'];
  /** The core network's base URL: new jobs are pushed to the UE when it is attached. */
  readonly coreUrl?: string;
  /** The provisioner's bearer token for the core's push API. */
  readonly coreToken?: string;
  /** The RAM URL the push names (default: this server's /ram/v1 once listening). */
  readonly publicRamUrl?: string;
  /**
   * How often the reconciler runs (default 30 s; 0: only at start): it retries the HSS commit of applied jobs and
   * aborts HSS candidates without an open job.
   */
  readonly reconcileIntervalMs?: number;
  /** What /readyz asks on both listeners (default: the job store and the HSS answer). */
  readonly readiness?: readonly ReadinessCheck[];
  /** Given to read them in-process (tests); built otherwise. */
  readonly metrics?: ServerMetrics;
  /** Issue 13: refuse to build inside this OCE expiry margin, warn ahead, check periodically (absent: no guard). */
  readonly oceValidity?: OceValidityPolicy;
  /** Issue 13: card-management jobs (CA-KLOC rotation, deny list, allowlists) in this store; absent: none. */
  readonly cardJobStore?: CardJobStore;
  /** Issue 11: campaigns in `store`, fed by this instance (`instance` names its claims); absent: no campaigns. */
  readonly campaigns?: CampaignFeederOptions;
  /** DESIGN.md 8: this instance's base URL as UEs reach it; RAM sessions stay on it (X-Admin-Next-URI). */
  readonly advertiseUrl?: string;
}

export const SERVER_API_INFO = {
  title: 'ltku Provisioning Server admin API',
  version: '2',
  description: `Role operator on every operation but the probes (Authorization: Bearer). The UE-facing RAM endpoint (${RAM_PATH}) is on its own listener.`,
};

/** The server's dependencies: its job store answers a read, the HSS its /readyz. */
export function serverReadiness(store: JobStore, hss: HssRole | HssClient): ReadinessCheck[] {
  return [
    {
      name: 'store',
      probe: async () => {
        await store.list({ limit: 1 });
      },
    },
    { name: 'hss', probe: () => hss.ready() },
  ];
}

export interface ServerApp {
  /** The UE-facing listener: only the RAM endpoint (and /healthz, /readyz). */
  readonly ram: FastifyInstance;
  /** The operator's listener: the admin API, /openapi.json, /metrics. */
  readonly admin: FastifyInstance;
  readonly jobs: JobService;
  readonly inventory: Inventory;
  readonly metrics: ServerMetrics;
  /** The OCE expiry guard (with deps.oceValidity). */
  readonly oceValidity?: OceValidityWatch;
  /** Issue 11: with deps.campaigns. */
  readonly campaigns?: CampaignService;
}

export function buildServerApp(
  deps: ServerDeps,
  ramUrl: () => string = () => deps.publicRamUrl ?? RAM_PATH,
): ServerApp {
  const logger = deps.logger ?? silentLogger;
  const clock = deps.clock ?? deps.session.clock;
  const inventory =
    deps.inventory instanceof Inventory ? deps.inventory : new Inventory(deps.inventory ?? []);
  const hss = hssRoleOf(deps.hss);
  if (!hss.hasCandidates) {
    // DESIGN.md 8: a backend without candidates, said once at start (and in each job's history)
    logger.warn(
      { event: 'hss-without-candidates', hss: hss.name },
      `${hss.name} keeps no candidate key set: new keys are written only after the card's BF71, with no self-healing at attach (docs/osmo-hlr.md)`,
    );
  }
  const jobs = new JobService({
    store: deps.store,
    inventory,
    hss,
    kek: deps.kek,
    rng: deps.session.rng,
    clock,
    logger,
    ...(deps.coreUrl === undefined
      ? {}
      : {
          onJobCreated: unlessPolled(
            corePushNotifier(deps.coreUrl, ramUrl, logger, {
              ...(deps.coreToken === undefined ? {} : { token: deps.coreToken }),
            }),
          ),
        }),
  });

  const campaigns =
    deps.campaigns &&
    new CampaignService({
      ...deps.campaigns,
      jobs,
      jobStore: deps.store,
      inventory,
      rng: deps.session.rng,
      clock,
      logger,
    });
  const metrics = deps.metrics ?? new ServerMetrics();
  metrics.countAlarmsFrom(() => jobs.securityAlarms + (cardJobs?.securityAlarms ?? 0));
  if (campaigns) registerCampaignMetrics(metrics.registry, campaigns);
  const readiness = deps.readiness ?? serverReadiness(deps.store, hss);
  const errors = { service: 'server', title: 'server', logger, mapError: serverProblemOf, metrics };

  // DESIGN.md 7: the UE-facing listener has the RAM endpoint and the probes, nothing that lists anything
  // decoded once for every session of this server (OCE chains, the ShSs cache)
  // Issue 13: every session checks the card's key pin (inventory, then first-use pins in the job store)
  const pinStore = isCardPinStore(deps.store) ? deps.store : undefined;
  if (deps.session.unpinnedCards === 'tofu' && pinStore === undefined) {
    throw new ServerConfigError('unpinned cards on first use (tofu) need a job store that records pins');
  }
  const session = prepareSessionConfig({
    ...deps.session,
    cardKeyPins: deps.session.cardKeyPins ?? new ServerCardKeyPins(inventory, pinStore, () => clock.now()),
  });
  const oceValidity =
    deps.oceValidity === undefined
      ? undefined
      : new OceValidityWatch(
          session.oce.map((o) => o.chain),
          deps.oceValidity,
          clock,
          logger,
          metrics.registry,
        );
  oceValidity?.checkAtStart(); // a ServerConfigError inside the safety margin
  // Issue 13: offered to cards with no key update ready; orders that would lock this server out are refused
  const cardJobs =
    deps.cardJobStore &&
    new CardManagementService({
      store: deps.cardJobStore,
      rng: deps.session.rng,
      clock,
      logger,
      oceChains: session.oce.map((o) => o.chain.map((c) => toHex(c.serial))),
      // the CA-KLOC each credential's chain starts under, as card-authentication.ts matches it against FF33
      oceCaKlocKeyIds: session.oce.flatMap((o) =>
        o.chain[0]?.issuerKeyId === undefined ? [] : [toHex(o.chain[0].issuerKeyId)],
      ),
      knownEid: (eid) => inventory.byEid(eid).length > 0,
      inventoryEids: (batch) => [
        ...new Set(
          (batch === undefined ? [...inventory.entries()] : inventory.byBatch(batch)).map((e) => e.eid),
        ),
      ],
    });
  const ram = createHttpApp({ ...errors, listener: 'ram' });
  registerRoutes(ram, probeRoutes(readiness, logger), deps.authenticator);
  const endpoint = registerRamEndpoint(ram, {
    jobs,
    ...(cardJobs === undefined ? {} : { cardManagement: cardJobs }),
    session,
    logger,
    ...(deps.advertiseUrl === undefined ? {} : { advertiseUrl: deps.advertiseUrl }),
    onSessionEnd: (e) => {
      metrics.sessionEnded(e);
      deps.onSessionEnd?.(e);
    },
  });
  ram.addHook('onClose', async () => endpoint.close());

  const admin = createServiceApp({
    ...errors,
    listener: 'admin',
    authenticator: deps.authenticator,
    info: SERVER_API_INFO,
    routes: [
      ...adminRoutes(jobs, inventory, ramUrl),
      ...campaignRoutes(campaigns),
      ...(cardJobs === undefined ? [] : cardManagementRoutes(cardJobs)),
    ],
    readiness,
    metrics,
  });
  return {
    ram,
    admin,
    jobs,
    inventory,
    metrics,
    ...(oceValidity === undefined ? {} : { oceValidity }),
    campaigns,
  };
}

export interface RunningServer {
  /** The UE's admin URL (GPC Amd B): the RAM listener's /ram/v1. */
  readonly ramUrl: string;
  /** Base URL of the admin listener (operators, with credentials). */
  readonly adminUrl: string;
  readonly jobs: JobService;
  readonly inventory: Inventory;
  readonly metrics: ServerMetrics;
  readonly campaigns?: CampaignService;
  close(): Promise<void>;
}

export interface AdminListen {
  readonly host?: string;
  readonly port?: number;
}

/** The RAM endpoint on host:port, the admin API on admin.host (default: host) : admin.port (default: any). */
export async function listenServer(
  deps: ServerDeps,
  host = '127.0.0.1',
  port = 0,
  adminListen: AdminListen = {},
): Promise<RunningServer> {
  let ramUrl = '';
  const logger = deps.logger ?? silentLogger;
  const { ram, admin, jobs, inventory, metrics, oceValidity, campaigns } = buildServerApp(
    deps,
    () => deps.publicRamUrl ?? ramUrl,
  );
  const ramListening = await listenApp(ram, host, port);
  let adminListening;
  try {
    adminListening = await listenApp(admin, adminListen.host ?? host, adminListen.port ?? 0);
  } catch (e) {
    await ramListening.close();
    throw e;
  }
  ramUrl = `${ramListening.url}${RAM_PATH}`;
  // DESIGN.md 6 steps 2, 4: retries the commits of applied jobs and aborts HSS candidates whose transaction is no
  // open job's; once now, then periodically
  const intervalMs = deps.reconcileIntervalMs ?? DEFAULT_RECONCILE_INTERVAL_MS;
  const reconciler = new Reconciler(jobs, hssRoleOf(deps.hss), logger, Math.max(intervalMs, 1));
  oceValidity?.start();
  campaigns?.startFeeder();
  if (intervalMs > 0) reconciler.start();
  else
    void reconciler
      .runOnce()
      .catch((e: Error) =>
        logger.warn({ event: 'reconcile-failed', error: e.message }, 'candidate reconciliation failed'),
      );
  return {
    ramUrl,
    adminUrl: adminListening.url,
    jobs,
    inventory,
    metrics,
    campaigns,
    close: async () => {
      oceValidity?.stop();
      await campaigns?.stopFeeder();
      await reconciler.stop();
      await ramListening.close();
      await adminListening.close();
    },
  };
}
