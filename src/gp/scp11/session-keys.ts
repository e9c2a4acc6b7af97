// GPC Amd F 3.1.2 (v1.3) / 6.5.2.3: session key derivation and the receipt.
// Z = ShSe || ShSs; X9.63 KDF with SHA-256 for every curve and key length; 5 x keylen bytes in order:
// receipt key, S-ENC, S-MAC, S-RMAC, S-DEK. Receipt = AES-CMAC(receipt key, A6 || 5F49 OCE || 5F49 card).
import { concatBytes, wipe } from '../../bytes/index.js';
import { aesCmac, x963Kdf } from '../../crypto/index.js';
import { sharedInfoOf, type AesKeyLength } from './params.js';

export interface Scp11SessionKeys {
  readonly receiptKey: Uint8Array;
  readonly sEnc: Uint8Array;
  readonly sMac: Uint8Array;
  readonly sRmac: Uint8Array;
  readonly sDek: Uint8Array;
}

export function deriveSessionKeys(
  shSe: Uint8Array,
  shSs: Uint8Array,
  aesKeyLength: AesKeyLength,
): Scp11SessionKeys {
  const z = concatBytes(shSe, shSs);
  const out = x963Kdf('sha256', z, sharedInfoOf(aesKeyLength), 5 * aesKeyLength);
  wipe(z);
  const key = (i: number): Uint8Array => out.slice(i * aesKeyLength, (i + 1) * aesKeyLength);
  const keys = { receiptKey: key(0), sEnc: key(1), sMac: key(2), sRmac: key(3), sDek: key(4) };
  wipe(out);
  return keys;
}

/** The 16-byte receipt over the control reference template and both public key TLVs, as they travelled. */
export function computeReceipt(
  receiptKey: Uint8Array,
  controlReferenceTlv: Uint8Array,
  epkOceTlv: Uint8Array,
  epkSdTlv: Uint8Array,
): Uint8Array {
  return aesCmac(receiptKey, concatBytes(controlReferenceTlv, epkOceTlv, epkSdTlv));
}

export function wipeSessionKeys(keys: Scp11SessionKeys): void {
  for (const k of Object.values(keys)) wipe(k);
}
