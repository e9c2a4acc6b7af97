// A CardChannel decorator (DESIGN.md section 3) that passes every command and response through unchanged and
// hands one GSMTAP SIM APDU PDU per exchange to a sink: what a SIMtrace between terminal and card would see.
import type { CardChannel, CommandApdu, ResponseApdu } from '../iso7816/index.js';
import { gsmtapSimApdu } from './gsmtap.js';

/** Where GSMTAP PDUs go (a UDP socket, a pcap file: I/O at the edge, in cli/). Must not throw. */
export type GsmtapSink = (pdu: Uint8Array) => void;

export class GsmtapChannel implements CardChannel {
  readonly #inner: CardChannel;
  readonly #sink: GsmtapSink;

  constructor(inner: CardChannel, sink: GsmtapSink) {
    this.#inner = inner;
    this.#sink = sink;
  }

  async transmit(command: CommandApdu): Promise<ResponseApdu> {
    const response = await this.#inner.transmit(command);
    this.#sink(gsmtapSimApdu(command, response));
    return response;
  }
}
