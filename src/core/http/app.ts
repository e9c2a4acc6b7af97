// The core network's attach API on fastify (contracts.md "Core network HTTP API"): attach, the UE's answer to a
// challenge, detach, UE state, and the push channel (server-sent events). Errors are ProblemDetails.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { z, ZodError } from 'zod';
import {
  authorizationOf,
  bearerToken,
  BEARER_REALM,
  CAUSE_UNAUTHENTICATED,
  requireRoles,
  ROLE_OPERATOR,
  ROLE_PROVISIONER,
  WWW_AUTHENTICATE_HEADER,
  type Authenticator,
} from '../../auth/index.js';
import { fromHex, toHex } from '../../bytes/index.js';
import type { RandomSource } from '../../crypto/index.js';
import type { Clock, Logger } from '../../ports/index.js';
import {
  AttachService,
  type AttachOutcome,
  type AuthDataSource,
  type UeResponse,
} from '../attach-service.js';
import { badRequest, CoreProblem, forbidden, notFound, type ProblemDetails } from '../errors.js';
import { PushHub } from '../push.js';
import { buildCoreOpenApi } from './openapi.js';
import {
  attachIdSchema,
  attachRequestSchema,
  attachResponseSchema,
  detachRequestSchema,
  imsiSchema,
  pushRequestSchema,
} from './schemas.js';

/** What the core needs: the HSS (its client), time, randomness (attach ids), a logger. */
export interface CoreDeps {
  readonly hss: AuthDataSource;
  readonly clock: Clock;
  readonly rng: RandomSource;
  readonly logger: Logger;
  /** DESIGN.md 7: push needs a provisioner, UE state an operator; attach and its answer stay open (UE-facing). */
  readonly authenticator: Authenticator;
  /** Used when the UE names none (default 5G:mnc001.mcc001.3gppnetwork.org). */
  readonly servingNetworkName?: string;
  readonly challengeTtlMs?: number;
  /** Comment lines on idle event streams (default 15 s; 0: none). */
  readonly keepAliveMs?: number;
  /** Given to share state with the caller (e.g. the demo hosting several roles); built otherwise. */
  readonly service?: AttachService;
  readonly push?: PushHub;
}

const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const DEFAULT_KEEP_ALIVE_MS = 15_000;

function fromZod(where: string, error: ZodError): CoreProblem {
  const issue = error.issues[0];
  const keys = (issue as { keys?: string[] }).keys;
  const path = [
    where,
    ...issue.path.map(String),
    ...(issue.code === 'unrecognized_keys' && keys ? [keys[0]] : []),
  ];
  const missing = issue.code === 'invalid_type' && /received undefined/.test(issue.message);
  const reason = missing ? 'missing' : issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message;
  return badRequest(path.join('.'), reason, missing ? 'MANDATORY_IE_MISSING' : 'MANDATORY_IE_INCORRECT');
}

function parse<S extends z.ZodType>(schema: S, where: string, value: unknown): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw fromZod(where, r.error);
  return r.data;
}

function param(req: FastifyRequest, name: string): string {
  return (req.params as Record<string, string>)[name];
}

function sendProblem(reply: FastifyReply, body: ProblemDetails): FastifyReply {
  return reply.code(body.status).type(PROBLEM_CONTENT_TYPE).send(body);
}

function outcomeJson(o: AttachOutcome) {
  switch (o.state) {
    case 'challenge':
      return { state: o.state, attachId: o.attachId, rand: toHex(o.rand), autn: toHex(o.autn) };
    case 'attached':
      return { state: o.state, kseafDigest: toHex(o.kseafDigest), attachToken: o.attachToken };
    case 'rejected':
      return { state: o.state, reason: o.reason };
  }
}

function sendOutcome(reply: FastifyReply, o: AttachOutcome): FastifyReply {
  return reply.code(o.state === 'rejected' ? 403 : 200).send(outcomeJson(o));
}

function ueResponseOf(body: z.infer<typeof attachResponseSchema>): UeResponse {
  const where = 'body';
  if (body.res !== undefined) {
    if (body.failure !== undefined) throw badRequest(`${where}.failure`, 'not allowed with res');
    if (body.auts !== undefined) throw badRequest(`${where}.auts`, 'not allowed with res');
    return { res: fromHex(body.res, 'res') };
  }
  if (body.failure === undefined)
    throw badRequest(`${where}.res`, 'missing (or failure)', 'MANDATORY_IE_MISSING');
  if (body.failure === 'SYNCH_FAILURE') {
    if (body.auts === undefined) throw badRequest(`${where}.auts`, 'missing', 'MANDATORY_IE_MISSING');
    return { failure: body.failure, auts: fromHex(body.auts, 'auts') };
  }
  if (body.auts !== undefined) throw badRequest(`${where}.auts`, 'only with SYNCH_FAILURE');
  return { failure: body.failure };
}

