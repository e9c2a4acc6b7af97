// One IPA-multiplexed TCP connection to an Osmocom process (libosmocore ipa.c / libosmo-abis behaviour):
// answers CCM PING with PONG and ID_GET with ID_RESP carrying the unit name, hands Osmocom-extension frames to
// its owner, and reports the first failure (peer closed, socket error, malformed frame) exactly once.
import { connect as tcpConnect, type Socket } from 'node:net';
import { silentLogger, type Logger } from '../../ports/index.js';
import { endpointName, type Endpoint } from '../endpoint.js';
import { OsmoError } from '../errors.js';
import { decodeCcm, encodeCcm, type IpaIdentity } from './ccm.js';
import { IPA_IDTAG_SERNR, IPA_IDTAG_UNITNAME, IPA_STREAM_CCM, IPA_STREAM_OSMO } from './constants.js';
import { decodeOsmoPayload, encodeIpaFrame, encodeOsmoFrame, IpaFrameReader } from './frame.js';

export interface IpaHandlers {
  /** A frame on the Osmocom stream; throwing an OsmoError fails the connection. */
  onOsmo(ext: number, data: Uint8Array): void;
  /** The connection ended (called once; `error.kind` is 'connection', 'ipa', or the handler's). */
  onFailure(error: OsmoError): void;
}

export interface IpaConnectOptions {
  /** What the connection is for, in messages: 'GSUP' or 'CTRL'. */
  readonly label: string;
  /** Identity sent in ID_RESP for the unit name and serial number tags (osmo-hlr routes GSUP by the latter). */
  readonly unitName: string;
  readonly timeoutMs: number;
  /** Resolve only once the peer's ID_GET was answered (GSUP servers ask; CTRL servers do not). */
  readonly awaitIdGet: boolean;
  readonly handlers: IpaHandlers;
  readonly logger?: Logger;
}

export class IpaConnection {
  readonly #socket: Socket;
  readonly #reader = new IpaFrameReader();
  readonly #o: IpaConnectOptions;
  readonly #name: string;
  readonly #logger: Logger;
  #failure: OsmoError | undefined;
  #closing: string | boolean = false;
  #idGetSeen: (() => void) | undefined;
  readonly #ended: Promise<void>;

  private constructor(socket: Socket, at: Endpoint, o: IpaConnectOptions) {
    this.#socket = socket;
    this.#o = o;
    this.#name = endpointName(at);
    this.#logger = o.logger ?? silentLogger;
    this.#ended = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => this.#receive(new Uint8Array(chunk)));
    socket.on('error', (e) => this.#fail(this.#closedError(e.message)));
    socket.on('close', () => this.#fail(this.#closedError()));
  }

  /** Opens the TCP connection (and waits for the peer's ID_GET when asked); OsmoError on failure or timeout. */
  static connect(at: Endpoint, o: IpaConnectOptions): Promise<IpaConnection> {
    const socket = tcpConnect({ host: at.host, port: at.port });
    const connection = new IpaConnection(socket, at, o);
    return new Promise<IpaConnection>((resolve, reject) => {
      const timer = setTimeout(() => {
        const what = o.awaitIdGet ? 'no IPA ID_GET' : 'no TCP connection';
        const e = new OsmoError(
          'timeout',
          `${o.label} at ${endpointName(at)}: ${what} within ${o.timeoutMs} ms`,
        );
        connection.#failWith(e);
        reject(e);
      }, o.timeoutMs);
      const done = (e?: OsmoError) => {
        clearTimeout(timer);
        if (e) reject(e);
        else resolve(connection);
      };
      const early = (e: Error) =>
        done(new OsmoError('connection', `cannot connect ${o.label} to ${endpointName(at)}: ${e.message}`));
      socket.once('error', early);
      socket.once('connect', () => {
        socket.setNoDelay(true);
        if (!o.awaitIdGet) {
          socket.off('error', early);
          done();
        }
      });
      if (o.awaitIdGet) {
        connection.#idGetSeen = () => {
          socket.off('error', early);
          done();
        };
        socket.once('close', () => done(connection.#failure ?? connection.#closedError()));
      }
    });
  }

  get failed(): boolean {
    return this.#failure !== undefined;
  }

  /** Sends data on the Osmocom stream with extension `ext`; OsmoError('connection') once the connection failed. */
  sendOsmo(ext: number, data: Uint8Array): void {
    if (this.#failure) throw this.#failure;
    this.#socket.write(encodeOsmoFrame(ext, data));
  }

  /** Ends the connection; pending work sees an OsmoError('connection') saying the client closed it (and why). */
  async close(reason?: string): Promise<void> {
    if (!this.#failure) {
      this.#closing = reason ?? true;
      this.#socket.end();
      const timer = setTimeout(() => this.#socket.destroy(), 1000);
      await this.#ended;
      clearTimeout(timer);
    }
    await this.#ended;
  }

  #closedError(reason?: string): OsmoError {
    if (this.#closing !== false) {
      const why = typeof this.#closing === 'string' ? ` ${this.#closing}` : '';
      return new OsmoError(
        'connection',
        `${this.#o.label} connection to ${this.#name} closed by the client${why}`,
      );
    }
    const inFrame =
      this.#reader.buffered > 0 ? ` inside a frame (${this.#reader.buffered} bytes buffered)` : '';
    const why = reason ? `: ${reason}` : '';
    return new OsmoError('connection', `${this.#o.label} connection to ${this.#name} closed${inFrame}${why}`);
  }

  #failWith(e: OsmoError): void {
    this.#fail(e);
    this.#socket.destroy();
  }

  #fail(e: OsmoError): void {
    if (this.#failure) return;
    this.#failure = e;
    this.#o.handlers.onFailure(e);
  }

  #receive(chunk: Uint8Array): void {
    try {
      for (const frame of this.#reader.push(chunk)) {
        if (this.#failure) return;
        if (frame.stream === IPA_STREAM_CCM) this.#ccm(frame.payload);
        else if (frame.stream === IPA_STREAM_OSMO) {
          const { ext, data } = decodeOsmoPayload(frame.payload);
          this.#o.handlers.onOsmo(ext, data);
        } else {
          this.#logger.debug(
            { stream: frame.stream },
            `${this.#o.label}: IPA frame on an unused stream ignored`,
          );
        }
      }
    } catch (e) {
      const error =
        e instanceof OsmoError
          ? e
          : new OsmoError('ipa', `${this.#o.label} from ${this.#name}: ${String(e)}`);
      this.#failWith(error);
    }
  }

  #ccm(payload: Uint8Array): void {
    const message = decodeCcm(payload);
    switch (message.type) {
      case 'ping':
        this.#socket.write(encodeIpaFrame(IPA_STREAM_CCM, encodeCcm({ type: 'pong' })));
        return;
      case 'id_get': {
        // ipa.c ipa_ccm_make_id_resp_from_req: answer every requested tag, in order; unknown ones empty.
        const identities: IpaIdentity[] = message.tags.map((tag) => ({
          tag,
          value: tag === IPA_IDTAG_UNITNAME || tag === IPA_IDTAG_SERNR ? this.#o.unitName : '',
        }));
        this.#socket.write(encodeIpaFrame(IPA_STREAM_CCM, encodeCcm({ type: 'id_resp', identities })));
        const seen = this.#idGetSeen;
        this.#idGetSeen = undefined;
        seen?.();
        return;
      }
      default:
        // PONG, ID_ACK, ID_RESP: nothing to answer.
        return;
    }
  }
}
