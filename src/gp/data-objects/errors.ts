// Errors of the GP data object codecs (E0, BF30, FF33, BF21).

/** A data object that is not what GP / DESIGN.md 4.3-4.4 specify; the message names the tag. */
export class DataObjectError extends Error {
  override name = 'DataObjectError';
}
