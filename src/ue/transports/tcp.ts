// A CardChannel to a card served over TCP with vsmartcard's vpcd framing (`ltku card serve --tcp`): each
// message is a 2-byte big-endian length and that many bytes; the 1-byte message 01 powers the card on.
// (The card side of this framing lives in card/transport; ue/ may not import card/, hence this small twin.)
import { connect, type Socket } from 'node:net';
import {
  decodeResponse,
  encodeCommand,
  type CardChannel,
  type CommandApdu,
  type ResponseApdu,
} from '../../iso7816/index.js';
import { UeTransportError } from '../errors.js';

const VPCD_POWER_ON = 0x01;
const MAX_MESSAGE = 0xffff;
/** A card that does not answer an APDU within this time is treated as gone (the stream cannot resync). */
export const DEFAULT_RESPONSE_TIMEOUT_MS = 30_000;

function frame(payload: Uint8Array): Uint8Array {
  if (payload.length > MAX_MESSAGE) throw new UeTransportError(`APDU of ${payload.length} bytes too long`);
  const out = new Uint8Array(2 + payload.length);
  out[0] = payload.length >> 8;
  out[1] = payload.length & 0xff;
  out.set(payload, 2);
  return out;
}

/** "HOST:PORT" (IPv6 as [addr]:port). */
export function parseHostPort(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):([0-9]{1,5})$/.exec(text);
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || port < 1 || port > 65535)
    throw new UeTransportError(`${JSON.stringify(text)} is not HOST:PORT`);
  return { host: m[1] ?? m[2], port };
}

export class TcpCardChannel implements CardChannel {
  readonly #socket: Socket;
  readonly #responseTimeoutMs: number;
  #buffer = new Uint8Array(0);
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
    const joined = new Uint8Array(this.#buffer.length + chunk.length);
    joined.set(this.#buffer);
    joined.set(chunk, this.#buffer.length);
    let at = 0;
    while (joined.length - at >= 2) {
      const length = (joined[at] << 8) | joined[at + 1];
      if (joined.length - at - 2 < length) break;
      const message = joined.slice(at + 2, at + 2 + length);
      at += 2 + length;
      const w = this.#waiting;
      this.#waiting = undefined;
      w?.(message);
    }
    this.#buffer = joined.slice(at);
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
      this.#socket.write(frame(encodeCommand(command)));
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
