// Errors of the gp layer (host side). Card-side handlers throw iso7816's StatusWordError instead.

export type SecureChannelErrorReason =
  /** Scp11OceParams that cannot work (missing key, wrong lengths, unknown variant). */
  | 'parameters'
  /** The card's answer to the handshake is not what GPC Amd F specifies. */
  | 'malformed'
  /** The receipt does not match: the card does not hold the private key of CERT.SD.ECKA, or a relay interfered. */
  | 'receipt'
  /** A response's R-MAC, padding or length is wrong: the session is over. */
  | 'r-mac'
  /** (card side) A command's C-MAC, padding or length is wrong, or it came without secure messaging. */
  | 'c-mac'
  /** The channel was closed (explicitly, after a MAC failure or a transport error). */
  | 'closed';

/** A secure channel that could not be opened or can no longer be used. Never carries key material. */
export class SecureChannelError extends Error {
  override name = 'SecureChannelError';
  constructor(
    readonly reason: SecureChannelErrorReason,
    message: string,
  ) {
    super(message);
  }
}
