// ISO/IEC 7816-4 5.3.4 / ETSI TS 102 221 7.3.1.1.4: a CardChannel decorator that collects response data the
// card announces with 61xx (GET RESPONSE until the last part) and resends a command answered 6Cxx with Le = xx.
import { concatBytes } from '../bytes/index.js';
import { SHORT_MAX_NE, type CommandApdu, type ResponseApdu } from './apdu.js';
import type { CardChannel } from './channel.js';
import { ApduError } from './errors.js';
import { CLA_ISO, INS_GET_RESPONSE } from './instructions.js';
import { SW1_BYTES_AVAILABLE, SW1_WRONG_LE } from './status-words.js';

export interface GetResponseOptions {
  /**
   * Le of GET RESPONSE: 'available' (ISO 7816-4: SW2 of the 61xx, 00 = 256) or 'absent' (00 C0 00 00, as some
   * hosts send it, e.g. the recordings in tests/vectors/scp11.json). Default 'available'.
   */
  readonly le?: 'available' | 'absent';
  /** Upper bound on GET RESPONSE rounds for one command (a card that never stops is an error). Default 256. */
  readonly maxRounds?: number;
}

/** The class byte of GET RESPONSE on the logical channel of `cla` (ISO/IEC 7816-4 5.4.1). */
function getResponseClass(cla: number): number {
  return (cla & 0x40) !== 0 ? 0x40 | (cla & 0x0f) : CLA_ISO | (cla & 0x03);
}

export class GetResponseChannel implements CardChannel {
  readonly #inner: CardChannel;
  readonly #le: 'available' | 'absent';
  readonly #maxRounds: number;

  constructor(inner: CardChannel, options: GetResponseOptions = {}) {
    this.#inner = inner;
    this.#le = options.le ?? 'available';
    this.#maxRounds = options.maxRounds ?? 256;
  }

  async transmit(command: CommandApdu): Promise<ResponseApdu> {
    let response = await this.#inner.transmit(command);
    if (response.sw >> 8 === SW1_WRONG_LE) {
      response = await this.#inner.transmit({ ...command, ne: response.sw & 0xff || SHORT_MAX_NE });
    }
    const parts = [response.data];
    let rounds = 0;
    while (response.sw >> 8 === SW1_BYTES_AVAILABLE) {
      if (++rounds > this.#maxRounds) {
        throw new ApduError(`card still announces more data after ${this.#maxRounds} GET RESPONSE commands`);
      }
      const available = response.sw & 0xff || SHORT_MAX_NE;
      response = await this.#inner.transmit({
        cla: getResponseClass(command.cla),
        ins: INS_GET_RESPONSE,
        p1: 0,
        p2: 0,
        data: new Uint8Array(0),
        ...(this.#le === 'available' ? { ne: available } : {}),
      });
      parts.push(response.data);
    }
    return { data: parts.length === 1 ? parts[0] : concatBytes(...parts), sw: response.sw };
  }
}
