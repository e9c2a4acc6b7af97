// `ltku hss list`: the subscribers, one line each (never keys).
import type { Command } from '../../command.js';
import { optionalInt } from '../../options.js';
import { printJson } from '../../output.js';
import { viewForCli } from './lib/view.js';
import { openFromOptions, STORE_OPTIONS, STORE_USAGE } from './lib/store-options.js';

export const command: Command = {
  summary: 'list subscribers',
  usage: `ltku hss list [--limit N] [--offset N] ${STORE_USAGE}`,
  options: { ...STORE_OPTIONS, limit: { type: 'string' }, offset: { type: 'string' } },
  async run(ctx) {
    const limit = optionalInt(ctx.values, 'limit', undefined, [1, 100000]) ?? 1000;
    const offset = optionalInt(ctx.values, 'offset') ?? 0;
    const runtime = await openFromOptions(ctx);
    try {
      const views = (await runtime.hss.list(limit, offset)).map(viewForCli);
      if (ctx.values.json) {
        printJson(ctx.stdout, { subscribers: views });
      } else {
        for (const v of views) {
          const candidate = v.candidate ? ` candidate v${v.candidate.version}` : '';
          ctx.stdout.write(
            `${v.imsi}  ${v.iccid ?? '-'}  ${v.algorithm ?? '-'} v${v.activeVersion ?? '-'}${candidate}  sqn ${v.sqn}\n`,
          );
        }
        ctx.stdout.write(`${views.length} subscribers\n`);
      }
    } finally {
      await runtime.close();
    }
    return 0;
  },
};
