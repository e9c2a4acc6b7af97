// Issue 11, DESIGN.md 7: campaign metrics on the server's /metrics. Members by state of each campaign not yet
// completed or cancelled (read from the campaign store at each scrape, so the label set stays bounded), and the
// jobs this instance's feeder created. Labels are campaign ids and member states: never an ICCID or IMSI.
import { Counter, Gauge, type Registry } from 'prom-client';
import { MEMBER_STATES } from './campaign.js';
import type { CampaignService } from './service.js';

export const CAMPAIGN_MEMBERS_GAUGE = 'ltku_campaign_members';
export const CAMPAIGN_JOBS_CREATED_COUNTER = 'ltku_campaign_jobs_created_total';

/** Registers the campaign metrics in `registry`, read from `campaigns` (a previous registration is replaced). */
export function registerCampaignMetrics(registry: Registry, campaigns: CampaignService): void {
  for (const name of [CAMPAIGN_MEMBERS_GAUGE, CAMPAIGN_JOBS_CREATED_COUNTER])
    registry.removeSingleMetric(name);
  new Gauge({
    name: CAMPAIGN_MEMBERS_GAUGE,
    help: 'Members of each campaign not yet completed or cancelled, by state (waiting, feeding, open, stalled, rotated, failed, cancelled)',
    labelNames: ['campaign', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset(); // a campaign that finished since the last scrape is no longer reported
      for (const { id, counts } of await campaigns.unfinishedCounts())
        for (const state of MEMBER_STATES) this.set({ campaign: id, state }, counts[state]);
    },
  });
  new Counter({
    name: CAMPAIGN_JOBS_CREATED_COUNTER,
    help: "Key-update jobs this instance's campaign feeder created (adopted jobs not counted)",
    registers: [registry],
    collect() {
      this.reset();
      this.inc(campaigns.jobsCreated);
    },
  });
}
