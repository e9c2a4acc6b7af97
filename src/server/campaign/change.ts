// Issue 11: a campaign record read, and written by compare-and-set on its revision (operator verbs and feeders
// of every instance write the same row).
import type { Clock, Logger } from '../../ports/index.js';
import { JobError } from '../errors.js';
import type { CampaignRecord } from './campaign.js';
import type { CampaignStore } from './store.js';

/** Compare-and-set retries while only the revision moved. */
const CAS_TRIES = 8;

export interface CampaignWriter {
  readonly store: CampaignStore;
  readonly clock: Clock;
  readonly logger: Logger;
}

export async function campaignRecord(store: CampaignStore, id: string): Promise<CampaignRecord> {
  const c = await store.get(id);
  if (c === undefined) throw new JobError('not-found', `no campaign ${id}`);
  return c;
}

/** Compare-and-set on the campaign, with a history entry when `detail` is given; undefined when `accept` fails. */
export async function changeCampaign(
  d: CampaignWriter,
  id: string,
  accept: (c: CampaignRecord) => boolean,
  change: (c: CampaignRecord, at: Date) => Partial<CampaignRecord> & { detail?: string },
): Promise<CampaignRecord | undefined> {
  for (let i = 0; i < CAS_TRIES; i++) {
    const c = await campaignRecord(d.store, id);
    if (!accept(c)) return undefined;
    const at = d.clock.now();
    const { detail, ...fields } = change(c, at);
    const state = fields.state ?? c.state;
    const next: CampaignRecord = {
      ...c,
      ...fields,
      history: detail === undefined ? c.history : [...c.history, { state, at: at.toISOString(), detail }],
      revision: c.revision + 1,
      updatedAt: at.toISOString(),
    };
    if (await d.store.update(next, c.revision)) {
      if (state !== c.state)
        d.logger.info({ event: 'campaign-state', campaign: id, state, detail }, `campaign ${state}`);
      return next;
    }
  }
  throw new JobError('conflict', `campaign ${id} kept changing; try again`);
}
