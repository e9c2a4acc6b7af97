// Records a run at the seams it already has (issue 14): a CardChannel decorator on the UE side for APDUs, a fetch
// wrapper for each HTTP client, and phase marks from the narration. It keeps names, headers, lengths, status
// codes and timings; no data field, body or header value other than the ones named here is ever kept.
import { apduHeader, apduName, isGoodSw, responseSummary } from './apdu-names.js';
import type { Lane, MessageEvent, RunEvent } from './events.js';
import { httpCallName, RAM_POST } from './http-names.js';
import type { CardChannel, CommandApdu, ResponseApdu } from '../../iso7816/index.js';

/** GPC Amd B 3.3: a resumed RAM session says so in this header. */
const HEADER_ADMIN_RESUME = 'x-admin-resume';
const HEADER_CONTENT_LENGTH = 'content-length';
const HTTP_ERROR_STATUS = 400;

function bodyLength(body: unknown): number | undefined {
  if (body === undefined || body === null) return 0;
  if (typeof body === 'string') return Buffer.byteLength(body);
  if (body instanceof Uint8Array) return body.length;
  if (body instanceof ArrayBuffer) return body.byteLength;
  return undefined;
}

function headerValue(headers: unknown, name: string): string | undefined {
  if (headers === undefined || headers === null) return undefined;
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  if (Array.isArray(headers)) {
    const hit = (headers as [string, string][]).find(([k]) => k.toLowerCase() === name);
    return hit?.[1];
  }
  for (const [k, v] of Object.entries(headers as Record<string, string>))
    if (k.toLowerCase() === name) return v;
  return undefined;
}

const bytesText = (n: number | undefined) => (n === undefined ? 'length unknown' : `${n} B`);

export class RunRecorder {
  readonly events: RunEvent[] = [];
  #ramPosts = 0;
  readonly startedAt = new Date();
  /** performance.now() when the recording started. */
  readonly startedPerf = performance.now();

  #now(): number {
    return Math.round((performance.now() - this.startedPerf) * 10) / 10;
  }

  #message(m: Omit<MessageEvent, 'type' | 'atMs'>): void {
    this.events.push({ type: 'message', atMs: this.#now(), ...m });
  }

  /** A band across the diagram (a step of the run). */
  phase(title: string): void {
    this.events.push({ type: 'phase', atMs: this.#now(), title });
  }

  /** The UE's channel to its card, recorded: one arrow per C-APDU and one per R-APDU. */
  channel(inner: CardChannel): CardChannel {
    return {
      transmit: async (c: CommandApdu): Promise<ResponseApdu> => {
        const label = apduName(c);
        this.#message({ kind: 'apdu-command', from: 'ue', to: 'card', label, detail: apduHeader(c) });
        const started = performance.now();
        const r = await inner.transmit(c);
        this.#message({
          kind: 'apdu-response',
          from: 'card',
          to: 'ue',
          label: `${label} \u2192 ${r.sw.toString(16).toUpperCase().padStart(4, '0')}`,
          detail: responseSummary(r),
          ms: Math.round((performance.now() - started) * 10) / 10,
          ok: isGoodSw(r.sw),
        });
        return r;
      },
    };
  }

  /** A fetch that records each request (from -> to) and its answer (to -> from): method, path, lengths, status. */
  fetch(from: Lane, to: Lane, inner: typeof fetch = fetch): typeof fetch {
    return async (input, init) => {
      const url = new URL(input instanceof Request ? input.url : input.toString());
      const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
      let name = httpCallName(method, url.pathname);
      if (name === RAM_POST) name += ` ${++this.#ramPosts}`;
      if (headerValue(init?.headers, HEADER_ADMIN_RESUME) === 'true') name += ' (resume)';
      this.#message({
        kind: 'http-request',
        from,
        to,
        label: name,
        detail: `${method} ${url.pathname}, ${bytesText(bodyLength(init?.body))}`,
      });
      const started = performance.now();
      const ms = () => Math.round((performance.now() - started) * 10) / 10;
      try {
        const response = await inner(input, init);
        const length = response.headers.get(HEADER_CONTENT_LENGTH);
        this.#message({
          kind: 'http-response',
          from: to,
          to: from,
          label: `${response.status} ${name}`,
          detail: `HTTP ${response.status} ${response.statusText}, ${bytesText(length === null ? undefined : Number(length))}`,
          ms: ms(),
          ok: response.status < HTTP_ERROR_STATUS,
        });
        return response;
      } catch (e) {
        this.#message({
          kind: 'http-response',
          from: to,
          to: from,
          label: `no answer: ${name}`,
          detail: e instanceof Error ? e.name : 'error',
          ms: ms(),
          ok: false,
        });
        throw e;
      }
    };
  }

  /** The arrows recorded so far. */
  get messageCount(): number {
    return this.events.filter((e) => e.type === 'message').length;
  }
}
