// Fault injection for the fleet (issue 11): per card, from a seeded generator so a run replays, each fault kind
// strikes the card's first key-update session with the given probability:
//   drop-after-post: the UE's connection drops right after POST k reached the server (the answer is lost);
//   lose-bf71:       the POST carrying BF71 (the fourth, DESIGN.md 4.7) never reaches the server;
//   card-crash:      the card loses power while writing its image (the new keys are not stored).
import { SeededRandom } from '../crypto/index.js';
import type { CardImage, CardStore } from '../card/index.js';
import type { CardChannel, CommandApdu, ResponseApdu } from '../iso7816/index.js';
import { CardPowerLoss, FleetConfigError } from './errors.js';

export const FAULT_KINDS = ['drop-after-post', 'lose-bf71', 'card-crash'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** The POSTs of one key update: 0 opens, 1 key information, 2 authenticated (BF70 comes back), 3 BF71. */
export const KEY_UPDATE_POSTS = 4;
/** ram-endpoint.ts: the POST whose body carries the card's BF71. */
export const POST_BF71 = 3;

export interface FaultSettings {
  readonly kinds: readonly FaultKind[];
  /** Probability per card and kind, 0..1. */
  readonly rate: number;
  /** drop-after-post: which POST (0..3); absent: drawn per card. */
  readonly dropAfterPost?: number;
  readonly seed: string;
}

/** What strikes one card's first session. */
export interface CardFaults {
  readonly dropAfterPost?: number;
  readonly loseBf71: boolean;
  readonly cardCrash: boolean;
}

export const NO_FAULTS: CardFaults = { loseBf71: false, cardCrash: false };

export function checkFaultSettings(s: FaultSettings): FaultSettings {
  if (!(s.rate >= 0 && s.rate <= 1)) throw new FleetConfigError(`fault rate ${s.rate} is not within 0..1`);
  for (const k of s.kinds)
    if (!FAULT_KINDS.includes(k))
      throw new FleetConfigError(`fault kind ${JSON.stringify(k)} is not one of ${FAULT_KINDS.join(', ')}`);
  const p = s.dropAfterPost;
  if (p !== undefined && !(Number.isInteger(p) && p >= 0 && p < KEY_UPDATE_POSTS))
    throw new FleetConfigError(
      `drop-after-post ${p} is not a POST of a key update (0..${KEY_UPDATE_POSTS - 1})`,
    );
  return s;
}

/** A uniform number in [0, 1) from 4 bytes of the generator. */
function uniform(rng: SeededRandom): number {
  const b = rng.randomBytes(4);
  return (((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0) / 2 ** 32;
}

/** The faults of card number `card`: a function of the seed and the card only (replayable, order-free). */
export function faultsOfCard(s: FaultSettings, card: number): CardFaults {
  if (s.kinds.length === 0 || s.rate === 0) return NO_FAULTS;
  const rng = new SeededRandom(`${s.seed}/${card}`);
  const strikes = (k: FaultKind) => s.kinds.includes(k) && uniform(rng) < s.rate;
  const drop = strikes('drop-after-post');
  const post = s.dropAfterPost ?? Math.floor(uniform(rng) * KEY_UPDATE_POSTS);
  return {
    ...(drop ? { dropAfterPost: post } : {}),
    loseBf71: strikes('lose-bf71'),
    cardCrash: strikes('card-crash'),
  };
}

export function faultNames(f: CardFaults): FaultKind[] {
  return [
    ...(f.dropAfterPost !== undefined ? (['drop-after-post'] as const) : []),
    ...(f.loseBf71 ? (['lose-bf71'] as const) : []),
    ...(f.cardCrash ? (['card-crash'] as const) : []),
  ];
}

/**
 * The UE's fetch with the connection faults of one session: each strikes once, counted over the session's
 * POSTs (a resumed session starts counting at 0 again, as the agent does).
 */
export function faultyFetch(inner: typeof fetch, f: CardFaults): typeof fetch {
  let post = 0;
  let dropDone = f.dropAfterPost === undefined;
  let bf71Done = !f.loseBf71;
  return async (input, init) => {
    const n = post++;
    if (!bf71Done && n === POST_BF71) {
      bf71Done = true;
      throw new TypeError('fleet fault: connection lost before the POST carrying BF71 reached the server');
    }
    const response = await inner(input, init);
    if (!dropDone && n === f.dropAfterPost) {
      dropDone = true;
      await response.arrayBuffer();
      throw new TypeError(`fleet fault: connection dropped after POST ${n} (the answer is lost)`);
    }
    return response;
  };
}

/** A card store that can lose power in the middle of the next write: that write does not happen. */
export class CrashingCardStore implements CardStore {
  #armed = false;
  #crashed = false;

  constructor(private readonly inner: CardStore) {}

  /** The next save is the one power is lost in. */
  arm(): void {
    this.#armed = true;
  }

  disarm(): void {
    this.#armed = false;
  }

  get crashed(): boolean {
    return this.#crashed;
  }

  /** Power is back (the card was reset). */
  powerOn(): void {
    this.#crashed = false;
  }

  save(image: CardImage): void {
    if (this.#armed) {
      this.#armed = false;
      this.#crashed = true;
      throw new CardPowerLoss('card lost power while writing its image');
    }
    this.inner.save(image);
  }

  close(): void {
    this.inner.close?.();
  }
}

/** The terminal's view of a card that may lose power: once it has, no answer comes back (CardPowerLoss). */
export class PowerLossChannel implements CardChannel {
  constructor(
    private readonly card: CardChannel,
    private readonly store: CrashingCardStore,
  ) {}

  async transmit(command: CommandApdu): Promise<ResponseApdu> {
    if (this.store.crashed) throw new CardPowerLoss('the card has no power');
    const response = await this.card.transmit(command);
    if (this.store.crashed) throw new CardPowerLoss('the card lost power during the command');
    return response;
  }
}
