// Opens a card image file as a live VirtualCard that persists every change back into the file.
import { cryptoRandom } from '../../../../crypto/index.js';
import { FileCardStore, VirtualCard, loadCardImage } from '../../../../card/index.js';
import type { Logger } from '../../../../ports/index.js';
import { UsageError } from '../../../errors.js';

const systemClock = { now: () => new Date() };

export function openCardFile(path: string | undefined, logger?: Logger): VirtualCard {
  if (path === undefined || path === '') throw new UsageError('the CARD image file is required');
  return new VirtualCard(loadCardImage(path), {
    store: new FileCardStore(path),
    clock: systemClock,
    rng: cryptoRandom,
    ...(logger === undefined ? {} : { logger }),
  });
}
