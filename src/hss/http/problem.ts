// The HSS's errors as RFC 7807 ProblemDetails with the causes of TS 29.500 5.2.7 / TS 29.503 (the HTTP layer
// maps them; the errors carry no status). Details name the field or subscriber, never key material.
import { badRequest, HttpProblem, titleOf } from '../../http/index.js';
import {
  ConflictError,
  InvalidRequestError,
  NoCredentialsError,
  StoreFailureError,
  UnknownSubscriberError,
} from '../errors.js';

const STORE_FAILURE_DETAIL = 'subscriber store failure';

/** The answer to an error thrown by the HSS; undefined for an unexpected error (the kit answers 500). */
export function hssProblemOf(e: unknown): HttpProblem | undefined {
  if (e instanceof UnknownSubscriberError)
    return new HttpProblem({ status: 404, title: titleOf(404), detail: e.message, cause: 'USER_NOT_FOUND' });
  if (e instanceof NoCredentialsError) {
    // TS 29.503 6.3.3.2.4.3.1: 403 AUTHENTICATION_REJECTED
    return new HttpProblem({
      status: 403,
      title: titleOf(403),
      detail: e.message,
      cause: 'AUTHENTICATION_REJECTED',
    });
  }
  if (e instanceof InvalidRequestError)
    return badRequest(`body.${e.field}`, e.message.slice(e.field.length + 2));
  if (e instanceof ConflictError)
    return new HttpProblem({ status: 409, title: titleOf(409), detail: e.message, cause: 'CONFLICT' });
  if (e instanceof StoreFailureError) {
    return new HttpProblem(
      { status: 500, title: titleOf(500), detail: STORE_FAILURE_DETAIL, cause: 'SYSTEM_FAILURE' },
      e.message,
    );
  }
  return undefined;
}
