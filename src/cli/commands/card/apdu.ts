// `ltku card apdu`: sends APDUs to a card image in-process (the image keeps the changes) and prints each answer.
import { BytesError, fromHex, toHex } from '../../../bytes/index.js';
import { describeSw } from '../../../iso7816/index.js';
import type { Command } from '../../command.js';
import { UsageError } from '../../errors.js';
import { printJson } from '../../output.js';
import { openCardFile } from './support/open-card.js';

export const command: Command = {
  summary: 'send APDUs (hex) to a card image in-process and print each response',
  usage:
    'ltku card apdu CARD [--json] HEX...\n  e.g. ltku card apdu card.json 00A4040008A000000151000000 80CA00E000',
  options: { json: { type: 'boolean' } },
  allowPositionals: true,
  async run(ctx) {
    const [path, ...apdus] = ctx.positionals;
    if (apdus.length === 0) throw new UsageError('give the CARD file and at least one APDU in hex');
    const commands = apdus.map((h, i) => {
      try {
        return fromHex(h.replace(/\s+/g, ''), `APDU ${i + 1}`);
      } catch (e) {
        if (e instanceof BytesError) throw new UsageError(e.message);
        throw e;
      }
    });
    const card = openCardFile(path);
    try {
      const exchanges: { command: string; response: string; sw: string; status: string }[] = [];
      for (const c of commands) {
        const r = card.processApdu(c);
        const sw = (r[r.length - 2] << 8) | r[r.length - 1];
        exchanges.push({
          command: toHex(c),
          response: toHex(r.subarray(0, r.length - 2)),
          sw: sw.toString(16).padStart(4, '0'),
          status: describeSw(sw),
        });
        if (ctx.values.json !== true)
          ctx.stdout.write(`> ${toHex(c).toUpperCase()}\n< ${toHex(r).toUpperCase()}  ${describeSw(sw)}\n`);
      }
      if (ctx.values.json === true) printJson(ctx.stdout, { exchanges });
      return 0;
    } finally {
      card.close();
    }
  },
};
