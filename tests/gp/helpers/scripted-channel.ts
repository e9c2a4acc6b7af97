// A CardChannel that replays a recorded session: each C-APDU must equal the recorded one, byte for byte.
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../../src/bytes/index.js';
import {
  decodeResponse,
  encodeCommand,
  type CardChannel,
  type CommandApdu,
  type ResponseApdu,
} from '../../../src/iso7816/index.js';

export interface Exchange {
  readonly label: string;
  readonly capdu: string;
  readonly rapdu: string;
}

export class ScriptedChannel implements CardChannel {
  #next = 0;
  constructor(readonly script: readonly Exchange[]) {}

  async transmit(command: CommandApdu): Promise<ResponseApdu> {
    const step = this.script[this.#next++];
    assert.ok(step !== undefined, `unexpected extra command ${toHex(encodeCommand(command))}`);
    assert.equal(
      toHex(encodeCommand(command)).toUpperCase(),
      step.capdu.toUpperCase(),
      `C-APDU of ${step.label}`,
    );
    return decodeResponse(fromHex(step.rapdu, step.label));
  }

  get remaining(): number {
    return this.script.length - this.#next;
  }
}
