// The card a `ltku ue` command talks to: an image file (in-process VirtualCard, changes saved back), a card
// served over TCP with the vpcd framing, or a PC/SC reader.
import { GetResponseChannel, type CardChannel } from '../../../../iso7816/index.js';
import { PcscCardChannel, TcpCardChannel } from '../../../../ue/index.js';
import type { OptionValues } from '../../../command.js';
import { parseHostPort } from '../../../host-port.js';
import { exactlyOne, requireString } from '../../../options.js';
import { openCardFile } from '../../card/support/open-card.js';

export const CARD_OPTIONS = {
  card: { type: 'string' },
  tcp: { type: 'string' },
  pcsc: { type: 'string' },
} as const;
export const CARD_USAGE = '(--card CARD | --tcp HOST:PORT | --pcsc READER)';

export interface OpenedCard {
  readonly channel: CardChannel;
  close(): Promise<void>;
}

export async function openCardChannel(values: OptionValues): Promise<OpenedCard> {
  const which = exactlyOne(values, ['card', 'tcp', 'pcsc']);
  const where = requireString(values, which);
  switch (which) {
    case 'card': {
      const card = openCardFile(where);
      return { channel: new GetResponseChannel(card), close: async () => card.close() };
    }
    case 'tcp': {
      const target = parseHostPort(where, 'tcp', { connect: true });
      const tcp = await TcpCardChannel.connect(target.host, target.port);
      return { channel: new GetResponseChannel(tcp), close: async () => tcp.close() };
    }
    default: {
      const pcsc = await PcscCardChannel.open(where);
      return { channel: new GetResponseChannel(pcsc), close: () => pcsc.close() };
    }
  }
}
