// Errors of the key update codec. A card maps KeyUpdateFormatError to SW 6A80 (DESIGN.md 4.5 check 1).

/** A BF70/BF71/BF72/BF73 object that is not well-formed; the message names the tag and what was wrong. */
export class KeyUpdateFormatError extends Error {
  override name = 'KeyUpdateFormatError';
}
