// ISO/IEC 7816-4 5.3.3: a CardChannel decorator for transports without extended APDUs: command data longer
// than 255 bytes travels in 255-byte blocks, CLA b5 (0x10) set on all but the last. Ne above 256 becomes 256
// (the card then announces the rest with 61xx, for a GetResponseChannel above this one).
import { SHORT_MAX_NC, SHORT_MAX_NE, type CommandApdu, type ResponseApdu } from './apdu.js';
import type { CardChannel } from './channel.js';
import { CLA_CHAINING } from './instructions.js';
import { SW_OK } from './status-words.js';

export class ChainingChannel implements CardChannel {
  readonly #inner: CardChannel;

  constructor(inner: CardChannel) {
    this.#inner = inner;
  }

  async transmit(command: CommandApdu): Promise<ResponseApdu> {
    const ne = command.ne === undefined ? undefined : Math.min(command.ne, SHORT_MAX_NE);
    const { data } = command;
    let at = 0;
    // Every block but the last; the card answers each with 9000 (anything else ends the chain).
    while (data.length - at > SHORT_MAX_NC) {
      const response = await this.#inner.transmit({
        cla: command.cla | CLA_CHAINING,
        ins: command.ins,
        p1: command.p1,
        p2: command.p2,
        data: data.subarray(at, at + SHORT_MAX_NC),
      });
      if (response.sw !== SW_OK) return response;
      at += SHORT_MAX_NC;
    }
    return this.#inner.transmit({
      cla: command.cla,
      ins: command.ins,
      p1: command.p1,
      p2: command.p2,
      data: at === 0 ? data : data.subarray(at),
      ...(ne !== undefined ? { ne } : {}),
    });
  }
}
