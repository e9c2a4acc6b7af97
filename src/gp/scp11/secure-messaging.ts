// Secure messaging of SCP11 = SCP03's (GPC Amd F 6.2 -> GPC Amd D 6.2), both directions, both roles:
// C-MAC and C-DECRYPTION on commands, R-MAC and R-ENCRYPTION on responses (security level 33).
// The receipt is the first MAC chaining value and the encryption counter starts at 1.
import { concatBytes, wipe } from '../../bytes/index.js';
import {
  AesCbcDecryptor,
  AesCbcEncryptor,
  AesCmac,
  CryptoError,
  constantTimeEqual,
  unpadIso9797M2,
} from '../../crypto/index.js';
import {
  CLA_CHAINING,
  CLA_SECURE_MESSAGING,
  EXTENDED_MAX_NC,
  SHORT_MAX_NC,
  SHORT_MAX_NE,
  SW1_WARNING_CHANGED,
  SW1_WARNING_UNCHANGED,
  SW_OK,
  isExtended,
  swHex,
  type CommandApdu,
  type ResponseApdu,
} from '../../iso7816/index.js';
import { SecureChannelError } from '../errors.js';
import type { MacLength } from './params.js';
import { wipeSessionKeys, type Scp11SessionKeys } from './session-keys.js';

const EMPTY = new Uint8Array(0);
const BLOCK = 16;
const ZERO_IV = new Uint8Array(BLOCK);
/** GPC Amd D 6.2.7: the response ICV is computed from the counter with its first byte set to 80. */
const RESPONSE_ICV_MARKER = 0x80;
/** ISO/IEC 9797-1 padding method 2: the first padding byte. */
const PADDING_MARKER = 0x80;

/** How a host sends a command without data: GP's "no data field" or Yubico's one encrypted padding block. */
export type EmptyCommandForm = 'no-data' | 'padding-block';

// GPC Amd D 6.2.4 / 6.2.5: 9000 and the warnings 62xx/63xx are protected; any other status word is an error
// and travels alone, without R-MAC.
export function isProtectedSw(sw: number): boolean {
  return sw === SW_OK || sw >> 8 === SW1_WARNING_UNCHANGED || sw >> 8 === SW1_WARNING_CHANGED;
}

/** Lc as it is encoded in the C-MAC input: 1 byte for a short APDU, 00 Lc1 Lc2 for an extended (or chained) one. */
function lcField(lc: number, extended: boolean): Uint8Array {
  return extended ? Uint8Array.of(0, lc >> 8, lc & 0xff) : Uint8Array.of(lc);
}

function swBytes(sw: number): Uint8Array {
  return Uint8Array.of(sw >> 8, sw & 0xff);
}

// GPC Amd D 6.2.6: the counter as a 16-byte big-endian block, its first byte set to `marker` (00 or 80).
function counterBlock(target: Uint8Array, counter: number, marker: number): void {
  new DataView(target.buffer, target.byteOffset, BLOCK).setBigUint64(BLOCK - 8, BigInt(counter));
  target[0] = marker;
}

/**
 * One SCP11 session's secure-messaging state: keys, MAC chaining value, encryption counter. Each session key
 * gets its AES contexts once (created when first needed), freed by end().
 */
export class SecureMessaging {
  readonly #keys: Scp11SessionKeys;
  readonly #macLength: MacLength;
  readonly #enc: AesCbcEncryptor;
  #dec: AesCbcDecryptor | undefined;
  #dekEnc: AesCbcEncryptor | undefined;
  #dekDec: AesCbcDecryptor | undefined;
  readonly #cMac: AesCmac;
  readonly #rMac: AesCmac;
  #mcv: Uint8Array;
  #counter = 1;
  /** Counter of the last command, which its response's ICV uses; undefined once that response is handled. */
  #responseCounter: number | undefined;
  #ended = false;

  constructor(keys: Scp11SessionKeys, receipt: Uint8Array, macLength: MacLength) {
    this.#keys = keys;
    this.#macLength = macLength;
    this.#enc = new AesCbcEncryptor(keys.sEnc);
    this.#cMac = new AesCmac(keys.sMac);
    this.#rMac = new AesCmac(keys.sRmac);
    this.#mcv = Uint8Array.from(receipt);
  }

  get keys(): Scp11SessionKeys {
    return this.#keys;
  }

