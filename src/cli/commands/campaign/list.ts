// `ltku campaign list`: every campaign of a server, newest first, with its progress.
import type { Command } from '../../command.js';
import { printJson } from '../../output.js';
import { ADMIN_OPTIONS, ADMIN_USAGE } from '../server/support/admin-options.js';
import { CAMPAIGN_PATH, adminRequest, adminTargetOf } from './support/campaign-options.js';
import { progressLine, type CampaignJson } from './support/render.js';

export const command: Command = {
  summary: 'list the campaigns of a server with their progress',
  usage: `ltku campaign list ${ADMIN_USAGE} [--json]`,
  options: { ...ADMIN_OPTIONS, json: { type: 'boolean' } },
  async run(ctx) {
    const { campaigns } = (await adminRequest(adminTargetOf(ctx.values), 'GET', CAMPAIGN_PATH)) as {
      campaigns: (CampaignJson & { createdAt: string })[];
    };
    if (ctx.values.json) {
      printJson(ctx.stdout, { campaigns });
      return 0;
    }
    if (campaigns.length === 0) ctx.stdout.write('no campaigns\n');
    for (const c of campaigns) ctx.stdout.write(`${c.id}  ${c.createdAt}  ${c.name}\n  ${progressLine(c)}\n`);
    return 0;
  },
};
