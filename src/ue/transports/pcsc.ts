// A CardChannel through PC/SC (pcsc-lite) with the optional dependency '@pokusew/pcsclite', loaded only when a
// reader is asked for, so the rest of ltku works where the native binding is not built.
import { existsSync } from 'node:fs';
import {
  decodeResponse,
  encodeCommand,
  type CardChannel,
  type CommandApdu,
  type ResponseApdu,
} from '../../iso7816/index.js';
import { UeTransportError } from '../errors.js';

const PCSC_MODULE = '@pokusew/pcsclite';
/** Largest response a short or extended APDU can carry, plus SW. */
const MAX_RESPONSE = 65538;
const CONNECT_RETRY_MS = 200;

interface PcscReader {
  name: string;
  SCARD_SHARE_SHARED: number;
  SCARD_PROTOCOL_T0: number;
  SCARD_PROTOCOL_T1: number;
  SCARD_LEAVE_CARD: number;
  on(event: 'error', listener: (e: Error) => void): unknown;
  connect(
    options: { share_mode: number; protocol: number },
    cb: (err: unknown, protocol: number) => void,
  ): void;
  transmit(
    data: Buffer,
    resLen: number,
    protocol: number,
    cb: (err: unknown, response: Buffer) => void,
  ): void;
  disconnect(disposition: number, cb: (err: unknown) => void): void;
  close(): void;
}

interface PcscLite {
  on(event: 'reader', listener: (reader: PcscReader) => void): unknown;
  on(event: 'error', listener: (e: Error) => void): unknown;
  close(): void;
}

/** pcsc-lite's client socket (PCSCLITE_CSOCK_NAME overrides it, as in libpcsclite). */
const PCSCD_SOCKET = '/run/pcscd/pcscd.comm';

async function loadPcsc(): Promise<() => PcscLite> {
  // libpcsclite blocks the whole process in SCardEstablishContext when pcscd is not running: check first.
  const socket = process.env.PCSCLITE_CSOCK_NAME ?? PCSCD_SOCKET;
  if (process.platform === 'linux' && !existsSync(socket)) {
    throw new UeTransportError(
      `PC/SC is not available: pcscd is not running (no socket ${socket}); start it (Debian: apt-get install ` +
        `pcscd, then systemctl start pcscd.socket), or use --card/--tcp`,
    );
  }
  try {
    const mod = (await import(PCSC_MODULE)) as { default: () => PcscLite };
    return mod.default;
  } catch (e) {
    throw new UeTransportError(
      `PC/SC is not available: the optional dependency ${PCSC_MODULE} is not installed or did not build ` +
        `(${(e as Error).message.split('\n')[0]}). To get it: install the PC/SC headers and a compiler ` +
        `(Debian: apt-get install libpcsclite-dev build-essential python3), then run \`npm install\` again ` +
        `(or \`npm rebuild ${PCSC_MODULE}\`) in the ltku directory; or use --card/--tcp`,
    );
  }
}

export class PcscCardChannel implements CardChannel {
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly pcsc: PcscLite,
    private readonly reader: PcscReader,
    private readonly protocol: number,
  ) {}

  /** Waits (up to `timeoutMs`) for a reader whose name contains `readerName` and connects to its card. */
  static async open(readerName: string, timeoutMs = 10_000): Promise<PcscCardChannel> {
    const factory = await loadPcsc();
    const pcsc = factory();
    try {
      const reader = await new Promise<PcscReader>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new UeTransportError(`no PC/SC reader matching ${JSON.stringify(readerName)}`)),
          timeoutMs,
        );
        pcsc.on('error', (e) => {
          clearTimeout(timer);
          reject(new UeTransportError(`PC/SC: ${e.message}`));
        });
        pcsc.on('reader', (r) => {
          r.on('error', () => {});
          if (!r.name.includes(readerName)) return;
          clearTimeout(timer);
          resolve(r);
        });
      });
      const deadline = Date.now() + timeoutMs;
      const connectOnce = () =>
        new Promise<number>((resolve, reject) =>
          reader.connect(
            {
              share_mode: reader.SCARD_SHARE_SHARED,
              protocol: reader.SCARD_PROTOCOL_T0 | reader.SCARD_PROTOCOL_T1,
            },
            (err, p) =>
              err
                ? reject(new UeTransportError(`PC/SC connect to ${reader.name}: ${String(err)}`))
                : resolve(p),
          ),
        );
      // The reader may show up before its card is inserted (or, with vpcd, before the card connects).
      let protocol: number | undefined;
      while (protocol === undefined) {
        try {
          protocol = await connectOnce();
        } catch (e) {
          if (Date.now() >= deadline) throw e;
          await new Promise((r) => setTimeout(r, CONNECT_RETRY_MS));
        }
      }
      return new PcscCardChannel(pcsc, reader, protocol);
    } catch (e) {
      pcsc.close();
      throw e;
    }
  }

  transmit(command: CommandApdu): Promise<ResponseApdu> {
    const run = () =>
      new Promise<ResponseApdu>((resolve, reject) =>
        this.reader.transmit(
          Buffer.from(encodeCommand(command)),
          MAX_RESPONSE,
          this.protocol,
          (err, response) => {
            if (err) reject(new UeTransportError(`PC/SC transmit: ${String(err)}`));
            else resolve(decodeResponse(new Uint8Array(response)));
          },
        ),
      );
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) =>
      this.reader.disconnect(this.reader.SCARD_LEAVE_CARD, () => resolve()),
    );
    this.reader.close();
    this.pcsc.close();
  }
}
