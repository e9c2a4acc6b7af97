// Errors of the APDU layer.
import { describeSw } from './status-words.js';

/** A byte string that is not a well-formed command or response APDU. */
export class ApduError extends Error {
  override name = 'ApduError';
}

/**
 * A status word other than the one expected. Raised in exactly one place per boundary (`transmitOk`);
 * card-side handlers throw it too, and the dispatcher turns it into the SW.
 */
export class StatusWordError extends Error {
  override name = 'StatusWordError';
  constructor(
    readonly sw: number,
    context?: string,
  ) {
    super(context === undefined ? `card answered ${describeSw(sw)}` : `${context}: ${describeSw(sw)}`);
  }
}
