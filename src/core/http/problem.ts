// The core's errors as RFC 7807 ProblemDetails (TS 29.500 5.2.7): the status is chosen here, not in the error.
// An HSS failure is a 502 whose body says only that; the HSS's own text goes to the log.
import { HttpProblem, titleOf } from '../../http/index.js';
import { CoreError, type CoreErrorKind } from '../errors.js';

const STATUS: Record<CoreErrorKind, number> = {
  'not-found': 404,
  forbidden: 403,
  // TS 29.500 5.2.7.2: an upstream NF failed (502 rather than 504: it answered, or refused the connection)
  'hss-unavailable': 502,
};
const HSS_UNAVAILABLE_DETAIL = 'the HSS did not answer or failed';

export function coreProblemOf(e: unknown): HttpProblem | undefined {
  if (!(e instanceof CoreError)) return undefined;
  const status = STATUS[e.kind];
  return e.kind === 'hss-unavailable'
    ? new HttpProblem(
        { status, title: titleOf(status), detail: HSS_UNAVAILABLE_DETAIL, cause: e.code },
        e.message,
      )
    : new HttpProblem({ status, title: titleOf(status), detail: e.message, cause: e.code });
}
