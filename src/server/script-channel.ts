// DESIGN.md 4.7: a CardChannel under the SCP11 secure channel whose commands travel in RAM-over-HTTP scripts,
// so a command's response only arrives with the UE's next POST.
import type { CardChannel, CommandApdu, ResponseApdu } from '../iso7816/index.js';
import { SessionError } from './errors.js';

/**
 * transmit() resolves when the script the command was put into comes back: the session takes the commands
 * sent so far (take), sends them as one script, and delivers the R-APDUs from the next POST.
 */
export class ScriptChannel implements CardChannel {
  #sent: { command: CommandApdu; resolve(r: ResponseApdu): void; reject(e: Error): void }[] = [];
  #waiter: (() => void) | undefined;

  transmit(command: CommandApdu): Promise<ResponseApdu> {
    return new Promise((resolve, reject) => {
      this.#sent.push({ command, resolve, reject });
      this.#waiter?.();
    });
  }

  /** Waits until `count` commands are pending and returns them (the next script). */
  async take(count = 1): Promise<CommandApdu[]> {
    while (this.#sent.length < count) {
      await new Promise<void>((resolve) => (this.#waiter = resolve));
      this.#waiter = undefined;
    }
    return this.#sent.map((s) => s.command);
  }

  /** Answers the pending commands in order; those the card did not execute fail. */
  deliver(responses: readonly ResponseApdu[]): void {
    const sent = this.#sent;
    this.#sent = [];
    sent.forEach((s, i) => {
      const r = responses[i];
      if (r === undefined) s.reject(new SessionError('card-answer', 'the card did not execute the command'));
      else s.resolve(r);
    });
  }
}
