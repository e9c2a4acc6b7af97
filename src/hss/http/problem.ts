// RFC 7807 ProblemDetails with the causes of TS 29.500 5.2.7 / TS 29.503: every error answer of the API, made
// from the HSS's error classes. Details name the field or subscriber, never key material.
import type { ZodError } from 'zod';
import type { ProblemDetailsJson } from '../client/wire.js';
import {
  ConflictError,
  InvalidRequestError,
  NoCredentialsError,
  StoreFailureError,
  UnknownSubscriberError,
} from '../errors.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export class Problem extends Error {
  constructor(readonly body: ProblemDetailsJson) {
    super(body.detail ?? body.title);
  }
}

export function badRequest(param: string, reason: string, cause = 'MANDATORY_IE_INCORRECT'): Problem {
  return new Problem({
    status: 400,
    title: 'Bad Request',
    detail: `${param}: ${reason}`,
    cause,
    invalidParams: [{ param, reason }],
  });
}

/** The first issue names the field, e.g. `body.k: expected 32 hex digits`. */
export function fromZod(where: string, error: ZodError): Problem {
  const issue = error.issues[0];
  const keys = (issue as { keys?: string[] }).keys;
  const path = [
    where,
    ...issue.path.map(String),
    ...(issue.code === 'unrecognized_keys' && keys ? [keys[0]] : []),
  ].join('.');
  const missing = issue.code === 'invalid_type' && /received undefined/.test(issue.message);
  const reason = missing ? 'missing' : issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message;
  return badRequest(path, reason, missing ? 'MANDATORY_IE_MISSING' : 'MANDATORY_IE_INCORRECT');
}

/** Maps an error thrown by the HSS to its ProblemDetails; undefined for an unexpected error (500). */
export function problemOf(e: unknown): ProblemDetailsJson | undefined {
  if (e instanceof Problem) return e.body;
  if (e instanceof UnknownSubscriberError) {
    return { status: 404, title: 'Not Found', detail: e.message, cause: 'USER_NOT_FOUND' };
  }
  if (e instanceof NoCredentialsError) {
    // TS 29.503 6.3.3.2.4.3.1: 403 AUTHENTICATION_REJECTED
    return { status: 403, title: 'Forbidden', detail: e.message, cause: 'AUTHENTICATION_REJECTED' };
  }
  if (e instanceof InvalidRequestError) {
    return badRequest(`body.${e.field}`, e.message.slice(e.field.length + 2)).body;
  }
  if (e instanceof ConflictError)
    return { status: 409, title: 'Conflict', detail: e.message, cause: 'CONFLICT' };
  if (e instanceof StoreFailureError) {
    return {
      status: 500,
      title: 'Internal Server Error',
      detail: 'subscriber store failure',
      cause: 'SYSTEM_FAILURE',
    };
  }
  return undefined;
}
