// Telling an attached UE that its card has pending work: the core's push channel (contracts.md,
// POST /core/v1/ues/{imsi}/push {type: "key-update-pending", url}); a UE not attached learns of it by polling.
// DESIGN.md 7: push is a provisioner call, so it carries the server's bearer token. Issue 11: one push per job
// created, over kept-alive connections (http/client.ts) rather than fetch.
import {
  describeNetworkFailure,
  HttpCallError,
  KeepAliveHttpClient,
  requestViaFetch,
  type HttpRequestFn,
} from '../http/client.js';
import type { Logger } from '../ports/index.js';
import type { JobView } from './job.js';

export const PUSH_KEY_UPDATE_PENDING = 'key-update-pending';
/** RFC 6750 2.1. */
const AUTHORIZATION_HEADER = 'authorization';
const PUSH_TIMEOUT_MS = 5_000;

export interface PushOptions {
  /** The provisioner's bearer token at the core. */
  readonly token?: string;
  /** Sends the push in place of the notifier's own kept-alive connections (whose idle ones close by themselves). */
  readonly request?: HttpRequestFn;
  readonly fetch?: typeof fetch;
}

/** The core's answer {delivered, streams} (core/http/routes.ts); 0 when it says nothing readable. */
function streamsOf(text: string): number {
  try {
    const n = (JSON.parse(text) as { streams?: unknown }).streams;
    return typeof n === 'number' ? n : 0;
  } catch {
    return 0;
  }
}

/**
 * 202 with streams > 0: delivered; 202 with no stream open: queued at the core until the UE opens its stream
 * (or it polls); 404: the UE is not attached (it will poll); anything else is logged.
 */
export function corePushNotifier(
  coreUrl: string,
  ramUrl: () => string,
  logger: Logger,
  options: PushOptions = {},
): (job: JobView) => Promise<void> {
  const send =
    options.request ??
    (options.fetch === undefined ? new KeepAliveHttpClient().request : requestViaFetch(options.fetch));
  const headers = {
    'content-type': 'application/json',
    ...(options.token === undefined ? {} : { [AUTHORIZATION_HEADER]: `Bearer ${options.token}` }),
  };
  return async (job) => {
    const url = new URL(`/core/v1/ues/${job.imsi}/push`, coreUrl).href;
    let response;
    try {
      response = await send({
        method: 'POST',
        url,
        headers,
        body: JSON.stringify({ type: PUSH_KEY_UPDATE_PENDING, url: ramUrl() }),
        timeoutMs: PUSH_TIMEOUT_MS,
      });
    } catch (e) {
      // As fetch did: the caller logs a push that got no answer (the UE still learns of the job when it syncs).
      throw new Error(
        `push to the core at ${url}: ${e instanceof HttpCallError ? e.message : describeNetworkFailure(e)}`,
      );
    }
    const text = response.body;
    const streams = response.status === 202 ? streamsOf(text) : 0;
    if (response.status === 401 || response.status === 403)
      logger.error(
        { event: 'job-push', job: job.id, status: response.status },
        'the core refused the push: check the provisioner token (--token-file)',
      );
    else
      logger.info(
        { event: 'job-push', job: job.id, imsi: job.imsi, status: response.status, streams },
        streams > 0
          ? 'key update pushed to the attached UE'
          : response.status === 202
            ? 'no UE event stream open: the notice waits at the core; the UE learns of the job when it syncs'
            : 'UE not reachable by push; it learns of the job when it syncs',
      );
  };
}
