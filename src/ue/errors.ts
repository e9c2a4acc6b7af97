// The errors of the UE agent: the card does not hold what was asked (UsimError), the card could not be reached
// (UeTransportError), or the core network answered something unexpected (CoreProtocolError).

export class UsimError extends Error {
  override name = 'UsimError';
}

export class UeTransportError extends Error {
  override name = 'UeTransportError';
}

export class CoreProtocolError extends Error {
  override name = 'CoreProtocolError';
  constructor(
    /** HTTP status; 0 when the core could not be reached. */
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
