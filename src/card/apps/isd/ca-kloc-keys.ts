// Issue 13, CA-KLOC rotation on the card: PUT KEY (GPC 2.3 11.8) adds (P1 00) or replaces (P1 = old KVN) a
// CA-KLOC public key (KID 10), DELETE (GPC 2.3 11.2) removes one; the caller checks the SCP11a/c session. Each
// change is one atomic commit of the whole image (6581, nothing changed), so a crash leaves the old or the new
// set; the card never ends with no CA-KLOC key (6985). A repeated command after a lost answer: PUT KEY of a key
// already in place answers 9000 again, DELETE of a key already gone answers 6A88 (the host reads 00E0).
import {
  SW_CONDITIONS_NOT_SATISFIED,
  SW_INCORRECT_P1P2,
  SW_REFERENCED_DATA_NOT_FOUND,
  SW_WRONG_DATA,
  StatusWordError,
  type CommandApdu,
} from '../../../iso7816/index.js';
import { equalBytes } from '../../../bytes/index.js';
import { CryptoError, curveByGpId, decodePoint } from '../../../crypto/index.js';
import { KID_CA_KLOC, P1_PUT_KEY_ADD, P2_DELETE_LAST, P2_DELETE_OBJECT } from '../../../gp/constants.js';
import {
  KeyManagementFormatError,
  decodeDeleteKey,
  decodePutKeyEcPublic,
} from '../../../gp/key-management/index.js';
import type { CardContext } from '../../context.js';
import type { CardCaKey } from '../../image.js';

/** GPC 2.3 11.1.8: KVN 00 means "add" in P1 and FF is reserved; neither names a key. */
const KVN_RESERVED = [0x00, 0xff];

function wrongData(message: string): never {
  throw new StatusWordError(SW_WRONG_DATA, message);
}

// GPC 2.3 11.8.2: P1 = KVN replaced or 00, P2 = KID 10; response data: the new KVN
export function putCaKlocKey(cmd: CommandApdu, context: CardContext): Uint8Array {
  if (cmd.p2 !== KID_CA_KLOC) throw new StatusWordError(SW_INCORRECT_P1P2, 'PUT KEY: only KID 10 (CA-KLOC)');
  const key = decodeOrWrongData(() => decodePutKeyEcPublic(cmd.data));
  if (KVN_RESERVED.includes(key.kvn)) wrongData('PUT KEY: reserved KVN');
  const curve = decodeOrWrongData(() => curveByGpId(key.curveId));
  const publicKey = decodeOrWrongData(() => decodePoint(curve, key.publicKey));
  const image = context.image;
  const same = (c: CardCaKey) => c.curve.gpId === curve.gpId && equalBytes(c.publicKey, publicKey);
  const holder = image.caKloc.find((c) => c.kvn === key.kvn);
  if (holder !== undefined && !same(holder)) wrongData('PUT KEY: KVN already holds another CA-KLOC key');
  const entry: CardCaKey = { kvn: key.kvn, curve, publicKey };
  let caKloc: CardCaKey[];
  if (cmd.p1 === P1_PUT_KEY_ADD) {
    if (holder !== undefined) return Uint8Array.of(key.kvn); // repeated after a lost answer
    caKloc = [...image.caKloc, entry];
  } else {
    const old = image.caKloc.findIndex((c) => c.kvn === cmd.p1);
    if (old < 0) {
      if (holder !== undefined) return Uint8Array.of(key.kvn); // the replacement already happened
      throw new StatusWordError(
        SW_REFERENCED_DATA_NOT_FOUND,
        'PUT KEY: no CA-KLOC key with that KVN to replace',
      );
    }
    caKloc = image.caKloc.flatMap((c, i) => (i === old ? [entry] : c.kvn === key.kvn ? [] : [c]));
  }
  context.commit({ ...image, caKloc });
  context.logger.info(
    { event: 'ca-kloc-put', kvn: key.kvn, replaced: cmd.p1, curve: curve.name },
    'CA-KLOC key stored',
  );
  return Uint8Array.of(key.kvn);
}

// GPC 2.3 11.2.2: P1 00, P2 00 (or yubikit's 01), data D0 <KID> D2 <KVN>; only CA-KLOC keys, never the last one
export function deleteCaKlocKey(cmd: CommandApdu, context: CardContext): Uint8Array {
  if (cmd.p1 !== 0x00 || (cmd.p2 !== P2_DELETE_OBJECT && cmd.p2 !== P2_DELETE_LAST))
    throw new StatusWordError(SW_INCORRECT_P1P2, 'DELETE: only P1 00, P2 00 or 01');
  const ref = decodeOrWrongData(() => decodeDeleteKey(cmd.data));
  const image = context.image;
  if (ref.kid !== KID_CA_KLOC)
    throw new StatusWordError(
      SW_CONDITIONS_NOT_SATISFIED,
      'DELETE: only CA-KLOC keys (KID 10) can be deleted',
    );
  if (!image.caKloc.some((c) => c.kvn === ref.kvn))
    throw new StatusWordError(SW_REFERENCED_DATA_NOT_FOUND, 'DELETE: no CA-KLOC key with that KVN');
  if (image.caKloc.length === 1)
    throw new StatusWordError(SW_CONDITIONS_NOT_SATISFIED, 'DELETE: the last CA-KLOC key stays');
  context.commit({ ...image, caKloc: image.caKloc.filter((c) => c.kvn !== ref.kvn) });
  context.logger.info({ event: 'ca-kloc-delete', kvn: ref.kvn }, 'CA-KLOC key deleted');
  return new Uint8Array(0);
}

function decodeOrWrongData<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof KeyManagementFormatError || e instanceof CryptoError) wrongData(e.message);
    throw e;
  }
}
