// The HSS HTTP API (contracts.md) on fastify: Nudm_UEAU-shaped vector generation and result confirmation
// (TS 29.503), the admin API, and /openapi.json. Bodies are checked with zod; errors are ProblemDetails.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { z } from 'zod';
import {
  principalOf,
  requireRoles,
  ROLE_CORE,
  ROLE_OPERATOR,
  ROLE_PROVISIONER,
  type Authenticator,
} from '../../auth/index.js';
import { fromHex, toHex } from '../../bytes/index.js';
import type { Logger } from '../../ports/index.js';
import type { Auc } from '../auc.js';
import {
  ADMIN_PREFIX,
  NUDM_UEAU_PREFIX,
  type ProblemDetailsJson,
  type SubscriberViewJson,
} from '../client/wire.js';
import type { Hss, SubscriberView } from '../hss.js';
import type { KeyMaterial } from '../subscriber.js';
import { buildOpenApi } from './openapi.js';
import { badRequest, fromZod, PROBLEM_CONTENT_TYPE, problemOf } from './problem.js';
import {
  authenticationInfoRequestSchema,
  authEventSchema,
  candidateSchema,
  epsAuthenticationInfoRequestSchema,
  imsiSchema,
  listQuerySchema,
  newSubscriberSchema,
  subscriberPatchSchema,
  supiSchema,
  transactionSchema,
} from './schemas.js';

export interface HssAppDeps {
  readonly hss: Hss;
  readonly auc: Auc;
  readonly logger: Logger;
  /** DESIGN.md 7: every route but /openapi.json and /healthz needs a principal of the route's role. */
  readonly authenticator: Authenticator;
}

function parse<S extends z.ZodType>(schema: S, where: string, value: unknown): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw fromZod(where, r.error);
  return r.data;
}

function imsiOfSupi(req: FastifyRequest): string {
  return parse(supiSchema, 'supi', (req.params as { supi: string }).supi).slice('imsi-'.length);
}

function imsiParam(req: FastifyRequest): string {
  return parse(imsiSchema, 'imsi', (req.params as { imsi: string }).imsi);
}

/** DESIGN.md 7: the audit trail's actor is the authenticated principal, never a request header. */
function actorOf(req: FastifyRequest): string {
  return principalOf(req).name;
}

function keysOf(b: z.infer<typeof newSubscriberSchema> | z.infer<typeof candidateSchema>): KeyMaterial {
  return b.algorithm === 'milenage'
    ? { algorithm: 'milenage', k: fromHex(b.k), opc: fromHex(b.opc) }
    : {
        algorithm: 'tuak',
        k: fromHex(b.k),
        opc: fromHex(b.topc),
        ...(b.tuak ? { tuak: b.tuak as KeyMaterial['tuak'] } : {}),
      };
}

function resyncOf(r: { rand: string; auts: string } | undefined) {
  return r === undefined ? undefined : { rand: fromHex(r.rand), auts: fromHex(r.auts) };
}

export function viewJson(v: SubscriberView): SubscriberViewJson {
  return {
    imsi: v.imsi,
    iccid: v.iccid,
    algorithm: v.algorithm,
    activeVersion: v.activeVersion,
    ...(v.candidate === undefined
      ? {}
      : {
          candidate: {
            version: v.candidate.version,
            transactionId: v.candidate.transactionId,
            stagedAt: v.candidate.stagedAt.toISOString(),
          },
        }),
    ...(v.tuak === undefined ? {} : { tuak: v.tuak }),
    amf: toHex(v.amf),
    sqn: Number(v.sqn),
    updatedAt: v.updatedAt.toISOString(),
  };
}

function sendProblem(reply: FastifyReply, body: ProblemDetailsJson): FastifyReply {
  return reply.code(body.status).type(PROBLEM_CONTENT_TYPE).send(body);
}

