// A fleet held in memory: the images in an array, each card's writes replacing its entry.
import type { CardImage } from '../card/index.js';
import type { FleetCard, FleetSource } from './runner.js';

export class MemoryFleet implements FleetSource {
  readonly #images: CardImage[];

  constructor(images: readonly CardImage[]) {
    this.#images = [...images];
  }

  get size(): number {
    return this.#images.length;
  }

  open(card: number): FleetCard {
    return { image: this.#images[card], store: { save: (image) => (this.#images[card] = image) } };
  }
}
