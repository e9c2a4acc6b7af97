// The card's end of vsmartcard's vpcd protocol (framing in iso7816/vpcd.ts): a 1-byte message is a control code
// (power off, power on, reset, get ATR), anything else an APDU.
import { VPCD_GET_ATR, VPCD_POWER_OFF, VPCD_POWER_ON, VPCD_RESET } from '../../iso7816/index.js';

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
