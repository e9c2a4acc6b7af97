// A CTRL client (osmo-gsm-manuals "Control interface"; libosmocore src/ctrl/control_if.c is the server side):
// requests carry increasing numeric ids, replies are matched by id whatever their order, each request has a
// timeout, and a dropped connection rejects every pending request.
import { silentLogger, type Logger } from '../../ports/index.js';
import { endpointName, type Endpoint } from '../endpoint.js';
import { OsmoError } from '../errors.js';
import { IPA_EXT_CTRL } from '../ipa/constants.js';
import { IpaConnection } from '../ipa/connection.js';
import {
  CTRL_ERROR,
  CTRL_ERROR_ID_UNKNOWN,
  CTRL_GET,
  CTRL_GET_REPLY,
  CTRL_SET,
  CTRL_SET_REPLY,
  CTRL_TRAP,
  decodeCtrl,
  encodeCtrl,
} from './message.js';

export const CTRL_DEFAULT_TIMEOUT_MS = 5000;
const CTRL_UNIT_NAME = 'ltku-ctrl';

interface Pending {
  readonly verb: typeof CTRL_GET | typeof CTRL_SET;
  readonly variable: string;
  readonly resolve: (value: string) => void;
  readonly reject: (e: OsmoError) => void;
  readonly timer: NodeJS.Timeout;
}

export interface CtrlClientOptions {
  /** Connect timeout and the time each request may wait for its reply. */
  readonly timeoutMs?: number;
  readonly logger?: Logger;
}

export class CtrlClient {
  readonly #pending = new Map<string, Pending>();
  readonly #timeoutMs: number;
  readonly #name: string;
  readonly #logger: Logger;
  #connection!: IpaConnection;
  #failure: OsmoError | undefined;
  #nextId = 1;

  private constructor(at: Endpoint, timeoutMs: number, logger: Logger) {
    this.#timeoutMs = timeoutMs;
    this.#name = endpointName(at);
    this.#logger = logger;
  }

  static async connect(at: Endpoint, o: CtrlClientOptions = {}): Promise<CtrlClient> {
    const timeoutMs = o.timeoutMs ?? CTRL_DEFAULT_TIMEOUT_MS;
    const client = new CtrlClient(at, timeoutMs, o.logger ?? silentLogger);
    client.#connection = await IpaConnection.connect(at, {
      label: 'CTRL',
      unitName: CTRL_UNIT_NAME,
      timeoutMs,
      awaitIdGet: false,
      logger: o.logger,
      handlers: {
        onOsmo: (ext, data) => client.#receive(ext, data),
        onFailure: (e) => client.#fail(e),
      },
    });
    return client;
  }

  /** `GET <id> <variable>` → the value of GET_REPLY; ERROR → OsmoError('ctrl') naming the variable and reason. */
  get(variable: string): Promise<string> {
    return this.#request(CTRL_GET, variable);
  }

  /** `SET <id> <variable> <value>` → the value of SET_REPLY. The value is never put in errors or logs. */
  set(variable: string, value: string): Promise<string> {
    return this.#request(CTRL_SET, variable, value);
  }

  async close(): Promise<void> {
    await this.#connection.close();
  }

  #request(verb: typeof CTRL_GET | typeof CTRL_SET, variable: string, value?: string): Promise<string> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = String(this.#nextId++);
    let bytes: Uint8Array;
    try {
      bytes =
        verb === CTRL_GET
          ? encodeCtrl({ type: CTRL_GET, id, variable })
          : encodeCtrl({ type: CTRL_SET, id, variable, value: value ?? '' });
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(
          new OsmoError(
            'timeout',
            `CTRL ${verb} ${variable} at ${this.#name}: no reply within ${this.#timeoutMs} ms`,
          ),
        );
      }, this.#timeoutMs);
      this.#pending.set(id, { verb, variable, resolve, reject, timer });
      try {
        this.#connection.sendOsmo(IPA_EXT_CTRL, bytes);
      } catch (e) {
        clearTimeout(timer);
        this.#pending.delete(id);
        reject(e);
      }
    });
  }

  #settle(id: string): Pending | undefined {
    const p = this.#pending.get(id);
    if (p) {
      this.#pending.delete(id);
      clearTimeout(p.timer);
    }
    return p;
  }

  #receive(ext: number, data: Uint8Array): void {
    if (ext !== IPA_EXT_CTRL) {
      this.#logger.debug({ ext }, 'CTRL: IPA osmo extension other than CTRL ignored');
      return;
    }
    const message = decodeCtrl(data); // a malformed message fails the connection (IpaConnection)
    switch (message.type) {
      case CTRL_TRAP:
        return;
      case CTRL_GET_REPLY:
      case CTRL_SET_REPLY: {
        const p = this.#pending.get(message.id);
        if (!p) {
          this.#logger.debug(
            { id: message.id },
            'CTRL: reply to no pending request (late or unknown) ignored',
          );
          return;
        }
        const expected = p.verb === CTRL_GET ? CTRL_GET_REPLY : CTRL_SET_REPLY;
        this.#settle(message.id);
        if (message.type !== expected || message.variable !== p.variable) {
          p.reject(
            new OsmoError(
              'ctrl',
              `CTRL ${p.verb} ${p.variable} at ${this.#name}: answered by ${message.type} for ${message.variable}`,
            ),
          );
          return;
        }
        p.resolve(message.value);
        return;
      }
      case CTRL_ERROR: {
        // control_cmd.c answers a request it could not read the id of with id "err": it is the oldest pending one.
        const id = message.id === CTRL_ERROR_ID_UNKNOWN ? this.#pending.keys().next().value : message.id;
        const p = id === undefined ? undefined : this.#settle(id);
        if (!p) {
          this.#logger.debug({ id: message.id }, 'CTRL: ERROR for no pending request ignored');
          return;
        }
        p.reject(
          new OsmoError('ctrl', `CTRL ${p.verb} ${p.variable} at ${this.#name} failed: ${message.reason}`),
        );
        return;
      }
      default:
        throw new OsmoError('ctrl', `CTRL server at ${this.#name} sent a ${message.type} request`);
    }
  }

  #fail(e: OsmoError): void {
    this.#failure = e;
    for (const id of [...this.#pending.keys()]) {
      const p = this.#settle(id)!;
      p.reject(new OsmoError(e.kind, `CTRL ${p.verb} ${p.variable} at ${this.#name}: ${e.message}`, e.cause));
    }
  }
}
