// vsmartcard's vpcd protocol framing: each message is a 2-byte big-endian length and that many bytes; a
// 1-byte message is a control code (00 power off, 01 power on, 02 reset, 04 get ATR), anything else an APDU.

export const VPCD_POWER_OFF = 0x00;
export const VPCD_POWER_ON = 0x01;
export const VPCD_RESET = 0x02;
export const VPCD_GET_ATR = 0x04;
/** The port pcscd's vpcd driver listens on for a virtual card (vsmartcard default). */
export const VPCD_DEFAULT_PORT = 35963;
const MAX_MESSAGE = 0xffff;

export function frame(payload: Uint8Array): Uint8Array {
  if (payload.length > MAX_MESSAGE)
    throw new RangeError(`message of ${payload.length} bytes does not fit the framing`);
  const out = new Uint8Array(2 + payload.length);
  out[0] = payload.length >> 8;
  out[1] = payload.length & 0xff;
  out.set(payload, 2);
  return out;
}

/** Collects stream chunks and yields whole messages. */
export class FrameReader {
  #buffer = new Uint8Array(0);

  push(chunk: Uint8Array): Uint8Array[] {
    const joined = new Uint8Array(this.#buffer.length + chunk.length);
    joined.set(this.#buffer, 0);
    joined.set(chunk, this.#buffer.length);
    const messages: Uint8Array[] = [];
    let at = 0;
    while (joined.length - at >= 2) {
      const length = (joined[at] << 8) | joined[at + 1];
      if (joined.length - at - 2 < length) break;
      messages.push(joined.slice(at + 2, at + 2 + length));
      at += 2 + length;
    }
    this.#buffer = joined.slice(at);
    return messages;
  }
}

/** What a card answers to one message: the framed reply, or undefined (power on/off and reset have none). */
export interface VirtualCardLike {
  readonly atr: Uint8Array;
  reset(): Uint8Array;
  processApdu(command: Uint8Array): Uint8Array;
}

export function answerMessage(card: VirtualCardLike, message: Uint8Array): Uint8Array | undefined {
  if (message.length === 1) {
    switch (message[0]) {
      case VPCD_POWER_OFF:
      case VPCD_POWER_ON:
      case VPCD_RESET:
        card.reset();
        return undefined;
      case VPCD_GET_ATR:
        return card.atr;
      default:
        return undefined;
    }
  }
  return card.processApdu(message);
}

/** "HOST:PORT" (IPv6 as [addr]:port); the port defaults to `defaultPort`; port 0 (listen on any free port) is allowed. */
export function parseHostPort(text: string, defaultPort?: number): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*))(?::([0-9]{1,5}))?$/.exec(text);
  const host = m?.[1] ?? m?.[2] ?? '';
  const port = m?.[3] !== undefined ? Number(m[3]) : defaultPort;
  if (m === null || host === '' || port === undefined || port > 65535) {
    throw new RangeError(`${JSON.stringify(text)} is not HOST:PORT`);
  }
  return { host, port };
}