export function buildCoreApp(deps: CoreDeps): FastifyInstance {
  const { logger } = deps;
  const service = deps.service ?? new AttachService(deps);
  const push = deps.push ?? new PushHub();
  const app = Fastify({ logger: false, keepAliveTimeout: 65_000 });
  const asOperator = { onRequest: requireRoles(deps.authenticator, [ROLE_OPERATOR]) };
  const asProvisioner = { onRequest: requireRoles(deps.authenticator, [ROLE_PROVISIONER]) };

  app.setErrorHandler((error: unknown, req, reply) => {
    if (error instanceof CoreProblem) {
      if (error.body.status >= 500)
        logger.error({ url: req.url, detail: error.body.detail }, 'core request failed');
      return sendProblem(reply, error.body);
    }
    const e = error as { statusCode?: number; code?: string; message?: string };
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
      // fastify's own: malformed JSON, wrong content type, body too large
      const reason =
        e.statusCode === 413
          ? 'too large'
          : e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
            ? 'expected application/json'
            : e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
              ? 'missing'
              : 'malformed JSON';
      return sendProblem(reply, {
        status: e.statusCode,
        title: e.statusCode === 415 ? 'Unsupported Media Type' : 'Bad Request',
        detail: `body: ${reason}`,
        cause: 'INVALID_MSG_FORMAT',
        invalidParams: [{ param: 'body', reason }],
      });
    }
    logger.error({ err: e.message, url: req.url }, 'core internal error');
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

  const openapi = buildCoreOpenApi();
  app.get('/openapi.json', async () => openapi);

  app.post('/core/v1/attach', async (req, reply) => {
    const body = parse(attachRequestSchema, 'body', req.body ?? {});
    return sendOutcome(reply, await service.attach(body.imsi, body.servingNetworkName));
  });

  app.post('/core/v1/attach/:attachId/response', async (req, reply) => {
    const attachId = parse(attachIdSchema, 'attachId', param(req, 'attachId'));
    const response = ueResponseOf(parse(attachResponseSchema, 'body', req.body ?? {}));
    return sendOutcome(reply, await service.respond(attachId, response));
  });

  // DESIGN.md 7: a detach is authorised by the attach it ends (its token), never by the IMSI alone
  app.post('/core/v1/detach', async (req) => {
    const { imsi, attachToken } = parse(detachRequestSchema, 'body', req.body ?? {});
    service.detach(imsi, attachToken ?? '');
    push.close(imsi);
    return { state: 'detached' };
  });

  app.get('/core/v1/ues/:imsi', asOperator, async (req) => {
    const ue = service.ue(parse(imsiSchema, 'imsi', param(req, 'imsi')));
    return {
      imsi: ue.imsi,
      state: ue.state,
      ...(ue.attachedAt ? { attachedAt: ue.attachedAt.toISOString() } : {}),
    };
  });

  app.post('/core/v1/ues/:imsi/push', asProvisioner, async (req, reply) => {
    const imsi = parse(imsiSchema, 'imsi', param(req, 'imsi'));
    const event = parse(pushRequestSchema, 'body', req.body ?? {});
    if (!service.isAttached(imsi)) throw notFound(`UE ${imsi} is not attached`);
    const streams = push.push(imsi, { type: event.type, data: { type: event.type, url: event.url } });
    return reply.code(202).send({ delivered: streams > 0, streams });
  });

  // WHATWG HTML 9.2 server-sent events: one stream per UE connection, while attached; DESIGN.md 7: the UE shows
  // its attach token as a bearer token (RFC 6750)
  app.get('/core/v1/ues/:imsi/events', async (req, reply) => {
    const imsi = parse(imsiSchema, 'imsi', param(req, 'imsi'));
    const attachToken = bearerToken(authorizationOf(req));
    if (attachToken === undefined) {
      reply.header(WWW_AUTHENTICATE_HEADER, `Bearer realm="${BEARER_REALM}"`);
      return sendProblem(reply, {
        status: 401,
        title: 'Unauthorized',
        detail: 'the attach token is required (Authorization: Bearer)',
        cause: CAUSE_UNAUTHENTICATED,
      });
    }
    if (!service.holdsAttach(imsi, attachToken))
      throw forbidden('the attach token does not match the current attach of this UE');
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    raw.write(': connected\n\n');
    const unregister = push.open(imsi, {
      write: (text) => void raw.write(text),
      end: () => raw.end(),
    });
    req.raw.on('close', unregister);
  });

  const keepAliveMs = deps.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS;
  const timer = keepAliveMs > 0 ? setInterval(() => push.keepAlive(), keepAliveMs) : undefined;
  timer?.unref();
  app.addHook('preClose', async () => {
    if (timer !== undefined) clearInterval(timer);
    push.closeAll();
  });

  app.addHook('onResponse', async (req, reply) => {
    logger.debug({ method: req.method, url: req.url, status: reply.statusCode }, 'core request');
  });
  return app;
}
