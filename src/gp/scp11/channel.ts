// The OCE's end of an open SCP11 session: a CardChannel decorating another one (DESIGN.md section 3).
// Commands are wrapped and responses unwrapped one at a time, in order; any failure closes the session.
import type { CardChannel, CommandApdu, ResponseApdu } from '../../iso7816/index.js';
import { SecureChannelError } from '../errors.js';
import type { Scp11Variant } from './params.js';
import type { EmptyCommandForm, SecureMessaging } from './secure-messaging.js';
import type { Scp11SessionKeys } from './session-keys.js';

export interface Scp11ChannelInfo {
  readonly variant: Scp11Variant;
  readonly kid: number;
  readonly kvn: number;
  readonly receipt: Uint8Array;
  readonly emptyCommand: EmptyCommandForm;
}

export class Scp11Channel implements CardChannel {
  readonly #inner: CardChannel;
  readonly #sm: SecureMessaging;
  readonly #info: Scp11ChannelInfo;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(inner: CardChannel, sm: SecureMessaging, info: Scp11ChannelInfo) {
    this.#inner = inner;
    this.#sm = sm;
    this.#info = info;
  }

  get variant(): Scp11Variant {
    return this.#info.variant;
  }

  /** Key reference KID KVN of the card key set this session was opened with. */
  get keyReference(): { kid: number; kvn: number } {
    return { kid: this.#info.kid, kvn: this.#info.kvn };
  }

  get receipt(): Uint8Array {
    return this.#info.receipt;
  }

  /** The session keys (for tests and vectors; wiped once the channel is closed). */
  get sessionKeys(): Scp11SessionKeys {
    return this.#sm.keys;
  }

  get closed(): boolean {
    return this.#sm.ended;
  }

  /** Commands are serialised: the MAC chain and the counter fix their order. */
  transmit(command: CommandApdu): Promise<ResponseApdu> {
    const result = this.#queue.then(() => this.#exchange(command));
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async #exchange(command: CommandApdu): Promise<ResponseApdu> {
    const wrapped = this.#sm.wrapCommand(command, this.#info.emptyCommand);
    let response: ResponseApdu;
    try {
      response = await this.#inner.transmit(wrapped);
    } catch (e) {
      // The card may or may not have processed the command: the counters can no longer be trusted.
      this.#sm.end();
      throw e;
    }
    return this.#sm.unwrapResponse(response);
  }

  /** Wraps one key with S-DEK (AES-CBC, zero IV, no padding; 16 or 32 bytes). */
  wrapKey(key: Uint8Array): Uint8Array {
    if (key.length % 16 !== 0 || key.length === 0) {
      throw new SecureChannelError(
        'parameters',
        `a key to wrap must be whole AES blocks, got ${key.length} bytes`,
      );
    }
    return this.#sm.wrapKey(key);
  }

  close(): void {
    this.#sm.end();
  }
}
