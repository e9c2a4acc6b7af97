// The card's end of an open SCP11 session (what the security domain's dispatcher uses after the handshake).
// Every failure answers 6982 and ends the session (GPC Amd D 6.2.4: a MAC failure closes the channel).
import {
  SW_SECURITY_STATUS_NOT_SATISFIED,
  SW_WRONG_DATA,
  StatusWordError,
  type CommandApdu,
  type ResponseApdu,
} from '../../iso7816/index.js';
import {
  SECURITY_LEVEL_AUTHENTICATED,
  SECURITY_LEVEL_C_DECRYPTION,
  SECURITY_LEVEL_C_MAC,
  SECURITY_LEVEL_R_ENCRYPTION,
  SECURITY_LEVEL_R_MAC,
} from '../constants.js';
import { SecureChannelError } from '../errors.js';
import type { Scp11Variant } from './params.js';
import type { SecureMessaging } from './secure-messaging.js';
import type { Scp11SessionKeys } from './session-keys.js';

export interface Scp11CardSessionInfo {
  readonly variant: Scp11Variant;
  readonly kid: number;
  readonly kvn: number;
  /** Verified CERT.OCE.ECKA leaf (SCP11a, SCP11c): who is on the other end. */
  readonly oceCertificate?: { readonly subject: string; readonly serial: Uint8Array };
}

export class Scp11CardSession {
  readonly #sm: SecureMessaging;
  readonly info: Scp11CardSessionInfo;

  constructor(sm: SecureMessaging, info: Scp11CardSessionInfo) {
    this.#sm = sm;
    this.info = info;
  }

  // GPC 2.3 10.6: C-MAC, C-DECRYPTION, R-MAC, R-ENCRYPTION; AUTHENTICATED when the OCE proved its certificate.
  get securityLevel(): number {
    const base =
      SECURITY_LEVEL_C_MAC | SECURITY_LEVEL_C_DECRYPTION | SECURITY_LEVEL_R_MAC | SECURITY_LEVEL_R_ENCRYPTION;
    return this.info.variant === 'b' ? base : base | SECURITY_LEVEL_AUTHENTICATED;
  }

  get active(): boolean {
    return !this.#sm.ended;
  }

  /** For tests and vectors (wiped when the session ends). */
  get sessionKeys(): Scp11SessionKeys {
    return this.#sm.keys;
  }

  #guard<T>(f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof SecureChannelError) {
        this.#sm.end();
        throw new StatusWordError(SW_SECURITY_STATUS_NOT_SATISFIED, `SCP11 secure messaging: ${e.message}`);
      }
      throw e;
    }
  }

  /** Verifies the C-MAC and decrypts; the returned command has CLA b3 cleared. */
  unwrapCommand(cmd: CommandApdu): CommandApdu {
    return this.#guard(() => this.#sm.unwrapCommand(cmd));
  }

  /** Encrypts and adds the R-MAC on 9000 and warnings; error status words go out unchanged. */
  wrapResponse(response: ResponseApdu): ResponseApdu {
    return this.#guard(() => this.#sm.wrapResponse(response));
  }

  /** Decrypts one key wrapped with S-DEK (AES-CBC, zero IV, no padding). */
  unwrapKey(wrapped: Uint8Array): Uint8Array {
    if (wrapped.length === 0 || wrapped.length % 16 !== 0) {
      throw new StatusWordError(
        SW_WRONG_DATA,
        `wrapped key of ${wrapped.length} bytes is not whole AES blocks`,
      );
    }
    return this.#guard(() => this.#sm.unwrapKey(wrapped));
  }

  end(): void {
    this.#sm.end();
  }
}
