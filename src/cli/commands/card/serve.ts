// `ltku card serve`: the card as a PC/SC reader's card through pcscd's vpcd driver, or as a TCP server with the
// vpcd framing; its state stays in the CARD file. Stops cleanly on SIGINT/SIGTERM.
import pino from 'pino';
import { connectVpcd, serveTcp, type RunningTransport } from '../../../card/index.js';
import { VPCD_DEFAULT_PORT } from '../../../iso7816/index.js';
import { openApduTrace, TRACE_HELP, TRACE_OPTIONS, TRACE_USAGE } from '../../apdu-trace.js';
import type { Command } from '../../command.js';
import { LOG_LEVEL_OPTIONS, LOG_LEVEL_USAGE, logLevelOf } from '../../log-level.js';
import { UsageError } from '../../errors.js';
import { parseHostPort } from '../../host-port.js';
import { exactlyOne, requireString } from '../../options.js';
import { openCardFile } from './support/open-card.js';

export const command: Command = {
  summary: 'serve a card image to pcscd (vpcd) or over TCP',
  usage: [
    `ltku card serve CARD (--vpcd HOST:PORT | --tcp HOST:PORT) ${TRACE_USAGE} ${LOG_LEVEL_USAGE} [--json]`,
    `  --vpcd: connect to pcscd's vpcd driver (default port ${VPCD_DEFAULT_PORT}); --tcp: listen (port 0: any free)`,
    TRACE_HELP,
  ].join('\n'),
  options: {
    vpcd: { type: 'string' },
    tcp: { type: 'string' },
    ...LOG_LEVEL_OPTIONS,
    json: { type: 'boolean' },
    ...TRACE_OPTIONS,
  },
  allowPositionals: true,
  async run(ctx) {
    const logLevel = logLevelOf(ctx.values, ctx.env);
    if (ctx.positionals.length !== 1) throw new UsageError('exactly one CARD file expected');
    const mode = exactlyOne(ctx.values, ['vpcd', 'tcp']);
    const target = parseHostPort(
      requireString(ctx.values, mode),
      mode,
      mode === 'vpcd' ? { defaultPort: VPCD_DEFAULT_PORT, connect: true } : {},
    );
    const logger = pino({ level: logLevel }, pino.destination(2));
    const trace = openApduTrace(ctx.values, (m) => logger.warn(m));
    let card: ReturnType<typeof openCardFile>;
    try {
      // The image stays locked while it is served (DESIGN.md 7): a second `card serve` of it fails.
      card = openCardFile(ctx.positionals[0], logger);
    } catch (e) {
      await trace.close();
      throw e;
    }
    const served = trace.card(card);
    // --json: each line of stdout is one JSON object (the same events as the human lines).
    const say = (text: string, event: Record<string, unknown>) =>
      ctx.stdout.write((ctx.values.json === true ? JSON.stringify(event) : text) + '\n');
    try {
      let transport: RunningTransport;
      if (mode === 'tcp') {
        transport = await serveTcp(served, target.host, target.port, logger);
        say(`card ${card.image.eid} listening on tcp ${transport.address}`, {
          event: 'listening',
          eid: card.image.eid,
          transport: 'tcp',
          address: transport.address,
        });
      } else {
        transport = connectVpcd(served, target.host, target.port, logger);
        say(`card ${card.image.eid} connecting to vpcd at ${transport.address}`, {
          event: 'connecting',
          eid: card.image.eid,
          transport: 'vpcd',
          address: transport.address,
        });
      }
      const signal = await ctx.stopSignal;
      await transport.close();
      say(`stopped (${signal})`, { event: 'stopped', signal });
      return 0;
    } finally {
      card.close();
      await trace.close();
    }
  },
};
