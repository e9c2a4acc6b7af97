// A CardChannel over the card-side engine, for OCE <-> card tests in one process: APDUs go through the real
// codec (encodeCommand/decodeCommand), ISO command chaining is reassembled, long responses are served with
// 61xx / GET RESPONSE when the "transport" has no extended APDUs, and secure messaging is applied as the
// virtual card's dispatcher will.
import { concatBytes } from '../../../src/bytes/index.js';
import {
  INS_INTERNAL_AUTHENTICATE,
  INS_MUTUAL_AUTHENTICATE,
  INS_PERFORM_SECURITY_OPERATION,
  type Scp11SecurityDomain,
} from '../../../src/gp/index.js';
import {
  CLA_CHAINING,
  CLA_SECURE_MESSAGING,
  INS_GET_RESPONSE,
  SHORT_MAX_NE,
  SW_OK,
  SW_SECURITY_STATUS_NOT_SATISFIED,
  SW_WRONG_LENGTH,
  StatusWordError,
  decodeCommand,
  encodeCommand,
  type CardChannel,
  type CommandApdu,
  type ResponseApdu,
} from '../../../src/iso7816/index.js';

const EMPTY = new Uint8Array(0);
const SHORT_COMMAND_MAX = 4 + 1 + 255 + 1;

export type App = (plain: CommandApdu) => ResponseApdu;

export class TestCard implements CardChannel {
  /** Plain commands the application received (after secure messaging). */
  readonly received: CommandApdu[] = [];
  /** Wire-level counters: ISO-chained blocks and GET RESPONSE commands seen. */
  chainedBlocks = 0;
  getResponses = 0;
  #chain: Uint8Array[] = [];
  #pending: Uint8Array = EMPTY;
  #finalSw = SW_OK;

  constructor(
    readonly sd: Scp11SecurityDomain,
    readonly options: { extended: boolean; app: App },
  ) {}

  async transmit(command: CommandApdu): Promise<ResponseApdu> {
    const bytes = encodeCommand(command);
    if (!this.options.extended && bytes.length > SHORT_COMMAND_MAX)
      return { data: EMPTY, sw: SW_WRONG_LENGTH };
    return this.#serve(this.#handle(decodeCommand(bytes)));
  }

  #serve(r: ResponseApdu): ResponseApdu {
    if (this.options.extended || r.data.length <= SHORT_MAX_NE) return r;
    this.#pending = r.data.subarray(SHORT_MAX_NE);
    return { data: r.data.subarray(0, SHORT_MAX_NE), sw: this.#moreSw(r.sw) };
  }

  #moreSw(finalSw: number): number {
    if (this.#pending.length === 0) return finalSw;
    this.#finalSw = finalSw;
    return 0x6100 | (this.#pending.length >= 256 ? 0 : this.#pending.length);
  }

  #handle(cmd: CommandApdu): ResponseApdu {
    if (cmd.ins === INS_GET_RESPONSE && (cmd.cla & CLA_SECURE_MESSAGING) === 0) {
      this.getResponses++;
      const part = this.#pending.subarray(0, SHORT_MAX_NE);
      this.#pending = this.#pending.subarray(part.length);
      return { data: part, sw: this.#moreSw(this.#finalSw) };
    }
    this.#pending = EMPTY;
    try {
      // PSO blocks go to the engine as they come (it handles CLA b5 and P1 b8 itself).
      if (cmd.ins === INS_PERFORM_SECURITY_OPERATION) return this.sd.performSecurityOperation(cmd);
      if ((cmd.cla & CLA_CHAINING) !== 0) {
        this.chainedBlocks++;
        this.#chain.push(cmd.data);
        return { data: EMPTY, sw: SW_OK };
      }
      const whole = this.#chain.length === 0 ? cmd : { ...cmd, data: concatBytes(...this.#chain, cmd.data) };
      this.#chain = [];
      if ((whole.cla & CLA_SECURE_MESSAGING) === 0) {
        if (whole.ins === INS_MUTUAL_AUTHENTICATE || whole.ins === INS_INTERNAL_AUTHENTICATE) {
          return this.sd.authenticate(whole);
        }
        return { data: EMPTY, sw: 0x6d00 };
      }
      const session = this.sd.session;
      if (session === undefined) return { data: EMPTY, sw: SW_SECURITY_STATUS_NOT_SATISFIED };
      const plain = session.unwrapCommand(whole);
      this.received.push(plain);
      return session.wrapResponse(this.options.app(plain));
    } catch (e) {
      if (e instanceof StatusWordError) return { data: EMPTY, sw: e.sw };
      throw e;
    }
  }
}

/** A channel in the middle that may rewrite what passes (a hostile relay, in failure tests). */
export class Relay implements CardChannel {
  onCommand: (c: CommandApdu) => CommandApdu | ResponseApdu = (c) => c;
  onResponse: (r: ResponseApdu) => ResponseApdu = (r) => r;
  constructor(readonly inner: CardChannel) {}
  async transmit(command: CommandApdu): Promise<ResponseApdu> {
    const c = this.onCommand(command);
    if ('sw' in c) return c;
    return this.onResponse(await this.inner.transmit(c));
  }
}
