// The server's refusals as RFC 7807 ProblemDetails: the HTTP layer, not the error, chooses the status.
import { HttpProblem, titleOf } from '../http/index.js';
import { JobError, type JobErrorKind } from './errors.js';

/** The HTTP status of each kind of refusal (RFC 9110 15.5). */
export const JOB_ERROR_STATUS: Record<JobErrorKind, number> = {
  invalid: 400,
  'not-found': 404,
  conflict: 409,
};

const CAUSES: Record<JobErrorKind, string> = {
  invalid: 'INVALID_REQUEST',
  'not-found': 'NOT_FOUND',
  conflict: 'CONFLICT',
};

export function serverProblemOf(e: unknown): HttpProblem | undefined {
  if (!(e instanceof JobError)) return undefined;
  const status = JOB_ERROR_STATUS[e.kind];
  return new HttpProblem({ status, title: titleOf(status), detail: e.message, cause: CAUSES[e.kind] });
}
