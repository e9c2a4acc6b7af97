// The UE agent's side of RAM over HTTP (GPC Amd B, DESIGN.md 4.7): POST to the admin URL, run each command
// script on the card (stopping at the first failing SW, ETSI TS 102 226 5.2.1), POST the response script to
// X-Admin-Next-URI, until the server answers 204. After a dropped connection it starts again with
// X-Admin-Resume: true; the server then recovers (BF72) instead of starting over.
import {
  ADMIN_PROTOCOL,
  CONTENT_TYPE_COMMAND_SCRIPT,
  CONTENT_TYPE_RESPONSE_SCRIPT,
  HEADER_ADMIN_FROM,
  HEADER_ADMIN_NEXT_URI,
  HEADER_ADMIN_PROTOCOL,
  HEADER_ADMIN_RESUME,
  HEADER_ADMIN_SCRIPT_STATUS,
  HEADER_LTKU_JOB,
  HEADER_LTKU_JOB_STATE,
  HEADER_LTKU_KEY_VERSION,
  RemoteScriptError,
  adminFromEid,
  decodeCommandScript,
  encodeResponseScript,
  isScriptSuccess,
  type CardChannel,
  type ResponseApdu,
} from '../iso7816/index.js';
import { silentLogger, type Logger } from '../ports/index.js';
import { describeFetchFailure, wrongServiceHint } from './net-error.js';

export interface RamSessionOptions {
  /** The server's admin URL (the first POST). */
  readonly url: string;
  /** The card's EID (32 digits), sent as X-Admin-From. */
  readonly eid: string;
  readonly channel: CardChannel;
  readonly fetch?: typeof fetch;
  readonly logger?: Logger;
  /** How many times a dropped connection is resumed (default 3). */
  readonly maxResumes?: number;
  /** Per HTTP request (default 30 s). */
  readonly timeoutMs?: number;
  /** Called for each exchange (for narration). */
  readonly onExchange?: (e: RamExchange) => void;
}

export interface RamExchange {
  /** 0 for the first POST of a session. */
  readonly post: number;
  readonly resume: boolean;
  readonly requestBytes: number;
  readonly status: number;
  readonly responseBytes: number;
  readonly commands: number;
  readonly executed?: number;
  readonly ms: number;
}

export interface RamSessionReport {
  /** POSTs sent, resumed ones included. */
  readonly posts: number;
  readonly resumes: number;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  /** C-APDUs run on the card. */
  readonly apdus: number;
  readonly exchanges: RamExchange[];
  /** The key-update job the session ran, as the server's closing 204 names it; absent: nothing was pending. */
  readonly job?: RamJobOutcome;
}

export interface RamJobOutcome {
  readonly id: string;
  /** The job's state after the session (completed, applied, failed, pending, ...). */
  readonly state: string;
  /** The key version the job installs (the card had the one before it). */
  readonly keyVersion: number;
}

/** The job named by the closing 204's ltku headers, if the server names one. */
function jobOutcomeOf(headers: Headers): RamJobOutcome | undefined {
  const id = headers.get(HEADER_LTKU_JOB);
  const state = headers.get(HEADER_LTKU_JOB_STATE);
  const keyVersion = Number(headers.get(HEADER_LTKU_KEY_VERSION));
  if (id === null || state === null || !Number.isInteger(keyVersion)) return undefined;
  return { id, state, keyVersion };
}

