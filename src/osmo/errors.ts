// The errors of the osmo layer: one class, its kind says which part failed. Messages name the variable, IMSI,
// cause or endpoint involved, never key material (a SET value, K, OPc, CK, IK).

export type OsmoErrorKind = 'ctrl' | 'gsup' | 'ipa' | 'connection' | 'timeout' | 'process';

export class OsmoError extends Error {
  override name = 'OsmoError';
  /** GSUP cause (TS 24.008 10.5.5.14 GMM cause) when an HLR answered with an error message. */
  override readonly cause?: number;

  constructor(
    readonly kind: OsmoErrorKind,
    message: string,
    cause?: number,
  ) {
    super(message);
    if (cause !== undefined) this.cause = cause;
  }
}
