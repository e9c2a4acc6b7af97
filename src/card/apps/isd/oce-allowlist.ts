// GPC Amd F 7.5: STORE DATA A6{83 <KID KVN>} 70{93 <serial> ...} inside an authenticated SCP11 session replaces
// the OCE certificate allowlist of one SCP11a/c key set (KID 11/15) or of one trusted CA-KLOC key (KID 10, the
// form yubikit's store_allowlist(KeyRef(0x10, kvn)) sends); the new image is committed atomically (6581 on failure).
import { SW_REFERENCED_DATA_NOT_FOUND, SW_WRONG_DATA, StatusWordError } from '../../../iso7816/index.js';
import { DataObjectError, decodeOceAllowlist } from '../../../gp/data-objects/index.js';
import { KID_CA_KLOC } from '../../../gp/constants.js';
import { variantOfKid } from '../../../gp/scp11/index.js';
import type { CardContext } from '../../context.js';

export function storeOceAllowlist(data: Uint8Array, context: CardContext): Uint8Array {
  let update;
  try {
    update = decodeOceAllowlist(data);
  } catch (e) {
    if (e instanceof DataObjectError) throw new StatusWordError(SW_WRONG_DATA, e.message);
    throw e;
  }
  const { kid, kvn } = update.keyReference;
  const image = context.image;
  if (kid === KID_CA_KLOC) return storeCaKlocAllowlist(update.serials, kvn, context);
  const variant = variantOfKid(kid);
  const index = image.keySets.findIndex((k) => k.kid === kid && k.kvn === kvn);
  if (variant === undefined || variant === 'b' || index < 0) {
    throw new StatusWordError(
      SW_REFERENCED_DATA_NOT_FOUND,
      `STORE DATA allowlist: no SCP11a/c key set ${kid.toString(16)}/${kvn.toString(16)}`,
    );
  }
  const keySets = image.keySets.map((k, i) => {
    if (i !== index) return k;
    const { oceAllowlist: _old, ...rest } = k;
    return update.serials.length === 0 ? rest : { ...rest, oceAllowlist: update.serials };
  });
  context.commit({ ...image, keySets });
  context.logger.info(
    { event: 'oce-allowlist', kid, kvn, serials: update.serials.length },
    'OCE allowlist replaced',
  );
  return new Uint8Array(0);
}

// GPC Amd F 7.5, KID 10 form: the list is attached to the CA-KLOC key KVN, checked at PSO on its chains
function storeCaKlocAllowlist(serials: readonly Uint8Array[], kvn: number, context: CardContext): Uint8Array {
  const image = context.image;
  const index = image.caKloc.findIndex((c) => c.kvn === kvn);
  if (index < 0) {
    throw new StatusWordError(
      SW_REFERENCED_DATA_NOT_FOUND,
      `STORE DATA allowlist: no CA-KLOC key ${KID_CA_KLOC.toString(16)}/${kvn.toString(16)}`,
    );
  }
  const caKloc = image.caKloc.map((c, i) => {
    if (i !== index) return c;
    const { oceAllowlist: _old, ...rest } = c;
    return serials.length === 0 ? rest : { ...rest, oceAllowlist: serials };
  });
  context.commit({ ...image, caKloc });
  context.logger.info(
    { event: 'oce-allowlist', kid: KID_CA_KLOC, kvn, serials: serials.length },
    'OCE allowlist replaced',
  );
  return new Uint8Array(0);
}
