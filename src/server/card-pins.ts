// Issue 13: which key each card must present. Pins come from the personalisation file (the inventory); a card
// without one is refused, or, under `--unpinned-cards tofu`, pinned at its first session in the server's
// database (table card_key_pins, SQLite and PostgreSQL) and held to it afterwards. The pin itself:
// pki/card-key-pin.ts.
import { fromHex, toHex } from '../bytes/index.js';
import { sameCardKeyPin, type CardKeyPin } from '../pki/index.js';
import type { Inventory } from './inventory.js';

/** What the server does with a card that has no pin: refuse it (default), or trust it on first use. */
export type UnpinnedCardPolicy = 'refuse' | 'tofu';
export const UNPINNED_CARD_POLICIES: readonly UnpinnedCardPolicy[] = ['refuse', 'tofu'];
export const DEFAULT_UNPINNED_CARD_POLICY: UnpinnedCardPolicy = 'refuse';

/** The pins recorded at first use (at most one per EID); both job stores implement it. */
export interface CardPinStore {
  cardPin(eid: string): Promise<CardKeyPin | undefined>;
  /** Records `pin` unless the EID has one already (first writer wins); returns the pin now recorded. */
  pinCard(eid: string, pin: CardKeyPin, at: string): Promise<CardKeyPin>;
}

export function isCardPinStore(store: object): store is CardPinStore & object {
  const s = store as Partial<CardPinStore>;
  return typeof s.cardPin === 'function' && typeof s.pinCard === 'function';
}

/** The session's view of the pins (SessionConfig.cardKeyPins). */
export interface CardKeyPins {
  /** The card's pins: its personalisation file's, else the one recorded at first use; empty when none. */
  pinsOf(eid: string): Promise<readonly CardKeyPin[]>;
  /** Trust on first use: records `pin` unless one was recorded meanwhile; returns the pin now recorded. */
  pinFirstUse(eid: string, pin: CardKeyPin): Promise<CardKeyPin>;
}

export type PinVerdict = 'match' | 'mismatch' | 'unpinned';

export function pinVerdict(pins: readonly CardKeyPin[], presented: CardKeyPin): PinVerdict {
  if (pins.length === 0) return 'unpinned';
  return pins.some((p) => sameCardKeyPin(p, presented)) ? 'match' : 'mismatch';
}

/** The inventory's pins first, then the store's first-use pins (when the store keeps them). */
export class ServerCardKeyPins implements CardKeyPins {
  constructor(
    readonly inventory: Inventory,
    readonly store: CardPinStore | undefined,
    readonly now: () => Date,
  ) {}

  async pinsOf(eid: string): Promise<readonly CardKeyPin[]> {
    const filed = this.inventory.pinsOf(eid);
    if (filed.length > 0) return filed;
    const seen = await this.store?.cardPin(eid);
    return seen === undefined ? [] : [seen];
  }

  async pinFirstUse(eid: string, pin: CardKeyPin): Promise<CardKeyPin> {
    if (this.store === undefined) throw new Error('unreachable: tofu without a pin store');
    return this.store.pinCard(eid, pin, this.now().toISOString());
  }
}

/** A card_key_pins row, as both drivers read it. */
export interface CardPinRow {
  kid: number;
  kvn: number;
  pk_sha256: string;
}

export function pinOfRow(r: CardPinRow): CardKeyPin {
  return { kid: Number(r.kid), kvn: Number(r.kvn), sha256: fromHex(r.pk_sha256, 'pk_sha256') };
}

export function rowOfPin(eid: string, pin: CardKeyPin, at: string) {
  return { eid, kid: pin.kid, kvn: pin.kvn, pk_sha256: toHex(pin.sha256), pinned_at: at };
}
