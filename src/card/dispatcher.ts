// ISO/IEC 7816-4 at the APDU level: decoding (cases 1-4, short and extended), class byte checks, command
// chaining (5.4.1), response chunking with 61xx and GET RESPONSE (7.4.2), and the one place where handler
// exceptions become status words. Never throws: anything unexpected is 6F00, logged without data.
import { concatBytes } from '../bytes/index.js';
import {
  ApduError,
  CLA_CHAINING,
  decodeCommand,
  encodeResponse,
  INS_GET_RESPONSE,
  SHORT_MAX_NE,
  SW1_BYTES_AVAILABLE,
  SW_CLA_NOT_SUPPORTED,
  SW_CONDITIONS_NOT_SATISFIED,
  SW_INCORRECT_P1P2,
  SW_LAST_COMMAND_EXPECTED,
  SW_LOGICAL_CHANNEL_NOT_SUPPORTED,
  SW_OK,
  SW_UNKNOWN,
  SW_WRONG_LENGTH,
  StatusWordError,
  swHex,
  type CommandApdu,
  type ResponseApdu,
} from '../iso7816/index.js';
import type { Logger } from '../ports/index.js';

export type CommandHandler = (cmd: CommandApdu) => ResponseApdu;

/** Longest command a chain may build (the extended Lc limit). */
export const MAX_CHAINED_LENGTH = 65535;
const CLA_INVALID = 0xff;
const CLA_LOGICAL_CHANNEL_MASK = 0x03;
const CLA_FURTHER_INTERINDUSTRY = 0x40;
/** ISO/IEC 7816-4 5.4.1: b7-b6 of a first-interindustry or proprietary class must be 0 here. */
const CLA_RESERVED_BITS = 0x60;
/** b5 command chaining and b4-b3 secure messaging: not part of the class check. */
const CLA_CHAINING_AND_SM = 0x1c;
/** ISO/IEC 7816-4 5.4.1: b8 set is a proprietary class (GlobalPlatform). */
const CLA_PROPRIETARY = 0x80;

interface Chain {
  readonly cla: number;
  readonly ins: number;
  readonly parts: Uint8Array[];
  size: number;
}

interface Pending {
  data: Uint8Array;
  readonly sw: number;
}

function sw(value: number): Uint8Array {
  return Uint8Array.of(value >> 8, value & 0xff);
}

// ISO/IEC 7816-4 5.4.1: 0x0X/0x1X first interindustry class, 0x4X-0x7X further interindustry (channels 4-19),
// 0x8X/0x9X proprietary (GlobalPlatform); others are not served by this card.
function checkClass(cla: number): void {
  if (cla === CLA_INVALID) throw new StatusWordError(SW_CLA_NOT_SUPPORTED, 'CLA FF is not a class');
  if ((cla & CLA_PROPRIETARY) === 0 && (cla & CLA_FURTHER_INTERINDUSTRY) !== 0) {
    throw new StatusWordError(SW_LOGICAL_CHANNEL_NOT_SUPPORTED, 'logical channels 4-19 not supported');
  }
  if ((cla & CLA_RESERVED_BITS) !== 0)
    throw new StatusWordError(SW_CLA_NOT_SUPPORTED, `CLA ${cla.toString(16)} not supported`);
  if ((cla & CLA_LOGICAL_CHANNEL_MASK) !== 0) {
    throw new StatusWordError(
      SW_LOGICAL_CHANNEL_NOT_SUPPORTED,
      'only the basic logical channel is supported',
    );
  }
}

export class ApduDispatcher {
  readonly #handler: CommandHandler;
  readonly #logger: Logger;
  #chain: Chain | undefined;
  #pending: Pending | undefined;

  constructor(handler: CommandHandler, logger: Logger) {
    this.#handler = handler;
    this.#logger = logger;
  }

  /** Forgets a half-received chain and undelivered response bytes (card reset). */
  reset(): void {
    this.#chain = undefined;
    this.#pending = undefined;
  }

