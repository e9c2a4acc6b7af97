// `ltku ue detach`: the UE agent deregisters a profile of a card from the core network.
import { detach, selectUsim } from '../../../ue/index.js';
import type { Command } from '../../command.js';
import { requireHttpUrl } from '../../options.js';
import { printJson, printTable } from '../../output.js';
import { ATTACH_TOKEN_OPTIONS, ATTACH_TOKEN_USAGE, AttachTokens } from './support/attach-tokens.js';
import { checkProfileOption, PROFILE_OPTIONS, PROFILE_USAGE, profileIccid } from './support/profile-id.js';
import { CARD_OPTIONS, CARD_USAGE, openCardChannel } from './support/open-channel.js';

export const command: Command = {
  summary: 'detach a profile of a card from the core network',
  usage: [
    `ltku ue detach ${CARD_USAGE} ${PROFILE_USAGE} --core URL ${ATTACH_TOKEN_USAGE} [--json]`,
    '  authorised by the token of the attach it ends (kept by ltku ue attach in <data-dir>)',
  ].join('\n'),
  options: {
    ...CARD_OPTIONS,
    ...ATTACH_TOKEN_OPTIONS,
    ...PROFILE_OPTIONS,
    core: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(ctx) {
    checkProfileOption(ctx.values);
    const coreUrl = requireHttpUrl(ctx.values, 'core');
    const card = await openCardChannel(ctx.values);
    try {
      const iccid = await profileIccid(card.channel, ctx.values);
      const tokens = new AttachTokens(ctx.values);
      const { imsi } = await selectUsim(card.channel, iccid);
      const attachToken = tokens.get(coreUrl, imsi);
      if (attachToken === undefined)
        throw new Error(
          `no attach of IMSI ${imsi} at ${coreUrl} recorded in ${tokens.path} (ltku ue attach first)`,
        );
      const result = await detach(card.channel, { iccid, coreUrl, attachToken });
      tokens.delete(coreUrl, imsi);
      if (ctx.values.json) printJson(ctx.stdout, result);
      else
        printTable(ctx.stdout, [
          ['iccid', result.iccid],
          ['imsi', result.imsi],
          ['state', result.state],
        ]);
      return 0;
    } finally {
      await card.close();
    }
  },
};
