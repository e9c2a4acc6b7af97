// The Provisioning Server's HTTP side (DESIGN.md 7): the UE-facing RAM endpoint on one listener (nothing else
// there), the admin API on another, every admin route for role operator. Bodies are zod-validated; errors are
// RFC 7807 problem details, and a 5xx body never carries internal text (the details go to the log).
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { z } from 'zod';
import { principalOf, requireRoles, ROLE_OPERATOR, type Authenticator } from '../auth/index.js';
import { fromHex } from '../bytes/index.js';
import { type HssClient } from '../hss/client/index.js';
import { silentLogger, type Clock, type Logger } from '../ports/index.js';
import { JobError } from './errors.js';
import { corePushNotifier } from './push.js';
import { Inventory, type InventoryEntry } from './inventory.js';
import type { JobStore } from './job-store.js';
import { JobService } from './jobs.js';
import { registerRamEndpoint, RAM_PATH, type RamEndpointOptions } from './ram-endpoint.js';
import { Reconciler } from './reconciler.js';
import type { SessionConfig } from './session.js';

export const ADMIN_PREFIX = '/admin/v1';
/** contracts.md: the reconciler's period (it also runs once at start). */
export const DEFAULT_RECONCILE_INTERVAL_MS = 30_000;
const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface ServerDeps {
  readonly store: JobStore;
  readonly hss: HssClient;
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
  /** How often HSS candidates without an open job are aborted (default 30 s; 0: only at start). */
  readonly reconcileIntervalMs?: number;
}

const ICCID_FIELD = z.string().regex(/^[0-9]{19,20}$/, 'iccid: expected 19 or 20 digits');
const IMSI_FIELD = z.string().regex(/^[0-9]{15}$/, 'imsi: expected 15 digits');
const HEX_KEY = z.string().regex(/^([0-9a-fA-F]{32}|[0-9a-fA-F]{64})$/, 'expected 32 or 64 hex digits');
const oneTarget = (t: { iccid?: string; imsi?: string }) =>
  (t.iccid === undefined) !== (t.imsi === undefined);
/** DESIGN.md 7: a job's keys come only from the CSPRNG, so k/opc here are unknown fields (400). */
const jobTarget = z
  .strictObject({ iccid: ICCID_FIELD.optional(), imsi: IMSI_FIELD.optional() })
  .refine(oneTarget, 'give exactly one of iccid, imsi');
/** DESIGN.md 7: the explicit, audited import of a vendor's keys (OPc, or TOPc for TUAK). */
const keyImport = z
  .strictObject({
    iccid: ICCID_FIELD.optional(),
    imsi: IMSI_FIELD.optional(),
    k: HEX_KEY,
    opc: HEX_KEY.optional(),
    topc: HEX_KEY.optional(),
  })
  .refine(oneTarget, 'give exactly one of iccid, imsi')
  .refine((t) => (t.opc === undefined) !== (t.topc === undefined), 'k goes with exactly one of opc, topc');
const ICCID = z.string().regex(/^[0-9]{19,20}$/, 'iccids: expected 19 or 20 digits each');
const IMSI = z.string().regex(/^[0-9]{15}$/, 'imsis: expected 15 digits each');
const jobBatch = z.union([
  z.strictObject({ iccids: z.array(ICCID).min(1).max(10_000) }),
  z.strictObject({ imsis: z.array(IMSI).min(1).max(10_000) }),
]);
const jobId = z.object({ id: z.string().regex(/^[0-9a-f]{16}$/, 'job id: expected 16 hex digits') });
const eidParam = z.object({ eid: z.string().regex(/^[0-9]{32}$/, 'eid: 32 digits') });
const page = z.object({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  offset: z.coerce.number().int().min(0).optional(),
});

function sendProblem(reply: FastifyReply, status: number, title: string, detail: string): FastifyReply {
  return reply.code(status).type(PROBLEM_CONTENT_TYPE).send({ status, title, detail });
}

function parse<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    const messages = r.error.issues.map((i) =>
      i.code === 'unrecognized_keys' ? `unknown field ${i.keys.join(', ')}` : i.message,
    );
    throw new JobError(400, `${where}: ${messages.join('; ')}`);
  }
  return r.data;
}

function targetOf(t: { iccid?: string; imsi?: string }) {
  return t.iccid !== undefined ? { iccid: t.iccid } : { imsi: t.imsi as string };
}

