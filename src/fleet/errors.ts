// The fleet simulator's errors: bad settings, and the power loss of a simulated card.

/** A fleet setting out of range or malformed; the message names the setting. */
export class FleetConfigError extends Error {
  override name = 'FleetConfigError';
}

/** A simulated card lost power in the middle of writing its image (the fault "card-crash"). */
export class CardPowerLoss extends Error {
  override name = 'CardPowerLoss';
}
