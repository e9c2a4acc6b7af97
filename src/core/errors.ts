// Errors of the core network service: what went wrong, with the TS 29.500 5.2.7 cause; the HTTP layer
// (core/http/problem.ts) chooses the status. Messages name the UE or the attach, never key material.

export type CoreErrorKind = 'not-found' | 'forbidden' | 'hss-unavailable';

export class CoreError extends Error {
  override name = 'CoreError';
  constructor(
    readonly kind: CoreErrorKind,
    message: string,
    /** TS 29.500 5.2.7 application error cause. */
    readonly code: string,
  ) {
    super(message);
  }
}

export function notFound(detail: string, code = 'CONTEXT_NOT_FOUND'): CoreError {
  return new CoreError('not-found', detail, code);
}

/** The HSS could not be reached or failed (TS 29.500 5.2.7.2 UPSTREAM_SERVER_ERROR); the message is for the log. */
export function hssUnavailable(detail: string): CoreError {
  return new CoreError('hss-unavailable', detail, 'UPSTREAM_SERVER_ERROR');
}

/** DESIGN.md 7: a UE-facing call not authorised by the attach it names. */
export function forbidden(detail: string, code = 'ATTACH_TOKEN_MISMATCH'): CoreError {
  return new CoreError('forbidden', detail, code);
}