export class RamAgentError extends Error {
  override name = 'RamAgentError';
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** Runs one RAM session to its end (204). Throws RamAgentError when the server refuses or stays unreachable. */
export async function runRamSession(o: RamSessionOptions): Promise<RamSessionReport> {
  const doFetch = o.fetch ?? fetch;
  const logger = o.logger ?? silentLogger;
  const maxResumes = o.maxResumes ?? 3;
  const exchanges: RamExchange[] = [];
  let resumes = 0;
  let apdus = 0;
  let url = o.url;
  let body: Uint8Array | undefined;
  let resume = false;
  let post = 0;
  let job: RamJobOutcome | undefined;
  for (;;) {
    const headers: Record<string, string> = {
      [HEADER_ADMIN_PROTOCOL]: ADMIN_PROTOCOL,
      [HEADER_ADMIN_FROM]: adminFromEid(o.eid),
    };
    if (body !== undefined) {
      headers['content-type'] = CONTENT_TYPE_RESPONSE_SCRIPT;
      headers[HEADER_ADMIN_SCRIPT_STATUS] = 'ok';
    }
    if (resume) headers[HEADER_ADMIN_RESUME] = 'true';
    const started = performance.now();
    let response: Response;
    let answer: Uint8Array;
    try {
      response = await doFetch(url, {
        method: 'POST',
        headers,
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.timeout(o.timeoutMs ?? DEFAULT_TIMEOUT_MS),
      });
      answer = new Uint8Array(await response.arrayBuffer());
    } catch (e) {
      // The server may or may not have seen this POST: start a resumed session at the admin URL.
      if (resumes >= maxResumes) {
        throw new RamAgentError(
          `RAM server unreachable after ${resumes} resumes: ${describeFetchFailure(e, o.url)}`,
        );
      }
      resumes++;
      logger.warn({ event: 'ram-resume', post, error: (e as Error).message }, 'connection dropped, resuming');
      url = o.url;
      body = undefined;
      resume = true;
      post = 0;
      continue;
    }
    const exchange = {
      post,
      resume,
      requestBytes: body?.length ?? 0,
      status: response.status,
      responseBytes: answer.length,
      ms: performance.now() - started,
    };
    if (response.status === 204) {
      job = jobOutcomeOf(response.headers);
      exchanges.push({ ...exchange, commands: 0 });
      o.onExchange?.(exchanges[exchanges.length - 1]);
      break;
    }
    if (response.status === 404 && post === 0) {
      const hint = await wrongServiceHint(new URL(o.url).origin, 'RAM listener', doFetch);
      throw new RamAgentError(`RAM server answered 404 at ${o.url}${hint}`);
    }
    if (response.status !== 200) {
      const detail = new TextDecoder().decode(answer).slice(0, 300);
      throw new RamAgentError(`RAM server answered ${response.status} to POST ${post}: ${detail}`);
    }
    const type = response.headers.get('content-type') ?? '';
    if (!type.startsWith(CONTENT_TYPE_COMMAND_SCRIPT.split(';')[0])) {
      throw new RamAgentError(
        `RAM server answered content type "${type}", expected ${CONTENT_TYPE_COMMAND_SCRIPT}`,
      );
    }
    const next = response.headers.get(HEADER_ADMIN_NEXT_URI);
    if (next === null || next === '')
      throw new RamAgentError(`RAM server answer to POST ${post} has no X-Admin-Next-URI`);
    let commands;
    try {
      commands = decodeCommandScript(answer);
    } catch (e) {
      if (e instanceof RemoteScriptError)
        throw new RamAgentError(`RAM server sent a malformed script: ${e.message}`);
      throw e;
    }
    const responses: ResponseApdu[] = [];
    for (const command of commands) {
      const r = await o.channel.transmit(command);
      responses.push(r);
      if (!isScriptSuccess(r.sw)) break;
    }
    apdus += responses.length;
    exchanges.push({ ...exchange, commands: commands.length, executed: responses.length });
    o.onExchange?.(exchanges[exchanges.length - 1]);
    body = encodeResponseScript(responses);
    url = new URL(next, url).toString();
    resume = false;
    post++;
  }
  return {
    posts: exchanges.length,
    resumes,
    bytesSent: exchanges.reduce((n, e) => n + e.requestBytes, 0),
    bytesReceived: exchanges.reduce((n, e) => n + e.responseBytes, 0),
    apdus,
    exchanges,
    ...(job === undefined ? {} : { job }),
  };
}
