// vsmartcard's vpcd protocol framing, the one codec of both ends (the card's `serve`, the host's channel): each
// message is a 2-byte big-endian length and that many bytes; a 1-byte message is a control code (00 power off,
// 01 power on, 02 reset, 04 get ATR), anything else an APDU.

export const VPCD_POWER_OFF = 0x00;
export const VPCD_POWER_ON = 0x01;
export const VPCD_RESET = 0x02;
export const VPCD_GET_ATR = 0x04;
/** The port pcscd's vpcd driver listens on for a virtual card (vsmartcard default). */
export const VPCD_DEFAULT_PORT = 35963;
/** The longest message the 2-byte length can carry. */
export const VPCD_MAX_MESSAGE = 0xffff;
const LENGTH_SIZE = 2;

/** The length prefix and `payload`; RangeError when it does not fit. */
export function frame(payload: Uint8Array): Uint8Array {
  if (payload.length > VPCD_MAX_MESSAGE)
    throw new RangeError(`message of ${payload.length} bytes does not fit the framing`);
  const out = new Uint8Array(LENGTH_SIZE + payload.length);
  out[0] = payload.length >> 8;
  out[1] = payload.length & 0xff;
  out.set(payload, LENGTH_SIZE);
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
    while (joined.length - at >= LENGTH_SIZE) {
      const length = (joined[at] << 8) | joined[at + 1];
      if (joined.length - at - LENGTH_SIZE < length) break;
      messages.push(joined.slice(at + LENGTH_SIZE, at + LENGTH_SIZE + length));
      at += LENGTH_SIZE + length;
    }
    this.#buffer = joined.slice(at);
    return messages;
  }
}
