// Errors of the bytes layer: one flat class per kind of bad input.

/** Bad hex, BCD or length at an API boundary. The message names the field, never its secret value. */
export class BytesError extends Error {
  override name = 'BytesError';
}

/** Malformed or unexpected BER-TLV; `offset` is the byte position where decoding failed, when known. */
export class TlvError extends Error {
  override name = 'TlvError';
  constructor(
    message: string,
    readonly offset?: number,
  ) {
    super(offset === undefined ? message : `${message} at offset ${offset}`);
  }
}
