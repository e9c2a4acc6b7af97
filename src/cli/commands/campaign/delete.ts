// `ltku campaign delete`: removes a draft campaign (issue 11: a file upload that was refused or interrupted and
// whose draft could not be deleted then); a created campaign is cancelled instead, never deleted. Sent again when
// no answer came; a resend answered 404 found the draft deleted by the first send (RFC 9110 9.2.2).
import type { Command } from '../../command.js';
import { printJson } from '../../output.js';
import { CAMPAIGN_OPTIONS, CAMPAIGN_USAGE, adminTargetOf, campaignIdOf } from './support/campaign-options.js';
import { deleteDraftIdempotent } from './support/selection-upload.js';

export const command: Command = {
  summary: 'delete a draft campaign (a file upload that did not complete)',
  usage: `ltku campaign delete ${CAMPAIGN_USAGE}`,
  options: CAMPAIGN_OPTIONS,
  async run(ctx) {
    const r = await deleteDraftIdempotent(adminTargetOf(ctx.values), campaignIdOf(ctx.values));
    if (ctx.values.json) printJson(ctx.stdout, r);
    else if ('alreadyDeleted' in r)
      ctx.stdout.write(`draft ${r.id} deleted (the first answer was lost; sent again, it was gone)\n`);
    else ctx.stdout.write(`draft ${r.id} deleted (${r.deleted} members)\n`);
    return 0;
  },
};
