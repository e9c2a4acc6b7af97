// Outgoing HTTP calls of the services (issue 11): node:http/https over a keep-alive Agent with bounded sockets,
// a deadline per request, text bodies in and out, and a failure named by its cause (issue 14). Measured here,
// fetch (undici) costs about three times the CPU of node:http per call; the HSS client and the server's push
// make several calls per key update. `requestViaFetch` adapts an injected fetch (tests, the demo's recorder).
import http from 'node:http';
import https from 'node:https';
import { urlToHttpOptions } from 'node:url';

export interface HttpRequest {
  readonly method: string;
  /** Absolute http: or https: URL. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** No complete answer within this: an HttpCallError of kind 'timeout'. */
  readonly timeoutMs: number;
}

export interface HttpResponse {
  readonly status: number;
  readonly statusText: string;
  readonly body: string;
}

/** One request and its whole answer; rejects with HttpCallError only. */
export type HttpRequestFn = (request: HttpRequest) => Promise<HttpResponse>;

/** No answer: nothing came back in time, the connection failed, or the answer was too large (see the message). */
export class HttpCallError extends Error {
  override name = 'HttpCallError';
  constructor(
    readonly kind: 'timeout' | 'unreachable',
    message: string,
  ) {
    super(message);
  }
}

export interface KeepAliveOptions {
  /** Connections per origin at most (requests beyond wait for one). */
  readonly maxSockets?: number;
  /** An idle connection is closed after this (below the usual servers' keep-alive timeouts, 5 s and more). */
  readonly freeSocketTimeoutMs?: number;
  /** An answer body larger than this is not buffered: the call fails (a peer cannot exhaust the memory). */
  readonly maxResponseBytes?: number;
}

export const DEFAULT_MAX_SOCKETS = 64;
export const DEFAULT_FREE_SOCKET_TIMEOUT_MS = 4_000;
/** Far above the largest answer of the services' APIs (a page of 1000 subscriber views is about 0.5 MiB). */
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL']);
/** Node's TLS errors and OpenSSL's certificate verdicts (UNABLE_TO_VERIFY_LEAF_SIGNATURE, CERT_HAS_EXPIRED, ...). */
const TLS_CODE = /^ERR_(TLS|SSL)_|CERT|SIGNATURE|SELF_SIGNED|^EPROTO$/;
/**
 * A kept-alive connection the server closed just as it was reused (servers close idle ones only): the request is
 * sent again on a new connection, for the methods RFC 9110 9.2.2 lets a client repeat on its own.
 */
const STALE_SOCKET_CODES = new Set(['ECONNRESET', 'EPIPE']);
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

interface ErrorWithCode {
  readonly name?: string;
  readonly message?: string;
  readonly code?: string;
  readonly cause?: ErrorWithCode;
}

function codeOf(e: ErrorWithCode | undefined): string | undefined {
  for (let c = e; c !== undefined; c = c.cause) if (typeof c.code === 'string') return c.code;
  return undefined;
}

/** Issue 14: the cause of a failed connection in words (connection refused, DNS, reset, TLS), with its code. */
export function describeNetworkFailure(error: unknown): string {
  const e = (error ?? {}) as ErrorWithCode;
  const code = codeOf(e);
  if (code === 'ECONNREFUSED') return 'connection refused (ECONNREFUSED)';
  if (code !== undefined && DNS_CODES.has(code)) return `DNS cannot resolve the host (${code})`;
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET')
    return `connection closed by the peer (${code})`;
  if (code !== undefined && TLS_CODE.test(code)) return `TLS failure (${code})`;
  const detail = (e.cause?.message ?? e.message ?? String(error)).split('\n')[0];
  return code === undefined || detail.includes(code) ? detail : `${detail} (${code})`;
}

/** Where a URL's requests go: scheme, host, port (and user info), parsed once per origin. */
interface Origin {
  readonly secure: boolean;
  readonly options: Pick<http.RequestOptions, 'protocol' | 'hostname' | 'port' | 'auth'>;
}

/** Origins remembered per client (a client talks to one or a few). */
const MAX_ORIGINS = 16;

/** Requests over keep-alive connections, one Agent per scheme; `close` ends the idle ones (services' shutdown). */
export class KeepAliveHttpClient {
  readonly #options: Required<KeepAliveOptions>;
  #http: http.Agent | undefined;
  #https: https.Agent | undefined;
  readonly #origins = new Map<string, Origin>();

