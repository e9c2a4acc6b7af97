// Errors of the virtual card outside the APDU path (APDU handlers throw iso7816's StatusWordError instead).

/** A card image file that cannot be read, parsed or written; the message names the field or the file. */
export class CardImageError extends Error {
  override name = 'CardImageError';
}

/** A transport (vpcd, TCP) that could not be set up or broke. */
export class CardTransportError extends Error {
  override name = 'CardTransportError';
}
