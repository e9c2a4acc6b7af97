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

/** A POST that the server applies once however often it comes (a chunk, a seal): sent again if no answer came. */
export async function postIdempotent(target: AdminTarget, path: string, body: object): Promise<unknown> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await adminRequest(target, 'POST', path, body);
    } catch (e) {
      if (!(e instanceof AdminRequestError && e.message.startsWith(NO_ANSWER)) || attempt >= SEND_TRIES)
        throw e;
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS * attempt));
    }
  }
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

/** Removes a draft that will not be sealed; false (never thrown) when that failed too. */
export async function deleteDraft(target: AdminTarget, id: string): Promise<boolean> {
  try {
    await adminRequest(target, 'DELETE', `${CAMPAIGN_PATH}/${id}`);
    return true;
  } catch {
    return false;
  }
}
