// The UE's client of the core network's attach API (contracts.md "Core network HTTP API"): JSON over HTTP with
// hex for binary fields, and the server-sent events stream the core pushes work notices on.
import { BytesError, fromHex, toHex } from '../bytes/index.js';
import { CoreProtocolError } from './errors.js';
import { describeFetchFailure, wrongServiceHint } from './net-error.js';

/** TS 29.500 5.2.7.2: the cause of a 404 for a path the service does not have (not a subscriber unknown). */
const ROUTE_NOT_FOUND_CAUSE = 'RESOURCE_URI_STRUCTURE_NOT_FOUND';

export type CoreAnswer =
  | {
      readonly state: 'challenge';
      readonly attachId: string;
      readonly rand: Uint8Array;
      readonly autn: Uint8Array;
    }
  | {
      readonly state: 'attached';
      readonly kseafDigest?: Uint8Array;
      /** DESIGN.md 7: what authorises this attach's detach and event stream (32 hex digits). */
      readonly attachToken?: string;
    }
  | { readonly state: 'rejected'; readonly reason: string };

export type AttachResponse =
  | { readonly res: Uint8Array }
  | { readonly failure: 'MAC_FAILURE' }
  | { readonly failure: 'SYNCH_FAILURE'; readonly auts: Uint8Array };

export interface PushEvent {
  readonly type: string;
  readonly data: Record<string, unknown>;
}

export interface CoreClientOptions {
  readonly fetch?: typeof fetch;
  readonly timeoutMs?: number;
}

type Json = Record<string, unknown>;

/** RFC 6750 2.1: the event stream is opened with `Authorization: Bearer <attachToken>`. */
const AUTHORIZATION_HEADER = 'authorization';
const ATTACH_TOKEN_PATTERN = /^[0-9a-f]{32}$/;

function hexField(body: Json, name: string): Uint8Array {
  try {
    return fromHex(String(body[name]), name);
  } catch (e) {
    if (e instanceof BytesError) throw new CoreProtocolError(200, `core answer: ${name} is not hex`);
    throw e;
  }
}

function answerOf(status: number, body: Json): CoreAnswer {
  if (body.state === 'challenge' || (status === 200 && body.state === undefined && 'attachId' in body)) {
    if (typeof body.attachId !== 'string') throw new CoreProtocolError(status, 'core answer: no attachId');
    return {
      state: 'challenge',
      attachId: body.attachId,
      rand: hexField(body, 'rand'),
      autn: hexField(body, 'autn'),
    };
  }
  if (body.state === 'attached') {
    if (body.attachToken !== undefined && !ATTACH_TOKEN_PATTERN.test(String(body.attachToken)))
      throw new CoreProtocolError(status, 'core answer: attachToken is not 32 hex digits');
    return {
      state: 'attached',
      ...(body.kseafDigest === undefined ? {} : { kseafDigest: hexField(body, 'kseafDigest') }),
      ...(body.attachToken === undefined ? {} : { attachToken: String(body.attachToken) }),
    };
  }
  if (body.state === 'rejected') return { state: 'rejected', reason: String(body.reason ?? 'unspecified') };
  throw new CoreProtocolError(
    status,
    `core answer ${status}: ${String(body.detail ?? body.title ?? 'unexpected')}`,
  );
}

export class CoreClient {
  readonly #base: string;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;

  constructor(baseUrl: string, options: CoreClientOptions = {}) {
    this.#base = baseUrl.replace(/\/+$/, '');
    this.#fetch = options.fetch ?? fetch;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  async #post(path: string, body: unknown): Promise<{ status: number; body: Json }> {
    let response: Response;
    try {
      response = await this.#fetch(`${this.#base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (e) {
      throw new CoreProtocolError(0, `core unreachable: ${describeFetchFailure(e, this.#base)}`);
    }
    let json: unknown;
    try {
      json = await response.json();
    } catch {
      json = undefined;
    }
    if (response.status === 404 && (json === undefined || (json as Json).cause === ROUTE_NOT_FOUND_CAUSE))
      throw new CoreProtocolError(
        404,
        `core answered 404 to POST ${path}${await wrongServiceHint(this.#base, 'ltku core', this.#fetch)}`,
      );
    if (json === undefined)
      throw new CoreProtocolError(response.status, `core answer ${response.status} is not JSON`);
    if (typeof json !== 'object' || json === null)
      throw new CoreProtocolError(response.status, 'core answer is not a JSON object');
    return { status: response.status, body: json as Json };
  }

