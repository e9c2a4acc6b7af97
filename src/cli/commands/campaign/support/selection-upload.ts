// Issue 11: a file selection of any size (1M lines) sent to a draft campaign a chunk at a time
// (POST /admin/v1/campaigns/{id}/members), then sealed (POST .../{id}/seal). The server checks each chunk against
// its inventory; a chunk is appended once whatever the retries (its number), so a chunk whose answer was lost is
// simply sent again. If anything fails, the draft is deleted: nothing is started.
import type { AdminTarget } from '../../server/support/admin-client.js';
import { AdminRequestError } from '../../server/support/admin-client.js';
import { CAMPAIGN_PATH, adminRequest } from './campaign-options.js';
import { fileLines, selectionField } from './file-lines.js';

/** Lines per chunk (server/campaign/routes.ts MAX_CHUNK_LINES). */
export const CHUNK_LINES = 10_000;
/** Bytes of fields per chunk at most: the request stays well inside the server's 1 MiB body limit. */
const CHUNK_BYTES = 512 * 1024;
/** Sends of one chunk when the server could not be reached (the chunk number makes a resend harmless). */
const SEND_TRIES = 3;
const RETRY_MS = 1_000;
/** adminRequest's message when no answer came (the request may or may not have been applied). */
const NO_ANSWER = 'server admin API unreachable';

export interface AppendAnswer {
  chunks: number;
  lines: number;
  total: number;
  duplicates: number;
  problems: number;
}

/** The user asked the process to stop mid-upload. */
export class UploadInterrupted extends Error {
  override name = 'UploadInterrupted';
}

function noAnswer(e: unknown): boolean {
  return e instanceof AdminRequestError && e.message.startsWith(NO_ANSWER);
}

/**
 * `send`, sent again (SEND_TRIES in all) while no answer came: `onRetryError` may take a refusal of a resend as
 * its answer (the first send, whose answer was lost, was applied).
 */
async function sendAgainIfNoAnswer<T>(
  send: () => Promise<T>,
  onRetryError: (e: unknown) => T | undefined = () => undefined,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (e) {
      const answer = attempt > 1 ? onRetryError(e) : undefined;
      if (answer !== undefined) return answer;
      if (!noAnswer(e) || attempt >= SEND_TRIES) throw e;
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS * attempt));
    }
  }
}

/** A POST that the server applies once however often it comes (a chunk, a seal): sent again if no answer came. */
export async function postIdempotent(target: AdminTarget, path: string, body: object): Promise<unknown> {
  return sendAgainIfNoAnswer(() => adminRequest(target, 'POST', path, body));
}

/**
 * Sends every line of `path` to the draft `id`; returns the number of chunks and the last answer. `stopped`
 * is polled between chunks (SIGINT).
 */
export async function uploadFile(
  target: AdminTarget,
  id: string,
  path: string,
  stopped: () => string | undefined,
): Promise<{ chunks: number; answer?: AppendAnswer }> {
  let chunk = 0;
  let firstLine = 1;
  let lines: string[] = [];
  let bytes = 0;
  let answer: AppendAnswer | undefined;
  const flush = async () => {
    const signal = stopped();
    if (signal !== undefined) throw new UploadInterrupted(`interrupted (${signal})`);
    answer = (await postIdempotent(target, `${CAMPAIGN_PATH}/${id}/members`, {
      chunk,
      firstLine,
      lines,
    })) as AppendAnswer;
    chunk++;
    firstLine += lines.length;
    lines = [];
    bytes = 0;
  };
  for await (const line of fileLines(path)) {
    const field = selectionField(line);
    lines.push(field);
    bytes += field.length + 3;
    if (lines.length >= CHUNK_LINES || bytes >= CHUNK_BYTES) await flush();
  }
  if (lines.length > 0) await flush();
  return { chunks: chunk, ...(answer === undefined ? {} : { answer }) };
}

/** What deleting a draft did: its members removed, or (a resend after a lost answer) found it gone already. */
export type DraftDeleted =
  { readonly id: string; readonly deleted: number } | { readonly id: string; readonly alreadyDeleted: true };

/**
 * Issue 11, RFC 9110 9.2.2: DELETE of a draft, sent again when no answer came (DELETE is idempotent in effect).
 * A 404 to a resend means the first send deleted it (its answer was lost): success. A 404 to the first send
 * stays an error naming the campaign.
 */
export async function deleteDraftIdempotent(target: AdminTarget, id: string): Promise<DraftDeleted> {
  return sendAgainIfNoAnswer(
    async () => (await adminRequest(target, 'DELETE', `${CAMPAIGN_PATH}/${id}`)) as DraftDeleted,
    (e) => (e instanceof AdminRequestError && e.status === 404 ? { id, alreadyDeleted: true } : undefined),
  );
}

/**
 * Removes a draft that will not be sealed; false (never thrown) when that failed too. A draft already gone (the
 * server swept it as abandoned, or an operator deleted it) counts as deleted.
 */
export async function deleteDraft(target: AdminTarget, id: string): Promise<boolean> {
  try {
    await deleteDraftIdempotent(target, id);
    return true;
  } catch (e) {
    return e instanceof AdminRequestError && e.status === 404;
  }
}