export function buildHssApp(deps: HssAppDeps): FastifyInstance {
  const { hss, auc, logger } = deps;
  // DESIGN.md 7 roles of the HSS API (contracts.md "Auth")
  const asCore = { onRequest: requireRoles(deps.authenticator, [ROLE_CORE]) };
  const asOperator = { onRequest: requireRoles(deps.authenticator, [ROLE_OPERATOR]) };
  const asReader = { onRequest: requireRoles(deps.authenticator, [ROLE_OPERATOR, ROLE_PROVISIONER]) };
  const asProvisioner = { onRequest: requireRoles(deps.authenticator, [ROLE_PROVISIONER]) };
  const app = Fastify({ logger: false, keepAliveTimeout: 65_000 });
  const openapi = buildOpenApi();

  app.setErrorHandler((error: unknown, req, reply) => {
    const known = problemOf(error);
    if (known !== undefined) {
      if (known.status >= 500)
        logger.error({ err: (error as Error).message, url: req.url }, 'HSS request failed');
      return sendProblem(reply, known);
    }
    const e = error as { statusCode?: number; code?: string; message?: string };
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
      // fastify's own: malformed JSON, wrong content type, body too large
      const body =
        e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'expected application/json' : 'malformed JSON';
      return sendProblem(reply, {
        status: e.statusCode,
        title: e.statusCode === 415 ? 'Unsupported Media Type' : 'Bad Request',
        detail: `body: ${e.statusCode === 413 ? 'too large' : body}`,
        cause: 'INVALID_MSG_FORMAT',
        invalidParams: [{ param: 'body' }],
      });
    }
    logger.error({ err: e.message, url: req.url }, 'HSS internal error');
    return sendProblem(reply, {
      status: 500,
      title: 'Internal Server Error',
      detail: 'internal error',
      cause: 'SYSTEM_FAILURE',
    });
  });

  app.setNotFoundHandler((req, reply) =>
    sendProblem(reply, {
      status: 404,
      title: 'Not Found',
      detail: `no resource ${req.method} ${req.url.split('?')[0]}`,
      cause: 'RESOURCE_URI_STRUCTURE_NOT_FOUND',
    }),
  );

  app.addHook('onResponse', async (req, reply) => {
    logger.debug(
      { method: req.method, url: req.url, status: reply.statusCode, ms: reply.elapsedTime },
      'HSS request',
    );
  });

  app.get('/openapi.json', async () => openapi);
  app.get('/healthz', async () => ({ status: 'ok' }));

  // TS 29.503 5.4.2.2 Nudm_UEAU_Get: 5G HE AKA vector.
  app.post(`${NUDM_UEAU_PREFIX}/:supi/security-information/generate-auth-data`, asCore, async (req) => {
    const imsi = imsiOfSupi(req);
    const body = parse(authenticationInfoRequestSchema, 'body', req.body);
    const v = await auc.generateHeAka(imsi, body.servingNetworkName, resyncOf(body.resynchronizationInfo));
    return {
      authType: '5G_AKA',
      supi: `imsi-${imsi}`,
      authenticationVector: {
        avType: '5G_HE_AKA',
        rand: toHex(v.rand),
        autn: toHex(v.autn),
        xresStar: toHex(v.xresStar),
        kausf: toHex(v.kausf),
      },
    };
  });

  app.post(`${NUDM_UEAU_PREFIX}/:supi/security-information/generate-eps-auth-data`, asCore, async (req) => {
    const imsi = imsiOfSupi(req);
    const body = parse(epsAuthenticationInfoRequestSchema, 'body', req.body);
    const { mcc, mnc } = body.servingNetworkId;
    const v = await auc.generateEpsAka(imsi, mcc, mnc, resyncOf(body.resynchronizationInfo));
    return {
      authType: 'EPS_AKA',
      supi: `imsi-${imsi}`,
      authenticationVector: {
        avType: 'EPS_AKA',
        rand: toHex(v.rand),
        autn: toHex(v.autn),
        xres: toHex(v.xres),
        kasme: toHex(v.kasme),
      },
    };
  });

  // TS 29.503 5.4.2.3 Nudm_UEAU_ResultConfirmation, extended with the MAC failure (DESIGN.md 6 self-healing).
  app.post(`${NUDM_UEAU_PREFIX}/:supi/auth-events`, asCore, async (req, reply) => {
    const imsi = imsiOfSupi(req);
    const body = parse(authEventSchema, 'body', req.body);
    if (body.success && body.failure !== undefined)
      throw badRequest('body.failure', 'must be absent when success is true');
    const outcome = {
      success: body.success,
      rand: fromHex(body.rand),
      ...(body.failure ? { failure: body.failure } : {}),
    };
    await hss.reportAuthOutcome(imsi, outcome, actorOf(req));
    return reply.code(201).send({});
  });

  const subscriber = `${ADMIN_PREFIX}/subscribers/:imsi`;

  app.post(`${ADMIN_PREFIX}/subscribers`, asOperator, async (req, reply) => {
    const body = parse(newSubscriberSchema, 'body', req.body);
    const v = await hss.create(
      {
        imsi: body.imsi,
        ...(body.iccid ? { iccid: body.iccid } : {}),
        ...(body.amf ? { amf: fromHex(body.amf) } : {}),
        ...(body.keyVersion ? { keyVersion: body.keyVersion } : {}),
        keys: keysOf(body),
      },
      actorOf(req),
    );
    return reply.code(201).send(viewJson(v));
  });

  app.get(`${ADMIN_PREFIX}/subscribers`, asReader, async (req) => {
    const q = parse(listQuerySchema, 'query', req.query);
    const filter = { withCandidate: q.candidate === 'true' };
    return { subscribers: (await hss.list(q.limit ?? 100, q.offset ?? 0, filter)).map(viewJson) };
  });

  app.get(subscriber, asReader, async (req) => viewJson(await hss.get(imsiParam(req))));

  app.patch(subscriber, asOperator, async (req) => {
    const imsi = imsiParam(req);
    const body = parse(subscriberPatchSchema, 'body', req.body ?? {});
    const patch = {
      ...(body.iccid ? { iccid: body.iccid } : {}),
      ...(body.amf ? { amf: fromHex(body.amf) } : {}),
    };
    return viewJson(await hss.update(imsi, patch, actorOf(req)));
  });

  app.delete(subscriber, asOperator, async (req, reply) => {
    await hss.delete(imsiParam(req), actorOf(req));
    return reply.code(204).send();
  });

  app.put(`${subscriber}/candidate`, asProvisioner, async (req) => {
    const imsi = imsiParam(req);
    const body = parse(candidateSchema, 'body', req.body);
    const input = {
      keyVersion: body.keyVersion,
      transactionId: body.transactionId.toLowerCase(),
      keys: keysOf(body),
    };
    return viewJson(await hss.stageCandidate(imsi, input, actorOf(req)));
  });

  app.post(`${subscriber}/candidate/commit`, asProvisioner, async (req) => {
    const imsi = imsiParam(req);
    const body = parse(transactionSchema, 'body', req.body);
    return viewJson(await hss.commitCandidate(imsi, body.transactionId.toLowerCase(), actorOf(req)));
  });

  app.post(`${subscriber}/candidate/abort`, asProvisioner, async (req) => {
    const imsi = imsiParam(req);
    const body = parse(transactionSchema, 'body', req.body);
    return viewJson(await hss.abortCandidate(imsi, body.transactionId.toLowerCase(), actorOf(req)));
  });

  app.get(`${subscriber}/audit`, asOperator, async (req) => {
    const events = await hss.audit(imsiParam(req));
    return {
      events: events.map((e) => ({
        at: e.at.toISOString(),
        event: e.event,
        keyVersion: e.keyVersion,
        ...(e.transactionId === null ? {} : { transactionId: e.transactionId }),
        actor: e.actor,
      })),
    };
  });

  return app;
}
