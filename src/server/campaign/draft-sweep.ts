// Issue 11: drafts whose upload was abandoned (the operator's CLI died mid-file and could not delete its draft)
// are deleted with their members once not written for ABANDONED_DRAFT_MS, by the feeder's tick of whichever
// instance gets there first. The sweep marks the draft deleted by compare-and-set on its revision, the same
// write an append's compare-and-set races with: a chunk appended meanwhile makes the mark fail (the draft is
// fresh again and stays), a mark that won makes the append fail naming why (see discardedWhy).
import { JobError } from '../errors.js';
import type { CampaignRecord, UploadProgress } from './campaign.js';
import { changeCampaign, type CampaignWriter } from './change.js';

/** A draft not written (created, appended to) for longer than this is abandoned. */
export const ABANDONED_DRAFT_MS = 24 * 60 * 60 * 1000;
const HOUR_MS = 60 * 60 * 1000;

/** The history detail of a swept draft; an append or seal arriving after the sweep answers it. */
const ABANDONED_AFTER = `not written for more than ${ABANDONED_DRAFT_MS / HOUR_MS} h`;
export const DRAFT_SWEPT = `the draft was deleted (abandoned: ${ABANDONED_AFTER})`;
/** A draft gone when an append or a seal comes: the sweep, or an operator's delete, removed it. */
export const DRAFT_GONE = `a draft ${ABANDONED_AFTER} is deleted as abandoned`;

/** Why a draft is marked for deletion: the sweep (its detail), or an operator's delete. */
export function discardedWhy(c: CampaignRecord): string {
  const detail = c.history[c.history.length - 1]?.detail;
  return detail === DRAFT_SWEPT ? DRAFT_SWEPT : `the draft is being deleted (${detail ?? 'deleted'})`;
}

function abandoned(c: CampaignRecord, beforeMs: number): boolean {
  return c.state === 'draft' && c.upload !== undefined && Date.parse(c.updatedAt) < beforeMs;
}

/**
 * One draft: marked deleted by compare-and-set (only while still not written since `beforeMs`), then removed with
 * its members; left alone when it was written meanwhile, sealed, or removed by another instance or an operator.
 */
async function sweepDraft(d: CampaignWriter, id: string, beforeMs: number): Promise<void> {
  let marked: CampaignRecord | undefined;
  let lastWritten: string | undefined;
  try {
    marked = await changeCampaign(
      d,
      id,
      (c) => abandoned(c, beforeMs),
      (c) => {
        lastWritten = c.updatedAt;
        return { upload: { ...(c.upload as UploadProgress), discarded: true }, detail: DRAFT_SWEPT };
      },
    );
  } catch (e) {
    // Another instance (or an operator) removed it first.
    if (e instanceof JobError && e.kind === 'not-found') return;
    throw e;
  }
  if (marked === undefined || !(await d.store.deleteDraft(id))) return;
  d.logger.info(
    {
      event: 'campaign-draft-swept',
      campaign: id,
      members: marked.total,
      chunks: marked.upload?.chunks,
      lastWritten,
    },
    'abandoned campaign draft deleted',
  );
}

/**
 * Issue 11: the abandoned drafts among `campaigns` (the feeder's list of this tick) are deleted. One failing is
 * logged and the feeding goes on; the draft is swept again at a later tick (if it was marked before the failure,
 * once the mark is ABANDONED_DRAFT_MS old: it stays a draft never fed, never startable, that refuses chunks).
 */
export async function sweepAbandonedDrafts(
  d: CampaignWriter,
  campaigns: readonly CampaignRecord[],
): Promise<void> {
  const beforeMs = d.clock.now().getTime() - ABANDONED_DRAFT_MS;
  for (const c of campaigns) {
    if (!abandoned(c, beforeMs)) continue;
    try {
      await sweepDraft(d, c.id, beforeMs);
    } catch (e) {
      d.logger.warn(
        { event: 'campaign-draft-sweep-failed', campaign: c.id, error: (e as Error).message },
        'abandoned campaign draft not deleted (swept again later)',
      );
    }
  }
}