  // contracts.md: POST /core/v1/attach {imsi, servingNetworkName?} -> {attachId, rand, autn}
  async attach(imsi: string, servingNetworkName?: string): Promise<CoreAnswer> {
    const r = await this.#post('/core/v1/attach', { imsi, servingNetworkName });
    return answerOf(r.status, r.body);
  }

  async respond(attachId: string, response: AttachResponse): Promise<CoreAnswer> {
    const body =
      'res' in response
        ? { res: toHex(response.res) }
        : response.failure === 'SYNCH_FAILURE'
          ? { failure: response.failure, auts: toHex(response.auts) }
          : { failure: response.failure };
    const r = await this.#post(`/core/v1/attach/${encodeURIComponent(attachId)}/response`, body);
    return answerOf(r.status, r.body);
  }

  /** DESIGN.md 7: the detach shows the token its attach returned. */
  async detach(imsi: string, attachToken: string): Promise<void> {
    const r = await this.#post('/core/v1/detach', { imsi, attachToken });
    if (r.status !== 200 || r.body.state !== 'detached')
      throw new CoreProtocolError(r.status, `detach: ${String(r.body.detail ?? r.body.state ?? 'refused')}`);
  }

  /** Opens the UE's event stream (W3C server-sent events) and calls `onEvent` for each event until `signal` aborts or the core ends it. */
  async events(
    imsi: string,
    attachToken: string,
    onEvent: (e: PushEvent) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    let response: Response;
    try {
      response = await this.#fetch(`${this.#base}/core/v1/ues/${encodeURIComponent(imsi)}/events`, {
        headers: { accept: 'text/event-stream', [AUTHORIZATION_HEADER]: `Bearer ${attachToken}` },
        ...(signal === undefined ? {} : { signal }),
      });
    } catch (e) {
      if (signal?.aborted) return;
      throw new CoreProtocolError(0, `core event stream: ${describeFetchFailure(e, this.#base)}`);
    }
    if (response.status !== 200 || response.body === null)
      throw new CoreProtocolError(response.status, `event stream refused (${response.status})`);
    const parser = new SseParser(onEvent);
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body)
        parser.push(decoder.decode(chunk as Uint8Array, { stream: true }));
    } catch (e) {
      if (signal?.aborted) return;
      throw new CoreProtocolError(0, `event stream broken: ${(e as Error).message}`);
    }
  }
}

// WHATWG HTML 9.2 event stream interpretation (the subset used: event, data, comments)
export class SseParser {
  #buffer = '';
  #type = '';
  #data: string[] = [];

  constructor(private readonly onEvent: (e: PushEvent) => void) {}

  push(text: string): void {
    this.#buffer += text;
    const lines = this.#buffer.split(/\r\n|\r|\n/);
    this.#buffer = lines.pop() ?? '';
    for (const line of lines) this.#line(line);
  }

  #line(line: string): void {
    if (line === '') {
      if (this.#data.length > 0) {
        let data: Record<string, unknown> = {};
        try {
          const parsed: unknown = JSON.parse(this.#data.join('\n'));
          if (typeof parsed === 'object' && parsed !== null) data = parsed as Record<string, unknown>;
        } catch {
          data = { text: this.#data.join('\n') };
        }
        this.onEvent({ type: this.#type || 'message', data });
      }
      this.#type = '';
      this.#data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') this.#type = value;
    else if (field === 'data') this.#data.push(value);
  }
}
