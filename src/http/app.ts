// One fastify instance for every ltku listener: JSON bodies (an empty one is no body, the same everywhere), one
// error handler (the code's ProblemDetails as they are; fastify's own 4xx as clear ProblemDetails; anything else a
// 500 that says "internal error", the details in the log), one 404 handler, and requests counted by route.
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from '../ports/index.js';
import type { HttpMetrics } from './metrics.js';
import {
  CAUSE_INVALID_MSG_FORMAT,
  CAUSE_MANDATORY_IE_MISSING,
  CAUSE_RESOURCE_NOT_FOUND,
  CAUSE_SYSTEM_FAILURE,
  HttpProblem,
  INTERNAL_ERROR_DETAIL,
  JSON_CONTENT_TYPE,
  sendProblem,
  titleOf,
  type ProblemDetails,
} from './problem.js';

/** Idle keep-alive longer than the usual load balancer's 60 s, so it closes first. */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;
/** The route label of a request no route matched (the URL is never a label). */
export const UNMATCHED_ROUTE = 'unmatched';

export interface HttpAppOptions {
  /** Names the service in logs: events `<service>-error`, `<service>-request`. */
  readonly service: string;
  /** Shown in log messages ("HSS request failed"). */
  readonly title: string;
  readonly logger: Logger;
  /** Which listener of the service (the server has 'ram' and 'admin'). */
  readonly listener?: string;
  /** The service's own errors as answers (DESIGN.md 9: domain errors carry no HTTP status); undefined: not one. */
  readonly mapError?: (error: unknown) => HttpProblem | undefined;
  readonly metrics?: HttpMetrics;
}

/** fastify's own request errors (code FST_ERR_...): the reason said in the answer, never fastify's text. */
const FASTIFY_REASONS: Record<string, { reason: string; cause: string }> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { reason: 'unsupported content type', cause: CAUSE_INVALID_MSG_FORMAT },
  FST_ERR_CTP_BODY_TOO_LARGE: { reason: 'too large', cause: CAUSE_INVALID_MSG_FORMAT },
  FST_ERR_CTP_INVALID_JSON_BODY: { reason: 'malformed JSON', cause: CAUSE_INVALID_MSG_FORMAT },
  FST_ERR_CTP_EMPTY_JSON_BODY: { reason: 'missing', cause: CAUSE_MANDATORY_IE_MISSING },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    reason: 'length differs from Content-Length',
    cause: CAUSE_INVALID_MSG_FORMAT,
  },
};

/** A 4xx fastify raised before the handler ran (body parsing, URL), as ProblemDetails naming the body. */
function fastifyProblem(e: Partial<FastifyError>): HttpProblem | undefined {
  const status = e.statusCode;
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined;
  const known = e.code === undefined ? undefined : FASTIFY_REASONS[e.code];
  if (known === undefined && !(e instanceof SyntaxError) && !e.code?.startsWith('FST_')) return undefined;
  const { reason, cause } =
    known ??
    (e instanceof SyntaxError
      ? FASTIFY_REASONS.FST_ERR_CTP_INVALID_JSON_BODY
      : { reason: 'malformed request', cause: CAUSE_INVALID_MSG_FORMAT });
  const param = e.code?.startsWith('FST_ERR_CTP') || e instanceof SyntaxError ? 'body' : 'request';
  return new HttpProblem({
    status,
    title: titleOf(status),
    detail: `${param}: ${reason}`,
    cause,
    invalidParams: [{ param, reason }],
  });
}

const INTERNAL: ProblemDetails = {
  status: 500,
  title: titleOf(500),
  detail: INTERNAL_ERROR_DETAIL,
  cause: CAUSE_SYSTEM_FAILURE,
};

export function createHttpApp(o: HttpAppOptions): FastifyInstance {
  const app = Fastify({ logger: false, keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS });
  const where = o.listener === undefined ? {} : { listener: o.listener };

  // RFC 8259 allows no empty text: an empty JSON body is no body, and the route says whether it needs one.
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser(JSON_CONTENT_TYPE);
  app.addContentTypeParser(JSON_CONTENT_TYPE, { parseAs: 'string' }, (req, body, done) => {
    if ((body as string).trim() === '') return done(null, undefined);
    return json(req, body as string, done);
  });

  app.setErrorHandler((error: unknown, req, reply) => {
    const answer =
      error instanceof HttpProblem
        ? error
        : (o.mapError?.(error) ?? fastifyProblem(error as Partial<FastifyError>));
    const body = answer?.body ?? INTERNAL;
    if (body.status >= 500) {
      o.logger.error(
        {
          event: `${o.service}-error`,
          ...where,
          method: req.method,
          route: req.routeOptions.url ?? UNMATCHED_ROUTE,
          url: req.url,
          error: answer?.logDetail ?? (error as Error).message,
        },
        `${o.title} request failed`,
      );
    }
    return sendProblem(reply, body);
  });

  app.setNotFoundHandler((req, reply) =>
    sendProblem(reply, {
      status: 404,
      title: titleOf(404),
      detail: `no resource ${req.method} ${req.url.split('?')[0]}`,
      cause: CAUSE_RESOURCE_NOT_FOUND,
    }),
  );

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? UNMATCHED_ROUTE;
    o.metrics?.requests.inc({ method: req.method, route, status: String(reply.statusCode) });
    o.logger.debug(
      {
        event: `${o.service}-request`,
        ...where,
        method: req.method,
        route,
        status: reply.statusCode,
        ms: reply.elapsedTime,
      },
      `${o.title} request`,
    );
  });
  return app;
}