  /** One command APDU in, one response APDU out. */
  process(bytes: Uint8Array): Uint8Array {
    let out: Uint8Array;
    try {
      out = this.#process(bytes);
    } catch (e) {
      if (e instanceof StatusWordError) {
        out = sw(e.sw);
      } else {
        // Never the message or data: they could carry key material.
        this.#logger.error(
          { error: (e as Error)?.name ?? typeof e },
          'unexpected error while processing an APDU',
        );
        this.#chain = undefined;
        this.#pending = undefined;
        out = sw(SW_UNKNOWN);
      }
    }
    this.#logger.trace(
      {
        header: Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(''),
        length: bytes.length,
        sw: swHex((out[out.length - 2] << 8) | out[out.length - 1]),
      },
      'apdu',
    );
    return out;
  }

  #process(bytes: Uint8Array): Uint8Array {
    let cmd: CommandApdu;
    try {
      cmd = decodeCommand(bytes);
    } catch (e) {
      if (e instanceof ApduError) throw new StatusWordError(SW_WRONG_LENGTH, e.message);
      throw e;
    }
    checkClass(cmd.cla & ~CLA_CHAINING_AND_SM);
    if (cmd.ins === INS_GET_RESPONSE && (cmd.cla & CLA_PROPRIETARY) === 0) return this.#getResponse(cmd);
    this.#pending = undefined;
    const whole = this.#chainStep(cmd);
    if (whole === undefined) return sw(SW_OK);
    let response: ResponseApdu;
    try {
      response = this.#handler(whole);
    } catch (e) {
      if (!(e instanceof StatusWordError)) throw e;
      response = { data: new Uint8Array(0), sw: e.sw };
    }
    return this.#deliver(response.data, response.sw, whole.ne ?? SHORT_MAX_NE);
  }

  // ISO/IEC 7816-4 5.4.1 command chaining: the blocks' data is concatenated; the last block's header counts
  #chainStep(cmd: CommandApdu): CommandApdu | undefined {
    const base = cmd.cla & ~CLA_CHAINING;
    const chain = this.#chain;
    if (chain !== undefined && (chain.cla !== base || chain.ins !== cmd.ins)) {
      this.#chain = undefined;
      throw new StatusWordError(SW_LAST_COMMAND_EXPECTED, 'a different command interrupted a chain');
    }
    const size = (chain?.size ?? 0) + cmd.data.length;
    if (size > MAX_CHAINED_LENGTH) {
      this.#chain = undefined;
      throw new StatusWordError(SW_WRONG_LENGTH, `chained command longer than ${MAX_CHAINED_LENGTH} bytes`);
    }
    if ((cmd.cla & CLA_CHAINING) !== 0) {
      if (chain === undefined) this.#chain = { cla: base, ins: cmd.ins, parts: [cmd.data], size };
      else {
        chain.parts.push(cmd.data);
        chain.size = size;
      }
      return undefined;
    }
    if (chain === undefined) return cmd;
    this.#chain = undefined;
    return { ...cmd, data: concatBytes(...chain.parts, cmd.data) };
  }

  // ISO/IEC 7816-4 7.4.2: at most Ne bytes now; 61xx tells how many remain (00: 256 or more)
  #deliver(data: Uint8Array, finalSw: number, ne: number): Uint8Array {
    if (data.length <= ne) return encodeResponse({ data, sw: finalSw });
    const rest = data.subarray(ne);
    this.#pending = { data: rest, sw: finalSw };
    return encodeResponse({
      data: data.subarray(0, ne),
      sw: (SW1_BYTES_AVAILABLE << 8) | (Math.min(rest.length, 256) & 0xff),
    });
  }

  #getResponse(cmd: CommandApdu): Uint8Array {
    const pending = this.#pending;
    this.#pending = undefined;
    if (cmd.p1 !== 0 || cmd.p2 !== 0)
      throw new StatusWordError(SW_INCORRECT_P1P2, 'GET RESPONSE: P1 P2 must be 00 00');
    if (pending === undefined)
      throw new StatusWordError(SW_CONDITIONS_NOT_SATISFIED, 'GET RESPONSE: no data available');
    return this.#deliver(pending.data, pending.sw, cmd.ne ?? SHORT_MAX_NE);
  }
}