/** Problem details for both listeners: 4xx say why; 5xx say only "internal error" (details logged). */
function installErrors(app: FastifyInstance, logger: Logger, listener: string): void {
  app.setErrorHandler((error: unknown, req, reply) => {
    const status =
      error instanceof JobError ? error.status : ((error as { statusCode?: number }).statusCode ?? 500);
    if (status >= 400 && status < 500) {
      const title = error instanceof JobError ? 'Request refused' : 'Bad request';
      return sendProblem(reply, status, title, (error as Error).message);
    }
    logger.error(
      { event: 'server-error', listener, method: req.method, url: req.url, error: (error as Error).message },
      'internal error',
    );
    return sendProblem(
      reply,
      status >= 500 && status < 600 ? status : 500,
      'Internal error',
      'internal error',
    );
  });
  app.setNotFoundHandler((req, reply) =>
    sendProblem(reply, 404, 'Not found', `no resource ${req.method} ${req.url.split('?')[0]}`),
  );
}

const OPENAPI = {
  openapi: '3.1.0',
  info: {
    title: 'ltku Provisioning Server admin API',
    version: '2',
    description: `Role operator on every operation (Authorization: Bearer). The UE-facing RAM endpoint (${RAM_PATH}) is on its own listener.`,
  },
  components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
  security: [{ bearer: [] }],
  paths: {
    [`${ADMIN_PREFIX}/jobs`]: {
      post: {
        summary: 'create a key-update job: {iccid} or {imsi}; new keys from the server CSPRNG only',
        responses: {
          '201': { description: 'the job' },
          '400': { description: 'unknown field (k, opc, ...)' },
        },
      },
      get: {
        summary: 'list jobs (limit, offset) with their state history',
        responses: { '200': { description: '{jobs}' } },
      },
    },
    [`${ADMIN_PREFIX}/jobs/import`]: {
      post: {
        summary: "a job with a vendor's keys: {iccid|imsi, k, opc|topc}; audited with the principal",
        responses: { '201': { description: 'the job' } },
      },
    },
    [`${ADMIN_PREFIX}/jobs/batch`]: {
      post: {
        summary: 'one job per profile: {iccids} or {imsis}',
        responses: { '201': { description: '{jobs, refused}' } },
      },
    },
    [`${ADMIN_PREFIX}/jobs/{id}`]: {
      get: { summary: 'one job', responses: { '200': { description: 'the job' } } },
    },
    [`${ADMIN_PREFIX}/jobs/{id}/cancel`]: {
      post: {
        summary: 'cancel a job that has not reached the card',
        responses: { '200': { description: 'the job' }, '409': { description: 'too late' } },
      },
    },
    [`${ADMIN_PREFIX}/cards/{eid}/jobs`]: {
      get: { summary: 'unfinished jobs of a card', responses: { '200': { description: '{jobs}' } } },
    },
    [`${ADMIN_PREFIX}/status`]: {
      get: { summary: 'RAM URL, profiles, security alarms', responses: { '200': { description: 'status' } } },
    },
  },
} as const;

export interface ServerApp {
  /** The UE-facing listener: only the RAM endpoint. */
  readonly ram: FastifyInstance;
  /** The operator's listener: the admin API. */
  readonly admin: FastifyInstance;
  readonly jobs: JobService;
  readonly inventory: Inventory;
}

// DESIGN.md 7: the admin routes, each for role operator; the actor of every change is the principal
function registerAdminApi(
  app: FastifyInstance,
  jobs: JobService,
  inventory: Inventory,
  authenticator: Authenticator,
  ramUrl: () => string,
): void {
  const asOperator = { onRequest: requireRoles(authenticator, [ROLE_OPERATOR]) };
  const actor = (req: Parameters<typeof principalOf>[0]) => principalOf(req).name;

  app.get('/openapi.json', async () => OPENAPI);
  app.post(`${ADMIN_PREFIX}/jobs`, asOperator, async (req, reply) => {
    const target = targetOf(parse(jobTarget, req.body, 'body'));
    return reply.code(201).send(await jobs.create(target, actor(req)));
  });
  app.post(`${ADMIN_PREFIX}/jobs/import`, asOperator, async (req, reply) => {
    const t = parse(keyImport, req.body, 'body');
    const keys = { k: fromHex(t.k, 'k'), opc: fromHex((t.opc ?? t.topc) as string, t.opc ? 'opc' : 'topc') };
    try {
      return reply.code(201).send(await jobs.importKeys(targetOf(t), keys, actor(req)));
    } finally {
      keys.k.fill(0);
      keys.opc.fill(0);
    }
  });
  // A list of profiles: one job each; those refused are listed with the reason, the others go ahead.
  app.post(`${ADMIN_PREFIX}/jobs/batch`, asOperator, async (req, reply) => {
    const batch = parse(jobBatch, req.body, 'body');
    const targets =
      'iccids' in batch ? batch.iccids.map((iccid) => ({ iccid })) : batch.imsis.map((imsi) => ({ imsi }));
    const created = [];
    const refused = [];
    for (const target of targets) {
      try {
        created.push(await jobs.create(target, actor(req)));
      } catch (e) {
        if (!(e instanceof JobError) || e.status >= 500) throw e;
        refused.push({ ...target, status: e.status, detail: e.message });
      }
    }
    return reply.code(created.length > 0 ? 201 : 409).send({ jobs: created, refused });
  });
  app.get(`${ADMIN_PREFIX}/jobs`, asOperator, async (req) => ({
    jobs: await jobs.list(parse(page, req.query, 'query')),
  }));
  app.get(`${ADMIN_PREFIX}/jobs/:id`, asOperator, async (req) =>
    jobs.get(parse(jobId, req.params, 'path').id),
  );
  app.post(`${ADMIN_PREFIX}/jobs/:id/cancel`, asOperator, async (req) =>
    jobs.cancel(parse(jobId, req.params, 'path').id, actor(req)),
  );
  app.get(`${ADMIN_PREFIX}/cards/:eid/jobs`, asOperator, async (req) => ({
    jobs: await jobs.pendingFor(parse(eidParam, req.params, 'path').eid),
  }));
  app.get(`${ADMIN_PREFIX}/status`, asOperator, async () => ({
    ramUrl: ramUrl(),
    profiles: inventory.size,
    securityAlarms: jobs.securityAlarms,
  }));
}

