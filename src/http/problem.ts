// RFC 7807 ProblemDetails with the causes of TS 29.500 5.2.7: the one error shape of every ltku HTTP API. Details
// name the field (`body.k: expected 32 hex digits`), never key material; a 5xx detail is a fixed text.
import type { FastifyReply } from 'fastify';
import type { ZodError, z } from 'zod';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
export const JSON_CONTENT_TYPE = 'application/json';
export const CAUSE_MANDATORY_IE_INCORRECT = 'MANDATORY_IE_INCORRECT';
export const CAUSE_MANDATORY_IE_MISSING = 'MANDATORY_IE_MISSING';
export const CAUSE_INVALID_MSG_FORMAT = 'INVALID_MSG_FORMAT';
export const CAUSE_RESOURCE_NOT_FOUND = 'RESOURCE_URI_STRUCTURE_NOT_FOUND';
export const CAUSE_SYSTEM_FAILURE = 'SYSTEM_FAILURE';
export const CAUSE_NOT_READY = 'NF_SERVICE_NOT_READY';
/** The only detail of a 5xx the kit makes itself (what went wrong inside goes to the log). */
export const INTERNAL_ERROR_DETAIL = 'internal error';

export interface InvalidParam {
  param: string;
  reason?: string;
}

export interface ProblemDetails {
  status: number;
  title: string;
  detail?: string;
  cause?: string;
  invalidParams?: InvalidParam[];
}

/** RFC 9110 15.5, 15.6: the title of each status the APIs answer. */
const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

export function titleOf(status: number): string {
  return TITLES[status] ?? (status >= 500 ? 'Internal Server Error' : 'Bad Request');
}

/**
 * An answer the code chose: sent as it is. `logDetail` (an upstream's message, an IMSI) goes to the log only;
 * the body of a 5xx carries only fixed text.
 */
export class HttpProblem extends Error {
  override name = 'HttpProblem';
  constructor(
    readonly body: ProblemDetails,
    readonly logDetail?: string,
  ) {
    super(body.detail ?? body.title);
  }
}

export function problem(status: number, detail: string, cause?: string): HttpProblem {
  return new HttpProblem({
    status,
    title: titleOf(status),
    detail,
    ...(cause === undefined ? {} : { cause }),
  });
}

export function badRequest(param: string, reason: string, cause = CAUSE_MANDATORY_IE_INCORRECT): HttpProblem {
  return new HttpProblem({
    status: 400,
    title: titleOf(400),
    detail: `${param}: ${reason}`,
    cause,
    invalidParams: [{ param, reason }],
  });
}

/** The first issue names the field: `where` ('body', 'query', or '' for path parameters) and its path. */
export function problemFromZod(where: string, error: ZodError): HttpProblem {
  const issue = error.issues[0];
  const keys = (issue as { keys?: string[] }).keys;
  const path = [
    ...(where === '' ? [] : [where]),
    ...issue.path.map(String),
    ...(issue.code === 'unrecognized_keys' && keys ? [keys[0]] : []),
  ].join('.');
  const missing = issue.code === 'invalid_type' && /received undefined/.test(issue.message);
  const reason = missing ? 'missing' : issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message;
  return badRequest(
    path || 'body',
    reason,
    missing ? CAUSE_MANDATORY_IE_MISSING : CAUSE_MANDATORY_IE_INCORRECT,
  );
}

/** Validates `value`; a 400 naming the field otherwise. */
export function parseWith<S extends z.ZodType>(schema: S, where: string, value: unknown): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw problemFromZod(where, r.error);
  return r.data;
}

export function sendProblem(reply: FastifyReply, body: ProblemDetails): FastifyReply {
  return reply.code(body.status).type(PROBLEM_CONTENT_TYPE).send(body);
}
