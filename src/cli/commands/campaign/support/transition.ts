// The campaign verbs that only move a campaign's state (start, pause, resume, cancel): one admin POST each,
// `POST /admin/v1/campaigns/{id}/<verb>`, answered with the campaign as it now is.
import type { Command } from '../../../command.js';
import { printJson } from '../../../output.js';
import {
  CAMPAIGN_OPTIONS,
  CAMPAIGN_PATH,
  CAMPAIGN_USAGE,
  adminRequest,
  adminTargetOf,
  campaignIdOf,
} from './campaign-options.js';
import { describeCampaign, progressLine, type CampaignJson } from './render.js';

export type CampaignTransition = 'start' | 'pause' | 'resume' | 'cancel';

export function transitionCommand(verb: CampaignTransition, summary: string): Command {
  return {
    summary,
    usage: `ltku campaign ${verb} ${CAMPAIGN_USAGE}`,
    options: CAMPAIGN_OPTIONS,
    async run(ctx) {
      const id = campaignIdOf(ctx.values);
      const c = (await adminRequest(
        adminTargetOf(ctx.values),
        'POST',
        `${CAMPAIGN_PATH}/${id}/${verb}`,
      )) as CampaignJson;
      if (ctx.values.json) printJson(ctx.stdout, c);
      else ctx.stdout.write(`${describeCampaign(c)}\n${progressLine(c)}\n`);
      return 0;
    },
  };
}
