// Why an HTTP call did not get an answer, in words a user can act on (issue 14): connection refused at the URL,
// a host name DNS does not know, a TLS failure, a timeout; and, when a URL answers 404, which service answered
// (the title of its /openapi.json, which every ltku HTTP service publishes).

/** undici puts the socket error under `cause` (Node fetch); its `code` is the errno or TLS name. */
interface ErrorWithCause {
  readonly name?: string;
  readonly message?: string;
  readonly code?: string;
  readonly cause?: ErrorWithCause;
}

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL']);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT']);
const OPENAPI_PATH = '/openapi.json';
const PROBE_TIMEOUT_MS = 2_000;

function codeOf(e: ErrorWithCause): string | undefined {
  for (let c: ErrorWithCause | undefined = e; c !== undefined; c = c.cause)
    if (c.code !== undefined) return c.code;
  return undefined;
}

/** One sentence naming the cause of a fetch that threw, for `url`. */
export function describeFetchFailure(error: unknown, url: string): string {
  const e = (error ?? {}) as ErrorWithCause;
  const code = codeOf(e);
  let host = url;
  try {
    host = new URL(url).host;
  } catch {
    // keep the text as given
  }
  if (e.name === 'TimeoutError' || (code !== undefined && TIMEOUT_CODES.has(code)))
    return `no answer from ${url} in time (timeout)`;
  if (code === 'ECONNREFUSED') return `connection refused at ${url} (is the service running on ${host}?)`;
  if (code !== undefined && DNS_CODES.has(code)) return `DNS: cannot resolve the host of ${url} (${code})`;
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET')
    return `connection to ${url} closed by the peer (${code})`;
  if (code !== undefined && (/^ERR_(TLS|SSL)_/.test(code) || code.includes('CERT') || code === 'EPROTO'))
    return `TLS failure with ${url} (${code}; plain HTTP at that port, or a certificate not trusted?)`;
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return `no route to ${host} (${code})`;
  const detail = (e.cause?.message ?? e.message ?? String(error)).split('\n')[0];
  return `cannot reach ${url}: ${detail}${code === undefined ? '' : ` (${code})`}`;
}

/**
 * Which service listens at `base`, for a message after an unexpected 404: the title of its /openapi.json, or
 * undefined when it publishes none (another program, or the Provisioning Server's RAM listener).
 */
export async function serviceAt(base: string, fetchImpl: typeof fetch = fetch): Promise<string | undefined> {
  try {
    const r = await fetchImpl(new URL(OPENAPI_PATH, base), { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    if (!r.ok) {
      await r.arrayBuffer();
      return undefined;
    }
    const title = ((await r.json()) as { info?: { title?: unknown } }).info?.title;
    return typeof title === 'string' ? title : undefined;
  } catch {
    return undefined;
  }
}

/** " — that URL is <title>, not <expected>" or " — nothing there names itself <expected>". */
export async function wrongServiceHint(
  base: string,
  expected: string,
  fetchImpl: typeof fetch = fetch,
): Promise<string> {
  const title = await serviceAt(base, fetchImpl);
  return title === undefined
    ? ` (${base} publishes no ${OPENAPI_PATH}: not the ${expected}? check the URL and port)`
    : ` (${base} is "${title}", not the ${expected}: check the URL and port)`;
}
