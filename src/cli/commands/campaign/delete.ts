// `ltku campaign delete`: removes a draft campaign (issue 11: a file upload that was refused or interrupted and
// whose draft could not be deleted then); a created campaign is cancelled instead, never deleted.
import type { Command } from '../../command.js';
import { printJson } from '../../output.js';
import {
  CAMPAIGN_OPTIONS,
  CAMPAIGN_PATH,
  CAMPAIGN_USAGE,
  adminRequest,
  adminTargetOf,
  campaignIdOf,
} from './support/campaign-options.js';

export const command: Command = {
  summary: 'delete a draft campaign (a file upload that did not complete)',
  usage: `ltku campaign delete ${CAMPAIGN_USAGE}`,
  options: CAMPAIGN_OPTIONS,
  async run(ctx) {
    const id = campaignIdOf(ctx.values);
    const r = (await adminRequest(adminTargetOf(ctx.values), 'DELETE', `${CAMPAIGN_PATH}/${id}`)) as {
      id: string;
      deleted: number;
    };
    if (ctx.values.json) printJson(ctx.stdout, r);
    else ctx.stdout.write(`draft ${r.id} deleted (${r.deleted} members)\n`);
    return 0;
  },
};
