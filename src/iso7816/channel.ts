// The central seam (DESIGN.md section 3): a card is reached through transmit(command) -> response.
// Transports, GET RESPONSE handling, chaining and secure messaging are CardChannels decorating others.
import type { CommandApdu, ResponseApdu } from './apdu.js';
import { StatusWordError } from './errors.js';
import { SW_OK } from './status-words.js';

export interface CardChannel {
  transmit(command: CommandApdu): Promise<ResponseApdu>;
}

/** Sends `command` and returns its data; any status word but 9000 becomes a StatusWordError. */
export async function transmitOk(
  channel: CardChannel,
  command: CommandApdu,
  context?: string,
): Promise<Uint8Array> {
  const response = await channel.transmit(command);
  if (response.sw !== SW_OK) throw new StatusWordError(response.sw, context);
  return response.data;
}
