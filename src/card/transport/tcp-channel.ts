// A host's CardChannel to a card served with the vpcd framing over TCP (`ltku card serve --tcp`).
import { connect, type Socket } from 'node:net';
import {
  decodeResponse,
  encodeCommand,
  type CardChannel,
  type CommandApdu,
  type ResponseApdu,
} from '../../iso7816/index.js';
import { CardTransportError } from '../errors.js';
import { frame, FrameReader, VPCD_POWER_ON } from './framing.js';

export class TcpCardChannel implements CardChannel {
  readonly #socket: Socket;
  readonly #reader = new FrameReader();
  #waiting: ((message: Uint8Array) => void) | undefined;
  #failure: Error | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      for (const m of this.#reader.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))) {
        const w = this.#waiting;
        this.#waiting = undefined;
        w?.(m);
      }
    });
    socket.on('close', () => {
      this.#failure ??= new CardTransportError('card connection closed');
      const w = this.#waiting;
      this.#waiting = undefined;
      w?.(new Uint8Array(0));
    });
    socket.on('error', (e) => (this.#failure = new CardTransportError(`card connection: ${e.message}`)));
  }

  static async connect(host: string, port: number, timeoutMs = 10_000): Promise<TcpCardChannel> {
    const socket = connect({ host, port });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new CardTransportError(`no answer from ${host}:${port}`)),
        timeoutMs,
      );
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('error', (e) => {
        clearTimeout(timer);
        reject(new CardTransportError(`cannot connect to ${host}:${port}: ${e.message}`));
      });
    });
    socket.setNoDelay(true);
    const channel = new TcpCardChannel(socket);
    socket.write(frame(Uint8Array.of(VPCD_POWER_ON)));
    return channel;
  }

  transmit(command: CommandApdu): Promise<ResponseApdu> {
    const run = async () => {
      if (this.#failure !== undefined) throw this.#failure;
      const reply = new Promise<Uint8Array>((resolve) => (this.#waiting = resolve));
      this.#socket.write(frame(encodeCommand(command)));
      const bytes = await reply;
      if (this.#failure !== undefined) throw this.#failure;
      return decodeResponse(bytes);
    };
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  close(): void {
    this.#socket.destroy();
  }
}