export function buildServerApp(
  deps: ServerDeps,
  ramUrl: () => string = () => deps.publicRamUrl ?? RAM_PATH,
): ServerApp {
  const logger = deps.logger ?? silentLogger;
  const clock = deps.clock ?? deps.session.clock;
  const inventory =
    deps.inventory instanceof Inventory ? deps.inventory : new Inventory(deps.inventory ?? []);
  const jobs = new JobService({
    store: deps.store,
    inventory,
    hss: deps.hss,
    kek: deps.kek,
    rng: deps.session.rng,
    clock,
    logger,
    ...(deps.coreUrl === undefined
      ? {}
      : {
          onJobCreated: corePushNotifier(deps.coreUrl, ramUrl, logger, {
            ...(deps.coreToken === undefined ? {} : { token: deps.coreToken }),
          }),
        }),
  });

  const ram = Fastify({ logger: false });
  installErrors(ram, logger, 'ram');
  const endpoint = registerRamEndpoint(ram, {
    jobs,
    session: deps.session,
    logger,
    ...(deps.onSessionEnd === undefined ? {} : { onSessionEnd: deps.onSessionEnd }),
  });
  ram.addHook('onClose', async () => endpoint.close());

  const admin = Fastify({ logger: false });
  installErrors(admin, logger, 'admin');
  registerAdminApi(admin, jobs, inventory, deps.authenticator, ramUrl);
  return { ram, admin, jobs, inventory };
}

export interface RunningServer {
  /** The UE's admin URL (GPC Amd B): the RAM listener's /ram/v1. */
  readonly ramUrl: string;
  /** Base URL of the admin listener (operators, with credentials). */
  readonly adminUrl: string;
  readonly jobs: JobService;
  readonly inventory: Inventory;
  close(): Promise<void>;
}

export interface AdminListen {
  readonly host?: string;
  readonly port?: number;
}

function urlOf(app: FastifyInstance): string {
  const address = app.server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${shownHost}:${address.port}`;
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
  const { ram, admin, jobs, inventory } = buildServerApp(deps, () => deps.publicRamUrl ?? ramUrl);
  await ram.listen({ host, port });
  try {
    await admin.listen({ host: adminListen.host ?? host, port: adminListen.port ?? 0 });
  } catch (e) {
    await ram.close();
    throw e;
  }
  ramUrl = `${urlOf(ram)}${RAM_PATH}`;
  // DESIGN.md 6 step 4: aborts HSS candidates whose transaction is no open job's; once now, then periodically
  const intervalMs = deps.reconcileIntervalMs ?? DEFAULT_RECONCILE_INTERVAL_MS;
  const reconciler = new Reconciler(jobs, deps.hss, logger, Math.max(intervalMs, 1));
  if (intervalMs > 0) reconciler.start();
  else
    void reconciler
      .runOnce()
      .catch((e: Error) =>
        logger.warn({ event: 'reconcile-failed', error: e.message }, 'candidate reconciliation failed'),
      );
  return {
    ramUrl,
    adminUrl: urlOf(admin),
    jobs,
    inventory,
    close: async () => {
      await reconciler.stop();
      await ram.close();
      await admin.close();
    },
  };
}
