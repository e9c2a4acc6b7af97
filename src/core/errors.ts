// The errors of the core network service, each an HTTP answer (RFC 7807 ProblemDetails, TS 29.500 5.2.7 causes).
// Details name the field or the UE, never key material.

export interface ProblemDetails {
  status: number;
  title: string;
  detail: string;
  cause: string;
  invalidParams?: { param: string; reason?: string }[];
}

export class CoreProblem extends Error {
  override name = 'CoreProblem';
  constructor(readonly body: ProblemDetails) {
    super(body.detail);
  }
}

export function badRequest(param: string, reason: string, cause = 'MANDATORY_IE_INCORRECT'): CoreProblem {
  return new CoreProblem({
    status: 400,
    title: 'Bad Request',
    detail: `${param}: ${reason}`,
    cause,
    invalidParams: [{ param, reason }],
  });
}

export function notFound(detail: string, cause = 'CONTEXT_NOT_FOUND'): CoreProblem {
  return new CoreProblem({ status: 404, title: 'Not Found', detail, cause });
}

/** The HSS could not be reached or failed (TS 29.500 5.2.7.2: 504 UPSTREAM_SERVER_ERROR style, as 502 here). */
export function hssUnavailable(detail: string): CoreProblem {
  return new CoreProblem({ status: 502, title: 'Bad Gateway', detail, cause: 'UPSTREAM_SERVER_ERROR' });
}

/** DESIGN.md 7: a UE-facing call not authorised by the attach it names (TS 29.500 5.2.7.2: 403). */
export function forbidden(detail: string, cause = 'ATTACH_TOKEN_MISMATCH'): CoreProblem {
  return new CoreProblem({ status: 403, title: 'Forbidden', detail, cause });
}
