// Errors of the pki layer: one class for every certificate or revocation-list failure, with a reason code.

export type CertificateErrorReason =
  | 'malformed'
  | 'untrusted'
  | 'signature'
  | 'expired'
  | 'not-yet-valid'
  | 'key-usage'
  | 'revoked'
  | 'curve-mismatch';

/** A certificate (or CRL) that could not be decoded, issued or trusted; the message names which and why. */
export class CertificateError extends Error {
  override name = 'CertificateError';
  constructor(
    readonly reason: CertificateErrorReason,
    message: string,
  ) {
    super(message);
  }
}

/** Shorthand for the most common case: bytes that are not a well-formed certificate. */
export function malformed(message: string): CertificateError {
  return new CertificateError('malformed', message);
}