  constructor(options: KeepAliveOptions = {}) {
    this.#options = {
      maxSockets: options.maxSockets ?? DEFAULT_MAX_SOCKETS,
      freeSocketTimeoutMs: options.freeSocketTimeoutMs ?? DEFAULT_FREE_SOCKET_TIMEOUT_MS,
      maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    };
  }

  readonly request: HttpRequestFn = (request) => this.#send(request, IDEMPOTENT_METHODS.has(request.method));

  /** Destroys the connections; a later request opens new ones. */
  close(): void {
    this.#http?.destroy();
    this.#https?.destroy();
    this.#http = undefined;
    this.#https = undefined;
  }

  #agent(secure: boolean): http.Agent {
    const o = {
      keepAlive: true,
      maxSockets: this.#options.maxSockets,
      maxFreeSockets: this.#options.maxSockets,
      timeout: this.#options.freeSocketTimeoutMs,
      scheduling: 'lifo' as const,
    };
    if (secure) return (this.#https ??= new https.Agent(o));
    return (this.#http ??= new http.Agent(o));
  }

  /** The origin and the path of an absolute URL, without a URL parse per request. */
  #target(url: string): { origin: Origin; path: string } {
    const slash = url.indexOf('/', url.indexOf('//') + 2);
    const key = slash < 0 ? url : url.slice(0, slash);
    let origin = this.#origins.get(key);
    if (origin === undefined) {
      const u = new URL(key);
      const { protocol, hostname, port, auth } = urlToHttpOptions(u);
      origin = { secure: u.protocol === 'https:', options: { protocol, hostname, port, auth } };
      if (this.#origins.size < MAX_ORIGINS) this.#origins.set(key, origin);
    }
    return { origin, path: slash < 0 ? '/' : url.slice(slash) };
  }

  /** One exchange; a stale kept-alive socket is retried once within the same deadline (r.timeoutMs in all). */
  #send(
    r: HttpRequest,
    retryStale: boolean,
    deadline = performance.now() + r.timeoutMs,
  ): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { ...r.headers };
      if (r.body !== undefined) headers['content-length'] = Buffer.byteLength(r.body);
      let settled = false;
      let answered = false;
      const fail = (e: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const stale =
          !answered && req.reusedSocket && STALE_SOCKET_CODES.has(codeOf(e as ErrorWithCode) ?? '');
        if (stale && retryStale) resolve(this.#send(r, false, deadline));
        else reject(new HttpCallError('unreachable', describeNetworkFailure(e)));
      };
      let req: http.ClientRequest;
      try {
        const { origin, path } = this.#target(r.url);
        req = (origin.secure ? https : http).request({
          ...origin.options,
          path,
          method: r.method,
          headers,
          agent: this.#agent(origin.secure),
        });
      } catch (e) {
        reject(new HttpCallError('unreachable', describeNetworkFailure(e)));
        return;
      }
      const timer = setTimeout(
        () => {
          settled = true;
          reject(new HttpCallError('timeout', `no answer within ${r.timeoutMs} ms`));
          req.destroy();
        },
        Math.max(0, deadline - performance.now()),
      );
      req.on('error', fail);
      req.on('response', (res) => {
        answered = true;
        const max = this.#options.maxResponseBytes;
        const chunks: Buffer[] = [];
        let size = 0;
        const tooLarge = () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          reject(new HttpCallError('unreachable', `the answer is larger than ${max} bytes`));
          req.destroy();
        };
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > max) return tooLarge();
          chunks.push(chunk);
        });
        res.on('error', fail);
        res.on('close', () => {
          if (!res.complete) fail(new Error('the answer was cut off'));
        });
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          const body = Buffer.concat(chunks, size).toString('utf8');
          resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', body });
        });
        // A declared length over the limit is refused before a byte of it is read.
        if (Number(res.headers['content-length'] ?? 0) > max) tooLarge();
      });
      req.end(r.body);
    });
  }
}

/** The same contract over a fetch (an injected one: a test's faults, the demo's traffic recorder). */
export function requestViaFetch(fetchImpl: typeof fetch): HttpRequestFn {
  return async (r) => {
    try {
      const response = await fetchImpl(r.url, {
        method: r.method,
        headers: r.headers,
        ...(r.body === undefined ? {} : { body: r.body }),
        signal: AbortSignal.timeout(r.timeoutMs),
      });
      const body = await response.text().catch(() => '');
      return { status: response.status, statusText: response.statusText, body };
    } catch (e) {
      if ((e as Error).name === 'TimeoutError')
        throw new HttpCallError('timeout', `no answer within ${r.timeoutMs} ms`);
      throw new HttpCallError('unreachable', describeNetworkFailure(e));
    }
  };
}
