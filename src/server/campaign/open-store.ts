// Picks the campaign store driver from the server's database setting, as openJobStore does for the jobs.
import { openStore } from '../open-job-store.js';
import { PostgresCampaignStore } from './store-postgres.js';
import { SqliteCampaignStore } from './store-sqlite.js';
import type { CampaignStore } from './store.js';

export function openCampaignStore(db: string): Promise<CampaignStore> {
  return openStore<CampaignStore, PostgresCampaignStore>(
    db,
    (f) => new SqliteCampaignStore(f),
    (u) => new PostgresCampaignStore(u),
  );
}
