// Issue 13, revocation the server publishes to cards: STORE DATA BF74{81 <mode>, 93 <serial> ...} inside an
// authenticated SCP11a/c session (the caller checks it) adds serials to the card's deny list or replaces it. The
// new image is one atomic commit (6581 on failure, nothing changed); PSO then refuses a denied serial with 6982.
import { SW_WRONG_DATA, StatusWordError } from '../../../iso7816/index.js';
import { DataObjectError, decodeDenyListUpdate, serialOnList } from '../../../gp/data-objects/index.js';
import type { CardContext } from '../../context.js';

export function storeDenyList(data: Uint8Array, context: CardContext): Uint8Array {
  let update;
  try {
    update = decodeDenyListUpdate(data);
  } catch (e) {
    if (e instanceof DataObjectError) throw new StatusWordError(SW_WRONG_DATA, e.message);
    throw e;
  }
  const image = context.image;
  const start = update.mode === 'add' ? image.denyList : [];
  const denyList = update.serials.reduce<readonly Uint8Array[]>(
    (list, serial) => (serialOnList(list, serial) ? list : [...list, serial]),
    start,
  );
  context.commit({ ...image, denyList });
  context.logger.info(
    { event: 'deny-list', mode: update.mode, serials: update.serials.length, size: denyList.length },
    'deny list updated',
  );
  return new Uint8Array(0);
}
