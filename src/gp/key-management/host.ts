// The OCE's side of CA-KLOC rotation (issue 13) over an open SCP11a/c channel: PUT KEY (GPC 2.3 11.8), DELETE
// (GPC 2.3 11.2) and reading the card's CA-KLOC keys back from GET DATA 00E0 (GPC 2.3 11.3.3.1) to recover a
// lost answer, and (revocation) the card's deny list by STORE DATA BF74. The card's status word becomes a
// KeyManagementError in refusal(), the one place that maps it.
import {
  CLA_GP,
  SW_CONDITIONS_NOT_SATISFIED,
  SW_MEMORY_FAILURE,
  SW_OK,
  SW_REFERENCED_DATA_NOT_FOUND,
  SW_SECURITY_STATUS_NOT_SATISFIED,
  SW_WRONG_DATA,
  command,
  type CardChannel,
} from '../../iso7816/index.js';
import type { Curve } from '../../crypto/index.js';
import {
  INS_DELETE,
  INS_PUT_KEY,
  INS_STORE_DATA,
  KID_CA_KLOC,
  P1_PUT_KEY_ADD,
  P1_STORE_DATA_LAST_BERTLV,
  P2_DELETE_OBJECT,
  TAG_KEY_INFO_TEMPLATE,
} from '../constants.js';
import { getDataCommand } from '../get-data.js';
import {
  curveIdOf,
  decodeKeyInformation,
  encodeDenyListUpdate,
  type DenyListMode,
} from '../data-objects/index.js';
import type { Scp11Channel } from '../scp11/index.js';
import type { KeyReference } from '../data-objects/index.js';
import { encodeDeleteKey } from './delete-key.js';
import { KeyManagementError, type KeyManagementRefusal } from './errors.js';
import { encodePutKeyEcPublic } from './put-key.js';

export interface CaKlocKeyInput {
  /** KVN of the new CA-KLOC key. */
  readonly kvn: number;
  /** KVN of the CA-KLOC key this one replaces; absent: added beside the existing ones (P1 00). */
  readonly replaceKvn?: number;
  readonly curve: Curve;
  /** Uncompressed point of the CA's public key. */
  readonly publicKey: Uint8Array;
}

/** A CA-KLOC key as GET DATA 00E0 lists it: C0{10 KVN B0 len F0 curve}. */
export interface CaKlocKeyInfo {
  readonly kvn: number;
  readonly curveId: number | undefined;
}

const REFUSALS: ReadonlyMap<number, KeyManagementRefusal> = new Map([
  [SW_SECURITY_STATUS_NOT_SATISFIED, 'security'],
  [SW_WRONG_DATA, 'wrong-data'],
  [SW_REFERENCED_DATA_NOT_FOUND, 'not-found'],
  [SW_CONDITIONS_NOT_SATISFIED, 'conditions'],
  [SW_MEMORY_FAILURE, 'memory'],
]);

function refusal(sw: number, what: string): KeyManagementError {
  const reason = REFUSALS.get(sw) ?? 'other';
  return new KeyManagementError(
    reason,
    sw,
    `${what} refused (${reason}, ${sw.toString(16).padStart(4, '0')})`,
  );
}

// GPC 2.3 11.8: 80 D8 <replaced KVN or 00> 10 <KVN B0 F0 00>; the response starts with the new KVN
export async function putCaKlocKey(channel: Scp11Channel, key: CaKlocKeyInput): Promise<void> {
  const data = encodePutKeyEcPublic({ kvn: key.kvn, curveId: key.curve.gpId, publicKey: key.publicKey });
  const p1 = key.replaceKvn ?? P1_PUT_KEY_ADD;
  const what = `PUT KEY CA-KLOC ${key.kvn.toString(16)}`;
  const response = await channel.transmit(command(CLA_GP, INS_PUT_KEY, p1, KID_CA_KLOC, data, 0x100));
  if (response.sw !== SW_OK) throw refusal(response.sw, what);
  if (response.data[0] !== key.kvn)
    throw new KeyManagementError('other', response.sw, `${what}: the card confirmed another KVN`);
}

// GPC 2.3 11.2: 80 E4 00 00 D0 <KID> D2 <KVN>
export async function deleteKey(channel: Scp11Channel, ref: KeyReference): Promise<void> {
  const response = await channel.transmit(
    command(CLA_GP, INS_DELETE, 0x00, P2_DELETE_OBJECT, encodeDeleteKey(ref)),
  );
  if (response.sw !== SW_OK)
    throw refusal(response.sw, `DELETE key ${ref.kid.toString(16)}/${ref.kvn.toString(16)}`);
}

// GPC 2.3 11.3.3.1: the CA-KLOC entries (KID 10) of the key information template, to recover a lost answer
export async function readCaKlocKeys(channel: CardChannel): Promise<CaKlocKeyInfo[]> {
  const response = await channel.transmit(getDataCommand(TAG_KEY_INFO_TEMPLATE));
  if (response.sw !== SW_OK) throw refusal(response.sw, 'GET DATA 00E0');
  return decodeKeyInformation(response.data)
    .entries.filter((e) => e.kid === KID_CA_KLOC)
    .map((e) => ({ kvn: e.kvn, curveId: curveIdOf(e) }));
}

// Issue 13 / gp/constants.ts BF74: 80 E2 90 00 BF74{81 <mode> 93 <serial> ...}; both modes are idempotent, so a
// lost answer is recovered by sending the same update again
export async function updateDenyList(
  channel: Scp11Channel,
  serials: readonly Uint8Array[],
  mode: DenyListMode,
): Promise<void> {
  const data = encodeDenyListUpdate({ mode, serials });
  const response = await channel.transmit(
    command(CLA_GP, INS_STORE_DATA, P1_STORE_DATA_LAST_BERTLV, 0x00, data),
  );
  if (response.sw !== SW_OK) throw refusal(response.sw, `STORE DATA deny list (${mode}, ${serials.length})`);
}