  get macLength(): MacLength {
    return this.#macLength;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Ends the session and wipes its keys; every later call throws. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    for (const context of [this.#enc, this.#dec, this.#dekEnc, this.#dekDec, this.#cMac, this.#rMac])
      context?.dispose();
    wipeSessionKeys(this.#keys);
    wipe(this.#mcv);
  }

  // GPC Amd D 6.2.6: ICV = AES(S-ENC, counter as 16 bytes big-endian), first byte 80 for responses.
  #icv(counter: number, marker: number): Uint8Array {
    const block = new Uint8Array(BLOCK);
    counterBlock(block, counter, marker);
    return this.#enc.encrypt(ZERO_IV, block);
  }

  // GPC Amd D 6.2.6 / 6.2.7: AES-CBC(S-ENC, ICV, data padded by ISO 9797-1 method 2). One CBC pass with a zero
  // IV over counter block || padded data gives ICV || ciphertext, since the first output block chains into
  // the second: the ICV and the encryption take one AES call.
  #encrypt(counter: number, marker: number, data: Uint8Array): Uint8Array {
    const input = new Uint8Array(BLOCK + (Math.floor(data.length / BLOCK) + 1) * BLOCK);
    counterBlock(input, counter, marker);
    input.set(data, BLOCK);
    input[BLOCK + data.length] = PADDING_MARKER;
    const out = this.#enc.encrypt(ZERO_IV, input);
    wipe(input);
    return out.subarray(BLOCK);
  }

  #checkOpen(): void {
    if (this.#ended) throw new SecureChannelError('closed', 'the secure channel session has ended');
  }

