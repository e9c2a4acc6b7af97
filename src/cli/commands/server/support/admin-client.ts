// The admin API as the CLI calls it, with the operator's bearer token (DESIGN.md 7); a problem-details answer
// becomes an error naming the server's reason (never the token).
import { describeFetchFailure, wrongServiceHint } from '../../../../ue/index.js';

export class AdminRequestError extends Error {
  override name = 'AdminRequestError';
  constructor(
    message: string,
    /** The server's status when it refused (a problem answer of the API); undefined when no such answer came. */
    readonly status?: number,
  ) {
    super(message);
  }
}

/** The server's cause for a job or profile it does not know (server/problem.ts), unlike a path it lacks. */
const CAUSE_NOT_FOUND = 'NOT_FOUND';
/** RFC 6750 2.1. */
const AUTHORIZATION_HEADER = 'authorization';

export interface AdminTarget {
  /** Base URL of the server's admin listener. */
  readonly server: string;
  readonly token: string;
}

export async function adminRequest(
  target: AdminTarget,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(new URL(path, target.server), {
      method,
      headers: {
        [AUTHORIZATION_HEADER]: `Bearer ${target.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (e) {
    throw new AdminRequestError(`server admin API unreachable: ${describeFetchFailure(e, target.server)}`);
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? {} : JSON.parse(text);
  } catch {
    json = undefined;
  }
  // A 404 for the path itself (not for a job or profile): another service, or another listener, answered.
  if (response.status === 404 && (json as { cause?: string } | undefined)?.cause !== CAUSE_NOT_FOUND)
    throw new AdminRequestError(
      `server answered 404 to ${method} ${path}${await wrongServiceHint(target.server, 'Provisioning Server admin API')}`,
    );
  if (json === undefined)
    throw new AdminRequestError(`server answered ${response.status} with a body that is not JSON`);
  if (!response.ok) {
    const detail = (json as { detail?: string }).detail ?? text;
    const hint =
      response.status === 401
        ? ' (check --token-file)'
        : response.status === 403
          ? ' (the token is not an operator token)'
          : '';
    throw new AdminRequestError(`server refused (${response.status}): ${detail}${hint}`, response.status);
  }
  return json;
}
