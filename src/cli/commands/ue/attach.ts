// `ltku ue attach`: the UE agent attaches one profile of a card to the core (5G AKA through its USIM).
import { attach } from '../../../ue/index.js';
import type { Command } from '../../command.js';
import { optionalString, requireHttpUrl } from '../../options.js';
import { printJson, printTable } from '../../output.js';
import { ATTACH_TOKEN_OPTIONS, ATTACH_TOKEN_USAGE, AttachTokens } from './support/attach-tokens.js';
import { checkProfileOption, PROFILE_OPTIONS, PROFILE_USAGE, profileIccid } from './support/profile-id.js';
import { CARD_OPTIONS, CARD_USAGE, openCardChannel } from './support/open-channel.js';

export const command: Command = {
  summary: 'attach a profile of a card to the core network (USIM AUTHENTICATE, 5G AKA)',
  usage: [
    `ltku ue attach ${CARD_USAGE} ${PROFILE_USAGE} --core URL [--snn NAME] ${ATTACH_TOKEN_USAGE} [--json]`,
    '  the attach token (what authorises the later detach) is kept in <data-dir>/ue-attach-tokens.json (0600)',
  ].join('\n'),
  options: {
    ...CARD_OPTIONS,
    ...ATTACH_TOKEN_OPTIONS,
    ...PROFILE_OPTIONS,
    core: { type: 'string' },
    snn: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(ctx) {
    checkProfileOption(ctx.values);
    const coreUrl = requireHttpUrl(ctx.values, 'core');
    const snn = optionalString(ctx.values, 'snn');
    const card = await openCardChannel(ctx.values);
    try {
      const iccid = await profileIccid(card.channel, ctx.values);
      const { attachToken, ...result } = await attach(card.channel, {
        iccid,
        coreUrl,
        ...(snn === undefined ? {} : { servingNetworkName: snn }),
      });
      if (attachToken !== undefined) new AttachTokens(ctx.values).set(coreUrl, result.imsi, attachToken);
      if (ctx.values.json) printJson(ctx.stdout, result);
      else
        printTable(ctx.stdout, [
          ['iccid', result.iccid],
          ['imsi', result.imsi],
          ['state', result.state],
          ...(result.reason === undefined ? [] : [['reason', result.reason] as const]),
          ['rounds', result.rounds.join(', ')],
          ...(result.kseafConfirmed === undefined
            ? []
            : [['kseaf confirmed', String(result.kseafConfirmed)] as const]),
        ]);
      return result.state === 'attached' ? 0 : 1;
    } finally {
      await card.close();
    }
  },
};