  #fail(reason: 'r-mac' | 'c-mac', message: string): never {
    this.end();
    throw new SecureChannelError(reason, `${message}; the session is closed`);
  }

  // ------------------------------------------------------------------------------------------ host side

  // GPC Amd D 6.2.6 C-DECRYPTION then 6.2.4 C-MAC over MCV || header with Lc' || encrypted data.
  wrapCommand(cmd: CommandApdu, emptyCommand: EmptyCommandForm = 'no-data'): CommandApdu {
    this.#checkOpen();
    const encrypt = cmd.data.length > 0 || emptyCommand === 'padding-block';
    // Checked before the counter advances: a refused command must leave the session usable.
    const lc = (encrypt ? (Math.floor(cmd.data.length / BLOCK) + 1) * BLOCK : 0) + this.#macLength;
    if (lc > EXTENDED_MAX_NC) {
      throw new SecureChannelError(
        'parameters',
        `command data of ${cmd.data.length} bytes is too long to wrap`,
      );
    }
    const counter = this.#counter++;
    const enc = encrypt ? this.#encrypt(counter, 0, cmd.data) : EMPTY;
    const extended = cmd.extended === true || lc > SHORT_MAX_NC || (cmd.ne ?? 0) > SHORT_MAX_NE;
    const cla = cmd.cla | CLA_SECURE_MESSAGING;
    const full = this.#cMac.mac(
      concatBytes(this.#mcv, Uint8Array.of(cla, cmd.ins, cmd.p1, cmd.p2), lcField(lc, extended), enc),
    );
    this.#mcv = full;
    this.#responseCounter = counter;
    // The response grows by padding and R-MAC: ask for whatever the card has.
    const ne = cmd.ne === undefined ? undefined : extended ? 65536 : SHORT_MAX_NE;
    return {
      cla,
      ins: cmd.ins,
      p1: cmd.p1,
      p2: cmd.p2,
      data: concatBytes(enc, full.subarray(0, this.#macLength)),
      ne,
      ...(extended ? { extended: true } : {}),
    };
  }

  // GPC Amd D 6.2.5 R-MAC over MCV || data || SW, then 6.2.7 R-ENCRYPTION. Every 9000 and warning carries an
  // R-MAC, with or without data, and one without is refused (DESIGN.md 4.3: a relay could fake success);
  // an error SW carries neither MAC nor data.
  unwrapResponse(response: ResponseApdu): ResponseApdu {
    this.#checkOpen();
    const counter = this.#responseCounter;
    if (counter === undefined)
      throw new SecureChannelError('closed', 'no command is waiting for this response');
    this.#responseCounter = undefined;
    const { data, sw } = response;
    if (!isProtectedSw(sw)) return { data: EMPTY, sw };
    if (data.length === 0) this.#fail('r-mac', `status word ${swHex(sw)} came without its R-MAC`);
    if (data.length < this.#macLength)
      this.#fail('r-mac', `response of ${data.length} bytes is shorter than its R-MAC`);
    const body = data.subarray(0, data.length - this.#macLength);
    const expected = this.#rMac.mac(concatBytes(this.#mcv, body, swBytes(sw))).subarray(0, this.#macLength);
    if (!constantTimeEqual(expected, data.subarray(body.length))) this.#fail('r-mac', 'R-MAC mismatch');
    if (body.length === 0) return { data: EMPTY, sw };
    return { data: this.#decrypt(body, this.#icv(counter, RESPONSE_ICV_MARKER), 'r-mac', 'response'), sw };
  }

  #decrypt(body: Uint8Array, icv: Uint8Array, reason: 'r-mac' | 'c-mac', what: string): Uint8Array {
    if (body.length % BLOCK !== 0)
      this.#fail(reason, `encrypted ${what} data of ${body.length} bytes is not whole blocks`);
    try {
      this.#dec ??= new AesCbcDecryptor(this.#keys.sEnc);
      const padded = this.#dec.decrypt(icv, body);
      const plain = Uint8Array.from(unpadIso9797M2(padded));
      wipe(padded);
      return plain;
    } catch (e) {
      if (e instanceof CryptoError) this.#fail(reason, `${what} data is not padded (ISO 9797-1 method 2)`);
      throw e;
    }
  }

  // ------------------------------------------------------------------------------------------ card side

  // GPC Amd D 6.2.4: the C-MAC is verified over the header as received and, failing that, with the other Lc'
  // form (DESIGN.md 4.3); the chaining bit of a reassembled command is not part of the header.
  unwrapCommand(cmd: CommandApdu): CommandApdu {
    this.#checkOpen();
    if ((cmd.cla & CLA_SECURE_MESSAGING) === 0) this.#fail('c-mac', 'command without secure messaging');
    const { data } = cmd;
    if (data.length < this.#macLength)
      this.#fail('c-mac', `command data of ${data.length} bytes has no C-MAC`);
    const body = data.subarray(0, data.length - this.#macLength);
    const mac = data.subarray(body.length);
    const header = Uint8Array.of(cmd.cla & ~CLA_CHAINING, cmd.ins, cmd.p1, cmd.p2);
    const asReceived = isExtended(cmd);
    const forms = data.length > SHORT_MAX_NC ? [true] : [asReceived, !asReceived];
    let full: Uint8Array | undefined;
    for (const extended of forms) {
      const candidate = this.#cMac.mac(concatBytes(this.#mcv, header, lcField(data.length, extended), body));
      if (constantTimeEqual(candidate.subarray(0, this.#macLength), mac)) {
        full = candidate;
        break;
      }
    }
    if (full === undefined) this.#fail('c-mac', 'C-MAC mismatch');
    const counter = this.#counter++;
    this.#mcv = full;
    this.#responseCounter = counter;
    const plain = body.length === 0 ? EMPTY : this.#decrypt(body, this.#icv(counter, 0), 'c-mac', 'command');
    return {
      cla: cmd.cla & ~CLA_SECURE_MESSAGING,
      ins: cmd.ins,
      p1: cmd.p1,
      p2: cmd.p2,
      data: plain,
      ...(cmd.ne !== undefined ? { ne: cmd.ne } : {}),
    };
  }

  // GPC Amd D 6.2.7 R-ENCRYPTION then 6.2.5 R-MAC, on 9000 and warnings (with or without data); errors unchanged.
  wrapResponse(response: ResponseApdu): ResponseApdu {
    this.#checkOpen();
    const counter = this.#responseCounter;
    if (counter === undefined) throw new SecureChannelError('closed', 'no unwrapped command to answer');
    this.#responseCounter = undefined;
    if (!isProtectedSw(response.sw)) return response;
    const enc = response.data.length > 0 ? this.#encrypt(counter, RESPONSE_ICV_MARKER, response.data) : EMPTY;
    const rmac = this.#rMac
      .mac(concatBytes(this.#mcv, enc, swBytes(response.sw)))
      .subarray(0, this.#macLength);
    return { data: concatBytes(enc, rmac), sw: response.sw };
  }

  // ------------------------------------------------------------------------------------------ S-DEK

  /** DESIGN.md 4.3: each key separately, AES-CBC with S-DEK, zero IV, no padding. */
  wrapKey(key: Uint8Array): Uint8Array {
    this.#checkOpen();
    this.#dekEnc ??= new AesCbcEncryptor(this.#keys.sDek);
    return this.#dekEnc.encrypt(ZERO_IV, key);
  }

  unwrapKey(wrapped: Uint8Array): Uint8Array {
    this.#checkOpen();
    this.#dekDec ??= new AesCbcDecryptor(this.#keys.sDek);
    return this.#dekDec.decrypt(ZERO_IV, wrapped);
  }
}
