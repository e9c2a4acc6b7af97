// Opens a card image file as a live VirtualCard that persists every change back into the file. The image is
// locked while open (DESIGN.md 7): a second process gets a CardImageError naming the pid holding it. Close the
// card (card.close()) to release the lock; process exit releases it too.
import { cryptoRandom } from '../../../../crypto/index.js';
import { VirtualCard, openCardImageFile } from '../../../../card/index.js';
import type { Logger } from '../../../../ports/index.js';
import { UsageError } from '../../../errors.js';

const systemClock = { now: () => new Date() };

export function openCardFile(path: string | undefined, logger?: Logger): VirtualCard {
  if (path === undefined || path === '') throw new UsageError('the CARD image file is required');
  const onStale = (message: string) =>
    logger !== undefined ? logger.warn(message) : process.stderr.write(`ltku: warning: ${message}\n`);
  const { image, store } = openCardImageFile(path, { onStale });
  try {
    return new VirtualCard(image, {
      store,
      clock: systemClock,
      rng: cryptoRandom,
      ...(logger === undefined ? {} : { logger }),
    });
  } catch (e) {
    store.close();
    throw e;
  }
}
