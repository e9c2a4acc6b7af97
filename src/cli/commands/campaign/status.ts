// `ltku campaign status`: a campaign's progress: counts by member state, rate, ETA; a progress bar on a
// terminal (--watch redraws it until the campaign ends), or one JSON object for scripts (--json).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from '../../command.js';
import { optionalInt } from '../../options.js';
import { printJson } from '../../output.js';
import {
  CAMPAIGN_OPTIONS,
  CAMPAIGN_PATH,
  CAMPAIGN_USAGE,
  adminRequest,
  adminTargetOf,
  campaignIdOf,
} from './support/campaign-options.js';
import { describeCampaign, progressLine, type CampaignJson } from './support/render.js';

const FINAL = ['completed', 'cancelled'];

export const command: Command = {
  summary: 'show a campaign: progress bar, counts by state, rate, ETA (--json for scripts)',
  usage: [
    `ltku campaign status ${CAMPAIGN_USAGE} [--watch] [--interval SECONDS]`,
    '  --watch: redraw every --interval seconds (default 2) until the campaign is completed or cancelled',
  ].join('\n'),
  options: { ...CAMPAIGN_OPTIONS, watch: { type: 'boolean' }, interval: { type: 'string' } },
  async run(ctx) {
    const id = campaignIdOf(ctx.values);
    const target = adminTargetOf(ctx.values);
    const interval = optionalInt(ctx.values, 'interval', undefined, [1, 3600]) ?? 2;
    const read = async () => (await adminRequest(target, 'GET', `${CAMPAIGN_PATH}/${id}`)) as CampaignJson;
    let c = await read();
    if (ctx.values.json) {
      printJson(ctx.stdout, c);
      return 0;
    }
    ctx.stdout.write(`${describeCampaign(c)}\n`);
    const tty = (ctx.stdout as NodeJS.WriteStream).isTTY === true;
    ctx.stdout.write(progressLine(c) + (tty && ctx.values.watch ? '' : '\n'));
    if (!ctx.values.watch) return 0;
    let stop = false;
    void ctx.stopSignal.then(() => (stop = true));
    while (!FINAL.includes(c.state) && !stop) {
      await sleep(interval * 1000);
      c = await read();
      // On a terminal the line is redrawn in place; in a log each reading is a line.
      ctx.stdout.write(tty ? `\r\x1b[2K${progressLine(c)}` : `${progressLine(c)}\n`);
    }
    if (tty) ctx.stdout.write('\n');
    return 0;
  },
};
