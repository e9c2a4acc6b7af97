// The Provisioning Server's HTTP side: the RAM endpoint for UEs and the admin API for operators (zod-validated;
// errors as RFC 7807 problem details).
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { z } from 'zod';
import { fromHex } from '../bytes/index.js';
import { type HssClient } from '../hss/client/index.js';
import { silentLogger, type Clock, type Logger } from '../ports/index.js';
import { JobError } from './errors.js';
import { corePushNotifier } from './push.js';
import { Inventory, type InventoryEntry } from './inventory.js';
import type { JobStore } from './job-store.js';
import { JobService } from './jobs.js';
import { registerRamEndpoint, RAM_PATH, type RamEndpointOptions } from './ram-endpoint.js';
import type { SessionConfig } from './session.js';

export const ADMIN_PREFIX = '/admin/v1';

export interface ServerDeps {
  readonly store: JobStore;
  readonly hss: HssClient;
  readonly session: SessionConfig;
  /** 32-byte KEK for the new keys at rest. */
  readonly kek: Uint8Array;
  readonly inventory?: readonly InventoryEntry[] | Inventory;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly onSessionEnd?: RamEndpointOptions['onSessionEnd'];
  /** The core network's base URL: new jobs are pushed to the UE when it is attached. */
  readonly coreUrl?: string;
  /** The RAM URL the push names (default: this server's /ram/v1 once listening). */
  readonly publicRamUrl?: string;
}

const HEX_KEY = z.string().regex(/^([0-9a-fA-F]{32}|[0-9a-fA-F]{64})$/, 'expected 32 or 64 hex digits');
const jobTarget = z
  .object({
    iccid: z
      .string()
      .regex(/^[0-9]{19,20}$/, 'iccid: expected 19 or 20 digits')
      .optional(),
    imsi: z
      .string()
      .regex(/^[0-9]{15}$/, 'imsi: expected 15 digits')
      .optional(),
    k: HEX_KEY.optional(),
    opc: HEX_KEY.optional(),
    topc: HEX_KEY.optional(),
  })
  .strict()
  .refine((t) => (t.iccid === undefined) !== (t.imsi === undefined), 'give exactly one of iccid, imsi')
  .refine(
    (t) => (t.k === undefined) === (t.opc === undefined && t.topc === undefined) && !(t.opc && t.topc),
    'k goes with exactly one of opc, topc',
  );
const ICCID = z.string().regex(/^[0-9]{19,20}$/, 'iccids: expected 19 or 20 digits each');
const IMSI = z.string().regex(/^[0-9]{15}$/, 'imsis: expected 15 digits each');
const jobBatch = z.union([
  z.object({ iccids: z.array(ICCID).min(1).max(10_000) }).strict(),
  z.object({ imsis: z.array(IMSI).min(1).max(10_000) }).strict(),
]);
const jobId = z.object({ id: z.string().regex(/^[0-9a-f]{16}$/, 'job id: expected 16 hex digits') });
const page = z.object({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  offset: z.coerce.number().int().min(0).optional(),
});

function problem(status: number, title: string, detail: string) {
  return { status, title, detail };
}

function parse<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    throw new JobError(400, `${where}: ${r.error.issues.map((i) => i.message).join('; ')}`);
  }
  return r.data;
}

