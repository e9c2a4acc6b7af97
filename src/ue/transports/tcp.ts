// The host's CardChannel to a card served over TCP with vsmartcard's vpcd framing (iso7816/vpcd.ts), as
// `ltku card serve --tcp` serves one; the 1-byte message 01 powers the card on.
import { connect, type Socket } from 'node:net';
import {
  decodeResponse,
  encodeCommand,
  frame,
  FrameReader,
  VPCD_POWER_ON,
  type CardChannel,
  type CommandApdu,
  type ResponseApdu,
} from '../../iso7816/index.js';
import { UeTransportError } from '../errors.js';

/** A card that does not answer an APDU within this time is treated as gone (the stream cannot resync). */
export const DEFAULT_RESPONSE_TIMEOUT_MS = 30_000;

/** The framed APDU; UeTransportError when it is too long for the framing. */
function framed(apdu: Uint8Array): Uint8Array {
  try {
    return frame(apdu);
  } catch (e) {
    if (e instanceof RangeError) throw new UeTransportError(`APDU of ${apdu.length} bytes too long`);
    throw e;
  }
}

export class TcpCardChannel implements CardChannel {
  readonly #socket: Socket;
  readonly #responseTimeoutMs: number;
  readonly #reader = new FrameReader();
  #waiting: ((message: Uint8Array | Error) => void) | undefined;
  #failure: Error | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(socket: Socket, responseTimeoutMs: number) {
    this.#socket = socket;
    this.#responseTimeoutMs = responseTimeoutMs;
    socket.on('data', (chunk: Buffer) => this.#receive(new Uint8Array(chunk)));
    socket.on('error', (e) => this.#fail(new UeTransportError(`card connection: ${e.message}`)));
    socket.on('close', () => this.#fail(new UeTransportError('card connection closed')));
  }

  static async connect(
    host: string,
    port: number,
    timeoutMs = 10_000,
    responseTimeoutMs = DEFAULT_RESPONSE_TIMEOUT_MS,
  ): Promise<TcpCardChannel> {
    const socket = connect({ host, port });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new UeTransportError(`no answer from card at ${host}:${port}`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('error', (e) => {
        clearTimeout(timer);
        reject(new UeTransportError(`cannot connect to card at ${host}:${port}: ${e.message}`));
      });
    });
    socket.setNoDelay(true);
    const channel = new TcpCardChannel(socket, responseTimeoutMs);
    socket.write(frame(Uint8Array.of(VPCD_POWER_ON)));
    return channel;
  }

  #receive(chunk: Uint8Array): void {
    for (const message of this.#reader.push(chunk)) {
      const w = this.#waiting;
      this.#waiting = undefined;
      w?.(message);
    }
  }

  #fail(e: Error): void {
    this.#failure ??= e;
    const w = this.#waiting;
    this.#waiting = undefined;
    w?.(this.#failure);
  }

  transmit(command: CommandApdu): Promise<ResponseApdu> {
    const run = async () => {
      if (this.#failure !== undefined) throw this.#failure;
      const reply = new Promise<Uint8Array | Error>((resolve) => (this.#waiting = resolve));
      this.#socket.write(framed(encodeCommand(command)));
      const timer = setTimeout(() => {
        this.#fail(new UeTransportError(`no answer from the card within ${this.#responseTimeoutMs} ms`));
        this.#socket.destroy();
      }, this.#responseTimeoutMs);
      const message = await reply.finally(() => clearTimeout(timer));
      if (message instanceof Error) throw message;
      return decodeResponse(message);
    };
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  close(): void {
    this.#socket.destroy();
  }
}
