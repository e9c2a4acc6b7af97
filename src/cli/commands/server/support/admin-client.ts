// The admin API as the CLI calls it, with the operator's bearer token (DESIGN.md 7); a problem-details answer
// becomes an error naming the server's reason (never the token).
export class AdminRequestError extends Error {
  override name = 'AdminRequestError';
}

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
    throw new AdminRequestError(`server ${target.server} unreachable: ${(e as Error).message}`);
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? {} : JSON.parse(text);
  } catch {
    throw new AdminRequestError(`server answered ${response.status} with a body that is not JSON`);
  }
  if (!response.ok) {
    const detail = (json as { detail?: string }).detail ?? text;
    const hint =
      response.status === 401
        ? ' (check --token-file)'
        : response.status === 403
          ? ' (the token is not an operator token)'
          : '';
    throw new AdminRequestError(`server refused (${response.status}): ${detail}${hint}`);
  }
  return json;
}