const OPENAPI = {
  openapi: '3.1.0',
  info: { title: 'ltku Provisioning Server', version: '1' },
  paths: {
    [RAM_PATH]: {
      post: {
        summary:
          'RAM over HTTP (GPC Amd B): first POST of a session; X-Admin-Protocol, X-Admin-From required',
        responses: {
          '200': { description: 'command script (AE 80 ... 00 00), X-Admin-Next-URI' },
          '204': { description: 'no pending work' },
        },
      },
    },
    [`${RAM_PATH}/sessions/{id}`]: {
      post: {
        summary: 'response script (AF 80 ... 00 00) of the previous command script',
        responses: { '200': { description: 'next command script' }, '204': { description: 'session ended' } },
      },
    },
    [`${ADMIN_PREFIX}/jobs`]: {
      post: {
        summary: 'create a key-update job: {iccid} or {imsi}',
        responses: { '201': { description: 'the job' } },
      },
      get: {
        summary: 'list jobs (limit, offset) with their state history',
        responses: { '200': { description: '{jobs}' } },
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
      get: {
        summary: 'unfinished jobs of a card (for polling UEs)',
        responses: { '200': { description: '{jobs}' } },
      },
    },
  },
} as const;

export interface ServerApp {
  readonly app: FastifyInstance;
  readonly jobs: JobService;
  readonly inventory: Inventory;
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
    ...(deps.coreUrl === undefined ? {} : { onJobCreated: corePushNotifier(deps.coreUrl, ramUrl, logger) }),
  });
  const app = Fastify({ logger: false });
  app.setErrorHandler((error: unknown, _req, reply) => {
    if (error instanceof JobError) {
      return reply
        .code(error.status)
        .type('application/problem+json')
        .send(problem(error.status, 'Request refused', error.message));
    }
    const status = (error as { statusCode?: number }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return reply
        .code(status)
        .type('application/problem+json')
        .send(problem(status, 'Bad request', (error as Error).message));
    }
    logger.error({ event: 'server-error', error: (error as Error).message }, 'internal error');
    return reply
      .code(500)
      .type('application/problem+json')
      .send(problem(500, 'Internal error', (error as Error).message));
  });

  const ram = registerRamEndpoint(app, {
    jobs,
    session: deps.session,
    logger,
    ...(deps.onSessionEnd === undefined ? {} : { onSessionEnd: deps.onSessionEnd }),
  });
  app.addHook('onClose', async () => ram.close());

  app.post(`${ADMIN_PREFIX}/jobs`, async (req, reply) => {
    const t = parse(jobTarget, req.body, 'body');
    const opc = t.opc ?? t.topc;
    const target = {
      ...(t.iccid === undefined ? {} : { iccid: t.iccid }),
      ...(t.imsi === undefined ? {} : { imsi: t.imsi }),
      ...(t.k === undefined || opc === undefined
        ? {}
        : { keys: { k: fromHex(t.k, 'k'), opc: fromHex(opc, 'opc') } }),
    };
    return reply.code(201).send(await jobs.create(target));
  });
  // A list of profiles: one job each; those refused are listed with the reason, the others go ahead.
  app.post(`${ADMIN_PREFIX}/jobs/batch`, async (req, reply) => {
    const batch = parse(jobBatch, req.body, 'body');
    const targets =
      'iccids' in batch ? batch.iccids.map((iccid) => ({ iccid })) : batch.imsis.map((imsi) => ({ imsi }));
    const created = [];
    const refused = [];
    for (const target of targets) {
      try {
        created.push(await jobs.create(target));
      } catch (e) {
        if (!(e instanceof JobError)) throw e;
        refused.push({ ...target, status: e.status, detail: e.message });
      }
    }
    return reply.code(created.length > 0 ? 201 : 409).send({ jobs: created, refused });
  });
  app.get('/openapi.json', async () => OPENAPI);
  app.get(`${ADMIN_PREFIX}/jobs`, async (req) => ({
    jobs: await jobs.list(parse(page, req.query, 'query')),
  }));
  app.get(`${ADMIN_PREFIX}/jobs/:id`, async (req) => jobs.get(parse(jobId, req.params, 'path').id));
  app.post(`${ADMIN_PREFIX}/jobs/:id/cancel`, async (req) =>
    jobs.cancel(parse(jobId, req.params, 'path').id),
  );
  app.get(`${ADMIN_PREFIX}/cards/:eid/jobs`, async (req) => {
    const { eid } = parse(
      z.object({ eid: z.string().regex(/^[0-9]{32}$/, 'eid: 32 digits') }),
      req.params,
      'path',
    );
    return { jobs: await jobs.pendingFor(eid) };
  });
  app.get(`${ADMIN_PREFIX}/status`, async () => ({
    ramUrl: RAM_PATH,
    profiles: inventory.size,
    securityAlarms: jobs.securityAlarms,
  }));
  return { app, jobs, inventory };
}

export interface RunningServer {
  /** Base URL; the UE's admin URL is `${url}${RAM_PATH}`. */
  readonly url: string;
  readonly ramUrl: string;
  readonly jobs: JobService;
  readonly inventory: Inventory;
  close(): Promise<void>;
}

export async function listenServer(deps: ServerDeps, host = '127.0.0.1', port = 0): Promise<RunningServer> {
  let url = '';
  const { app, jobs, inventory } = buildServerApp(deps, () => deps.publicRamUrl ?? `${url}${RAM_PATH}`);
  await app.listen({ host, port });
  const address = app.server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  url = `http://${shownHost}:${address.port}`;
  return { url, ramUrl: `${url}${RAM_PATH}`, jobs, inventory, close: () => app.close() };
}
