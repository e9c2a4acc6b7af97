// The card a `ltku ue` command talks to: an image file (in-process VirtualCard, changes saved back), a card
// served over TCP with the vpcd framing, or a PC/SC reader.
import { GetResponseChannel, type CardChannel } from '../../../../iso7816/index.js';
import { openApduTrace, TRACE_OPTIONS, TRACE_USAGE } from '../../../apdu-trace.js';
import { PcscCardChannel, TcpCardChannel } from '../../../../ue/index.js';
import type { OptionValues } from '../../../command.js';
import { parseHostPort } from '../../../host-port.js';
import { exactlyOne, requireString } from '../../../options.js';
import { openCardFile } from '../../card/support/open-card.js';

export const CARD_OPTIONS = {
  card: { type: 'string' },
  tcp: { type: 'string' },
  pcsc: { type: 'string' },
  ...TRACE_OPTIONS,
} as const;
export const CARD_USAGE = `(--card CARD | --tcp HOST:PORT | --pcsc READER) ${TRACE_USAGE}`;

export interface OpenedCard {
  readonly channel: CardChannel;
  close(): Promise<void>;
}

/** The GSMTAP/pcap trace (--gsmtap, --pcap) sits under GET RESPONSE: it sees every APDU as the card does. */
export async function openCardChannel(
  values: OptionValues,
  warn: (message: string) => void = (m) => process.stderr.write(`ltku: warning: ${m}\n`),
): Promise<OpenedCard> {
  const which = exactlyOne(values, ['card', 'tcp', 'pcsc']);
  const where = requireString(values, which);
  const trace = openApduTrace(values, warn);
  const opened = await openRawChannel(which, where).catch(async (e: unknown) => {
    await trace.close();
    throw e;
  });
  return {
    channel: new GetResponseChannel(trace.channel(opened.channel)),
    close: async () => {
      await opened.close();
      await trace.close();
    },
  };
}

async function openRawChannel(which: string, where: string): Promise<OpenedCard> {
  switch (which) {
    case 'card': {
      const card = openCardFile(where);
      return { channel: card, close: async () => card.close() };
    }
    case 'tcp': {
      const target = parseHostPort(where, 'tcp', { connect: true });
      const tcp = await TcpCardChannel.connect(target.host, target.port);
      return { channel: tcp, close: async () => tcp.close() };
    }
    default: {
      const pcsc = await PcscCardChannel.open(where);
      return { channel: pcsc, close: () => pcsc.close() };
    }
  }
}
