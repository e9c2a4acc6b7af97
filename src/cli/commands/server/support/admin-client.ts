// The admin API as the CLI calls it; a problem-details answer becomes an error naming the server's reason.
export class AdminRequestError extends Error {
  override name = 'AdminRequestError';
}

export async function adminRequest(
  server: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(new URL(path, server), {
      method,
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (e) {
    throw new AdminRequestError(`server ${server} unreachable: ${(e as Error).message}`);
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
    throw new AdminRequestError(`server refused (${response.status}): ${detail}`);
  }
  return json;
}
