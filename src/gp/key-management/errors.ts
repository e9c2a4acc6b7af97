// Errors of PUT KEY / DELETE / the deny list STORE DATA: a malformed command field (card side maps it to 6A80), and the host's view of a
// refusal, one class carrying the card's status word and what it means.

/** A PUT KEY or DELETE data field that does not follow GPC 2.3 11.8.2.3 / 11.2.2.3. */
export class KeyManagementFormatError extends Error {
  override name = 'KeyManagementFormatError';
}

export type KeyManagementRefusal =
  /** 6982: not inside an authenticated SCP11a/c session with C-MAC and C-DECRYPTION. */
  | 'security'
  /** 6A80: malformed data (or deny list template), unknown curve, point not on the curve, or a KVN already used by another key. */
  | 'wrong-data'
  /** 6A88: the key to replace or delete is not on the card. */
  | 'not-found'
  /** 6985: deleting the card's last CA-KLOC key (or a key this card does not let DELETE remove). */
  | 'conditions'
  /** 6581: the card could not store the change; nothing changed. */
  | 'memory'
  | 'other';

/** The card refused a PUT KEY, DELETE or deny list update. Carries no key material. */
export class KeyManagementError extends Error {
  override name = 'KeyManagementError';
  constructor(
    readonly reason: KeyManagementRefusal,
    readonly sw: number,
    message: string,
  ) {
    super(message);
  }
}
