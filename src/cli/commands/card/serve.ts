// `ltku card serve`: the card as a PC/SC reader's card through pcscd's vpcd driver, or as a TCP server with the
// vpcd framing; its state stays in the CARD file. Stops cleanly on SIGINT/SIGTERM.
import pino from 'pino';
import { connectVpcd, serveTcp, type RunningTransport } from '../../../card/index.js';
import { VPCD_DEFAULT_PORT } from '../../../iso7816/index.js';
import type { Command } from '../../command.js';
import { UsageError } from '../../errors.js';
import { parseHostPort } from '../../host-port.js';
import { exactlyOne, requireString } from '../../options.js';
import { openCardFile } from './support/open-card.js';

export const command: Command = {
  summary: 'serve a card image to pcscd (vpcd) or over TCP',
  usage: [
    'ltku card serve CARD (--vpcd HOST:PORT | --tcp HOST:PORT) [--log-level info]',
    `  --vpcd: connect to pcscd's vpcd driver (default port ${VPCD_DEFAULT_PORT}); --tcp: listen (port 0: any free)`,
  ].join('\n'),
  options: { vpcd: { type: 'string' }, tcp: { type: 'string' }, 'log-level': { type: 'string' } },
  allowPositionals: true,
  async run(ctx) {
    if (ctx.positionals.length !== 1) throw new UsageError('exactly one CARD file expected');
    const mode = exactlyOne(ctx.values, ['vpcd', 'tcp']);
    const target = parseHostPort(
      requireString(ctx.values, mode),
      mode,
      mode === 'vpcd' ? { defaultPort: VPCD_DEFAULT_PORT, connect: true } : {},
    );
    const logger = pino(
      { level: (ctx.values['log-level'] as string | undefined) ?? 'info' },
      pino.destination(2),
    );
    // The image stays locked while it is served (DESIGN.md 7): a second `card serve` of it fails.
    const card = openCardFile(ctx.positionals[0], logger);
    try {
      let transport: RunningTransport;
      if (mode === 'tcp') {
        transport = await serveTcp(card, target.host, target.port, logger);
        ctx.stdout.write(`card ${card.image.eid} listening on tcp ${transport.address}\n`);
      } else {
        transport = connectVpcd(card, target.host, target.port, logger);
        ctx.stdout.write(`card ${card.image.eid} connecting to vpcd at ${transport.address}\n`);
      }
      const signal = await ctx.stopSignal;
      await transport.close();
      ctx.stdout.write(`stopped (${signal})\n`);
      return 0;
    } finally {
      card.close();
    }
  },
};
