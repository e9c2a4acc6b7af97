// Telling an attached UE that its card has pending work: the core's push channel (contracts.md,
// POST /core/v1/ues/{imsi}/push {type: "key-update-pending", url}); a UE not attached learns of it by polling.
import type { Logger } from '../ports/index.js';
import type { JobView } from './job.js';

export const PUSH_KEY_UPDATE_PENDING = 'key-update-pending';

/** 202: delivered; 404: the UE is not attached (it will poll); anything else is logged. */
export function corePushNotifier(
  coreUrl: string,
  ramUrl: () => string,
  logger: Logger,
  fetchImpl: typeof fetch = fetch,
): (job: JobView) => Promise<void> {
  return async (job) => {
    const response = await fetchImpl(new URL(`/core/v1/ues/${job.imsi}/push`, coreUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: PUSH_KEY_UPDATE_PENDING, url: ramUrl() }),
      signal: AbortSignal.timeout(5_000),
    });
    await response.arrayBuffer();
    const delivered = response.status === 202;
    logger.info(
      { event: 'job-push', job: job.id, imsi: job.imsi, status: response.status },
      delivered ? 'key update pushed to the attached UE' : 'UE not reachable by push; it will poll',
    );
  };
}
