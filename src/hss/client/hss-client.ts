// Typed client of the HSS HTTP API (contracts.md): Uint8Array in and out, hex only on the wire. Calls go over
// keep-alive connections (http/client.ts, issue 11) or an injected request function or fetch; it imports no
// store and no driver, so server/ and core/ can depend on it. The values are the HSS's own (model.ts); `topc`
// and hex exist only in the JSON.
import { toHex } from '../../bytes/index.js';
import {
  describeNetworkFailure,
  HttpCallError,
  KeepAliveHttpClient,
  requestViaFetch,
  type HttpRequestFn,
  type HttpResponse,
  type KeepAliveOptions,
} from '../../http/client.js';
import { HssClientError } from './errors.js';
import { bytes, subscriberViewFromJson } from './subscriber-view-json.js';
import {
  TRANSACTION_ID_LENGTH,
  type AuditEvent,
  type CandidateInput,
  type KeyMaterial,
  type NewSubscriber,
  type SubscriberPatch,
  type SubscriberView,
} from './model.js';
import {
  ADMIN_PREFIX,
  NUDM_UEAU_PREFIX,
  SUBSCRIBER_LOOKUP_LIMIT,
  type AuditJson,
  type AuthenticationInfoResultJson,
  type EpsAuthenticationInfoResultJson,
  type ProblemDetailsJson,
  type SubscriberListJson,
  type SubscriberLookupJson,
  type SubscriberViewJson,
} from './wire.js';

export interface HssClientOptions {
  /** Per request (default 10 s). */
  timeoutMs?: number;
  /** Sends each call in place of the client's own connections (tests inject faults around the real edge). */
  request?: HttpRequestFn;
  /** A fetch in place of the client's own connections (the demo's traffic recorder, tests' faults). */
  fetch?: typeof fetch;
  /** The client's own connections (when neither `request` nor `fetch` is given). */
  connections?: KeepAliveOptions;
  /** DESIGN.md 7: the caller's bearer token (the HSS records its principal as the audit actor). */
  token?: string;
}

export interface ResynchronizationInfo {
  rand: Uint8Array;
  auts: Uint8Array;
}

export interface GenerateAuthDataRequest {
  servingNetworkName: string;
  resynchronizationInfo?: ResynchronizationInfo;
}

export interface HeAkaAuthenticationInfo {
  authType: '5G_AKA';
  supi: string;
  authenticationVector: {
    avType: '5G_HE_AKA';
    rand: Uint8Array;
    autn: Uint8Array;
    xresStar: Uint8Array;
    kausf: Uint8Array;
  };
}

export interface GenerateEpsAuthDataRequest {
  servingNetworkId: { mcc: string; mnc: string };
  resynchronizationInfo?: ResynchronizationInfo;
}

export interface EpsAuthenticationInfo {
  authType: 'EPS_AKA';
  supi: string;
  authenticationVector: {
    avType: 'EPS_AKA';
    rand: Uint8Array;
    autn: Uint8Array;
    xres: Uint8Array;
    kasme: Uint8Array;
  };
}

export interface AuthEvent {
  success: boolean;
  rand: Uint8Array;
  authType: '5G_AKA' | 'EPS_AKA';
  servingNetworkName?: string;
  failure?: 'MAC_FAILURE';
}

const DEFAULT_TIMEOUT_MS = 10_000;
/** RFC 6750 2.1: `Authorization: Bearer <token>`. */
const AUTHORIZATION_HEADER = 'authorization';
/** The HSS's readiness probe (src/http/probes.ts). */
const READYZ_PATH = '/readyz';

function txHex(id: Uint8Array): string {
  if (!(id instanceof Uint8Array) || id.length !== TRANSACTION_ID_LENGTH) {
    throw new HssClientError(0, 'INVALID_REQUEST', `transactionId: expected ${TRANSACTION_ID_LENGTH} bytes`);
  }
  return toHex(id);
}

function hex(b: Uint8Array | undefined): string | undefined {
  return b === undefined ? undefined : toHex(b);
}

/** Hex from the HSS's answer; with `lengths`, of one of these byte lengths. */

/** The wire names the second key `topc` for TUAK (contracts.md). */
function keySetJson(k: KeyMaterial) {
  const second = k.algorithm === 'tuak' ? { topc: toHex(k.opc) } : { opc: toHex(k.opc) };
  return { algorithm: k.algorithm, k: toHex(k.k), ...second, tuak: k.tuak };
}

function resyncJson(r: ResynchronizationInfo | undefined) {
  return r === undefined ? undefined : { rand: toHex(r.rand), auts: toHex(r.auts) };
}

export class HssClient {
  readonly #base: string;
  readonly #timeoutMs: number;
  readonly #send: HttpRequestFn;
  readonly #own: KeepAliveHttpClient | undefined;
  readonly #headers: { readonly plain: Record<string, string>; readonly json: Record<string, string> };

