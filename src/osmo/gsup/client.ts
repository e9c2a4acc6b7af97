// A GSUP client (osmo-hlr user manual, GSUP chapter) over IPA osmo extension 0x05. It answers the HLR's ID_GET
// with its unit name, sends SendAuthInfo requests and matches answers by IMSI in request order (GSUP carries
// no transaction id; osmo-hlr answers each request in turn). After a timeout a late answer could be taken for
// a later request's, so the client then closes the connection: later calls fail and the caller reconnects.
import { silentLogger, type Logger } from '../../ports/index.js';
import { endpointName, type Endpoint } from '../endpoint.js';
import { OsmoError } from '../errors.js';
import { IPA_EXT_GSUP } from '../ipa/constants.js';
import { IpaConnection } from '../ipa/connection.js';
import type { UmtsAuthTuple } from './auth-tuple.js';
import { GSUP_MESSAGE_TYPE, gsupMessageTypeName } from './constants.js';
import { hexTag } from './ie.js';
import { checkImsi, decodeGsupMessage, encodeGsupMessage } from './message.js';
import { parseSendAuthInfoResponse, sendAuthInfoFailure, sendAuthInfoRequest } from './send-auth-info.js';

export const GSUP_DEFAULT_TIMEOUT_MS = 5000;
export const GSUP_DEFAULT_UNIT_NAME = 'ltku';

interface Pending {
  readonly resolve: (tuples: UmtsAuthTuple[]) => void;
  readonly reject: (e: OsmoError) => void;
  readonly timer: NodeJS.Timeout;
}

export interface GsupClientOptions {
  /** IPA unit name (and serial number) sent in ID_RESP; osmo-hlr keys its IND slot per name. */
  readonly unitName?: string;
  readonly timeoutMs?: number;
  readonly logger?: Logger;
}

export class GsupClient {
  readonly #pending = new Map<string, Pending[]>();
  readonly #timeoutMs: number;
  readonly #name: string;
  readonly #logger: Logger;
  #connection!: IpaConnection;
  #failure: OsmoError | undefined;

  private constructor(at: Endpoint, timeoutMs: number, logger: Logger) {
    this.#timeoutMs = timeoutMs;
    this.#name = endpointName(at);
    this.#logger = logger;
  }

  /** Connects and answers the HLR's identity request before resolving. */
  static async connect(at: Endpoint, o: GsupClientOptions = {}): Promise<GsupClient> {
    const timeoutMs = o.timeoutMs ?? GSUP_DEFAULT_TIMEOUT_MS;
    const client = new GsupClient(at, timeoutMs, o.logger ?? silentLogger);
    client.#connection = await IpaConnection.connect(at, {
      label: 'GSUP',
      unitName: o.unitName ?? GSUP_DEFAULT_UNIT_NAME,
      timeoutMs,
      awaitIdGet: true,
      logger: o.logger,
      handlers: {
        onOsmo: (ext, data) => client.#receive(ext, data),
        onFailure: (e) => client.#fail(e),
      },
    });
    return client;
  }

  /**
   * SendAuthInfo (gsup.h 0x08): the tuples of the result (0x0a); an error (0x09) becomes OsmoError('gsup') with
   * `.cause` and the cause's name, naming the IMSI.
   */
  sendAuthInfo(
    imsi: string,
    o: { numVectors?: number; resync?: { rand: Uint8Array; auts: Uint8Array } } = {},
  ): Promise<UmtsAuthTuple[]> {
    if (this.#failure) return Promise.reject(this.#failure);
    let bytes: Uint8Array;
    try {
      checkImsi(imsi);
      bytes = encodeGsupMessage(sendAuthInfoRequest({ imsi, ...o }));
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise<UmtsAuthTuple[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#remove(imsi, entry);
        const e = new OsmoError(
          'timeout',
          `SendAuthInfo for IMSI ${imsi} at ${this.#name}: no answer within ${this.#timeoutMs} ms`,
        );
        reject(e);
        this.#connection
          .close('after a SendAuthInfo timeout (later answers could not be matched)')
          .catch(() => undefined);
      }, this.#timeoutMs);
      const entry: Pending = { resolve, reject, timer };
      const queue = this.#pending.get(imsi) ?? [];
      queue.push(entry);
      this.#pending.set(imsi, queue);
      try {
        this.#connection.sendOsmo(IPA_EXT_GSUP, bytes);
      } catch (e) {
        clearTimeout(timer);
        this.#remove(imsi, entry);
        reject(e);
      }
    });
  }

  async close(): Promise<void> {
    await this.#connection.close();
  }

  #remove(imsi: string, entry: Pending): void {
    const queue = this.#pending.get(imsi);
    if (!queue) return;
    const i = queue.indexOf(entry);
    if (i >= 0) queue.splice(i, 1);
    if (queue.length === 0) this.#pending.delete(imsi);
  }

  #receive(ext: number, data: Uint8Array): void {
    if (ext !== IPA_EXT_GSUP) {
      this.#logger.debug({ ext }, 'GSUP: IPA osmo extension other than GSUP ignored');
      return;
    }
    const message = decodeGsupMessage(data); // malformed: fails the connection (IpaConnection)
    const { messageType, imsi } = message;
    if (
      messageType !== GSUP_MESSAGE_TYPE.SEND_AUTH_INFO_RESULT &&
      messageType !== GSUP_MESSAGE_TYPE.SEND_AUTH_INFO_ERROR
    ) {
      this.#logger.debug(
        { messageType: gsupMessageTypeName(messageType) ?? hexTag(messageType) },
        'GSUP: message other than a SendAuthInfo answer ignored',
      );
      return;
    }
    const entry = this.#pending.get(imsi)?.[0];
    if (!entry) {
      this.#logger.debug('GSUP: SendAuthInfo answer for an IMSI with no pending request ignored');
      return;
    }
    this.#remove(imsi, entry);
    clearTimeout(entry.timer);
    try {
      const response = parseSendAuthInfoResponse(message);
      if (response.kind === 'error') entry.reject(sendAuthInfoFailure(imsi, response.cause));
      else entry.resolve([...response.tuples]);
    } catch (e) {
      entry.reject(e instanceof OsmoError ? e : new OsmoError('gsup', String(e)));
    }
  }

  #fail(e: OsmoError): void {
    this.#failure = e;
    for (const [imsi, queue] of [...this.#pending]) {
      this.#pending.delete(imsi);
      for (const p of queue) {
        clearTimeout(p.timer);
        p.reject(new OsmoError(e.kind, `SendAuthInfo for IMSI ${imsi}: ${e.message}`, e.cause));
      }
    }
  }
}
