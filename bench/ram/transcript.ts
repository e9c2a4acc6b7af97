// The HTTP shape of one real RAM session of the bench (GPC Amd B admin session: 4 POSTs), recorded on the UE's
// side by wrapping its fetch, and a session that replays that shape (the same request headers and body sizes,
// following X-Admin-Next-URI) against the HTTP floor's bare server (http-floor.ts). Bodies are zeros: HTTP does
// not look at them.
import { HEADER_ADMIN_NEXT_URI } from '../../src/iso7816/index.js';

/** One POST of a RAM session and its answer, as sizes and headers. */
export interface Exchange {
  readonly path: string;
  /** As the UE agent passed them to fetch (fetch adds host, content-length, ... the same way on replay). */
  readonly requestHeaders: Record<string, string>;
  readonly requestBytes: number;
  readonly status: number;
  /** As received, without the ones Node's HTTP server writes itself (date, connection, keep-alive). */
  readonly responseHeaders: Record<string, string>;
  readonly responseBytes: number;
}

export type Transcript = readonly Exchange[];

/** Response headers Node's http.ServerResponse adds on its own. */
const NODE_WRITES = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);
const STATUS_NO_CONTENT = 204;

/** A fetch that appends each exchange it carries to `into`. */
export function recordingFetch(into: Exchange[]): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    const body = await response.arrayBuffer();
    const responseHeaders: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      if (!NODE_WRITES.has(name)) responseHeaders[name] = value;
    });
    into.push({
      path: new URL(String(input)).pathname,
      requestHeaders: { ...(init?.headers as Record<string, string>) },
      requestBytes: (init?.body as Uint8Array | undefined)?.length ?? 0,
      status: response.status,
      responseHeaders,
      responseBytes: body.byteLength,
    });
    return new Response(response.status === STATUS_NO_CONTENT ? null : body, {
      status: response.status,
      headers: response.headers,
    });
  };
}

/** Sends the transcript's POSTs to `origin` as the UE agent would; throws when an answer differs in status or size. */
export async function replaySession(origin: string, transcript: Transcript): Promise<void> {
  let path = transcript[0].path;
  for (const e of transcript) {
    const response = await fetch(new URL(path, origin), {
      method: 'POST',
      headers: e.requestHeaders,
      ...(e.requestBytes === 0 ? {} : { body: new Uint8Array(e.requestBytes) }),
    });
    const answer = await response.arrayBuffer();
    if (response.status !== e.status || answer.byteLength !== e.responseBytes) {
      throw new Error(`HTTP floor: ${path} answered ${response.status} with ${answer.byteLength} bytes`);
    }
    path = response.headers.get(HEADER_ADMIN_NEXT_URI) ?? '';
  }
}