  constructor(baseUrl: string, options: HssClientOptions = {}) {
    this.#base = baseUrl.replace(/\/+$/, '');
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (options.request !== undefined || options.fetch !== undefined) {
      this.#own = undefined;
      this.#send = options.request ?? requestViaFetch(options.fetch as typeof fetch);
    } else {
      this.#own = new KeepAliveHttpClient(options.connections);
      this.#send = this.#own.request;
    }
    const plain: Record<string, string> = { accept: 'application/json' };
    if (options.token !== undefined) plain[AUTHORIZATION_HEADER] = `Bearer ${options.token}`;
    this.#headers = { plain, json: { ...plain, 'content-type': 'application/json' } };
  }

  /** Closes the client's idle connections (a service's shutdown); a later call opens new ones. */
  close(): void {
    this.#own?.close();
  }

  async #request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: HttpResponse;
    try {
      response = await this.#send({
        method,
        url: `${this.#base}${path}`,
        headers: body === undefined ? this.#headers.plain : this.#headers.json,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        timeoutMs: this.#timeoutMs,
      });
    } catch (e) {
      const timeout = e instanceof HttpCallError && e.kind === 'timeout';
      const cause = e instanceof HttpCallError ? e.message : describeNetworkFailure(e);
      throw new HssClientError(
        0,
        timeout ? 'TIMEOUT' : 'UNREACHABLE',
        timeout
          ? `HSS ${method} ${path}: no answer within ${this.#timeoutMs} ms`
          : `HSS at ${this.#base} unreachable: ${cause}`,
      );
    }
    const text = response.body;
    let json: unknown = undefined;
    if (text !== '') {
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
    }
    if (response.status < 200 || response.status > 299) {
      const p = (json ?? {}) as Partial<ProblemDetailsJson>;
      throw new HssClientError(
        response.status,
        typeof p.cause === 'string' ? p.cause : `HTTP_${response.status}`,
        `HSS ${method} ${path}: ${response.status} ${p.title ?? response.statusText}${p.detail ? `: ${p.detail}` : ''}`,
        Array.isArray(p.invalidParams) ? p.invalidParams : [],
      );
    }
    if (json === undefined && response.status !== 204) {
      throw new HssClientError(
        response.status,
        'INVALID_RESPONSE',
        `HSS ${method} ${path}: answer is not JSON`,
      );
    }
    return json as T;
  }

  /** Nudm_UEAU Get (TS 29.503 5.4.2.2): a 5G HE AKA vector. */
  async generateAuthData(supi: string, req: GenerateAuthDataRequest): Promise<HeAkaAuthenticationInfo> {
    const r = await this.#request<AuthenticationInfoResultJson>(
      'POST',
      `${NUDM_UEAU_PREFIX}/${encodeURIComponent(supi)}/security-information/generate-auth-data`,
      {
        servingNetworkName: req.servingNetworkName,
        resynchronizationInfo: resyncJson(req.resynchronizationInfo),
      },
    );
    const av = r.authenticationVector;
    return {
      authType: r.authType,
      supi: r.supi,
      authenticationVector: {
        avType: av.avType,
        rand: bytes(av.rand, 'rand'),
        autn: bytes(av.autn, 'autn'),
        xresStar: bytes(av.xresStar, 'xresStar'),
        kausf: bytes(av.kausf, 'kausf'),
      },
    };
  }

  /** The EPS equivalent: RAND, AUTN, XRES, KASME (TS 33.401 6.1.1). */
  async generateEpsAuthData(supi: string, req: GenerateEpsAuthDataRequest): Promise<EpsAuthenticationInfo> {
    const r = await this.#request<EpsAuthenticationInfoResultJson>(
      'POST',
      `${NUDM_UEAU_PREFIX}/${encodeURIComponent(supi)}/security-information/generate-eps-auth-data`,
      {
        servingNetworkId: req.servingNetworkId,
        resynchronizationInfo: resyncJson(req.resynchronizationInfo),
      },
    );
    const av = r.authenticationVector;
    return {
      authType: r.authType,
      supi: r.supi,
      authenticationVector: {
        avType: av.avType,
        rand: bytes(av.rand, 'rand'),
        autn: bytes(av.autn, 'autn'),
        xres: bytes(av.xres, 'xres'),
        kasme: bytes(av.kasme, 'kasme'),
      },
    };
  }

  /** TS 29.503 result confirmation; a MAC failure arms the self-healing fallback (DESIGN.md 6). */
  async reportAuthEvent(supi: string, ev: AuthEvent): Promise<void> {
    await this.#request('POST', `${NUDM_UEAU_PREFIX}/${encodeURIComponent(supi)}/auth-events`, {
      success: ev.success,
      rand: toHex(ev.rand),
      authType: ev.authType,
      servingNetworkName: ev.servingNetworkName,
      failure: ev.failure,
    });
  }

  async createSubscriber(s: NewSubscriber): Promise<SubscriberView> {
    const body = {
      imsi: s.imsi,
      iccid: s.iccid,
      keyVersion: s.keyVersion,
      amf: hex(s.amf),
      ...keySetJson(s.keys),
    };
    return subscriberViewFromJson(
      await this.#request<SubscriberViewJson>('POST', `${ADMIN_PREFIX}/subscribers`, body),
    );
  }

  async getSubscriber(imsi: string): Promise<SubscriberView> {
    return subscriberViewFromJson(await this.#request<SubscriberViewJson>('GET', this.#subscriber(imsi)));
  }

  /**
   * Issue 11 (contracts.md, batched job creation): the subscribers of these IMSIs, in chunks of
   * SUBSCRIBER_LOOKUP_LIMIT per call; unknown IMSIs are absent from the answer, whose order is unspecified.
   */
  async getSubscribers(imsis: readonly string[]): Promise<SubscriberView[]> {
    const views: SubscriberView[] = [];
    for (let i = 0; i < imsis.length; i += SUBSCRIBER_LOOKUP_LIMIT) {
      const body: SubscriberLookupJson = { imsis: imsis.slice(i, i + SUBSCRIBER_LOOKUP_LIMIT) };
      const r = await this.#request<SubscriberListJson>('POST', `${ADMIN_PREFIX}/subscribers/lookup`, body);
      for (const v of r.subscribers) views.push(subscriberViewFromJson(v));
    }
    return views;
  }

  /** A page of subscribers; `candidate: true` lists only those with a staged candidate (DESIGN.md 6 step 4). */
  async listSubscribers(
    page: { limit?: number; offset?: number; candidate?: boolean } = {},
  ): Promise<SubscriberView[]> {
    const q = new URLSearchParams();
    if (page.limit !== undefined) q.set('limit', String(page.limit));
    if (page.offset !== undefined) q.set('offset', String(page.offset));
    if (page.candidate !== undefined) q.set('candidate', String(page.candidate));
    const query = q.size > 0 ? `?${q}` : '';
    const r = await this.#request<SubscriberListJson>('GET', `${ADMIN_PREFIX}/subscribers${query}`);
    return r.subscribers.map(subscriberViewFromJson);
  }

  async updateSubscriber(imsi: string, patch: SubscriberPatch): Promise<SubscriberView> {
    const body = { iccid: patch.iccid, amf: hex(patch.amf) };
    return subscriberViewFromJson(
      await this.#request<SubscriberViewJson>('PATCH', this.#subscriber(imsi), body),
    );
  }

  async deleteSubscriber(imsi: string): Promise<void> {
    await this.#request('DELETE', this.#subscriber(imsi));
  }

  /** DESIGN.md 6 step 1 (idempotent for the same transaction id). */
  async stageCandidate(imsi: string, c: CandidateInput): Promise<SubscriberView> {
    const body = { keyVersion: c.keyVersion, transactionId: txHex(c.transactionId), ...keySetJson(c.keys) };
    return subscriberViewFromJson(
      await this.#request<SubscriberViewJson>('PUT', `${this.#subscriber(imsi)}/candidate`, body),
    );
  }

  /** DESIGN.md 6 step 2 (idempotent). */
  async commitCandidate(imsi: string, transactionId: Uint8Array): Promise<SubscriberView> {
    return subscriberViewFromJson(
      await this.#request<SubscriberViewJson>('POST', `${this.#subscriber(imsi)}/candidate/commit`, {
        transactionId: txHex(transactionId),
      }),
    );
  }

  async abortCandidate(imsi: string, transactionId: Uint8Array): Promise<SubscriberView> {
    return subscriberViewFromJson(
      await this.#request<SubscriberViewJson>('POST', `${this.#subscriber(imsi)}/candidate/abort`, {
        transactionId: txHex(transactionId),
      }),
    );
  }

  async audit(imsi: string): Promise<AuditEvent[]> {
    const r = await this.#request<AuditJson>('GET', `${this.#subscriber(imsi)}/audit`);
    return r.events.map((e) => ({
      at: new Date(e.at),
      imsi,
      event: e.event,
      keyVersion: e.keyVersion,
      transactionId:
        e.transactionId === undefined ? null : bytes(e.transactionId, 'transactionId', TRANSACTION_ID_LENGTH),
      actor: e.actor,
    }));
  }

  /** The HSS's /readyz: resolves when it answers and its subscriber store does (the callers' readiness). */
  async ready(): Promise<void> {
    await this.#request<unknown>('GET', READYZ_PATH);
  }

  #subscriber(imsi: string): string {
    return `${ADMIN_PREFIX}/subscribers/${encodeURIComponent(imsi)}`;
  }
}
