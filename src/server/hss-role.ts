// DESIGN.md 6, 8: the HSS role as the Provisioning Server sees it, whatever the backend: ltku's own HSS (a
// candidate key set staged before BF70, committed after BF71) or a backend without candidates (osmo-hlr: the
// keys are written only at commit, after the card's verified BF71 or BF73). JobService, the reconciler and the
// server's readiness depend on this interface only.
import type { AkaAlgorithm } from '../aka/params/index.js';

/** DESIGN.md 4.5: personalisation sets key version 1; the first rotation of a versionless backend makes 2. */
export const PERSONALISED_KEY_VERSION = 1;

/** What the server needs to know about a subscriber before it orders a key update (and its candidate). */
export interface HssSubscriber extends CandidateView {
  /** Null when the backend does not say (the inventory's algorithm is used). */
  readonly algorithm: AkaAlgorithm | null;
  /** The active key version; null when the backend keeps none (the job store decides, JobService.create). */
  readonly activeVersion: number | null;
  /** The transaction that made the active keys (committed, or promoted at attach); absent when unknown. */
  readonly activeTransactionId?: Uint8Array;
}

/** A staged candidate as the reconciler sees it (DESIGN.md 6 step 4). */
export interface CandidateView {
  readonly imsi: string;
  readonly candidate?: {
    readonly version: number;
    readonly transactionId: Uint8Array;
    readonly stagedAt: Date;
  };
}

/** One job's key transition: its version, transaction, and its keys, opened only when a backend needs them. */
export interface KeyTransition {
  readonly keyVersion: number;
  /** BF70 80 (DESIGN.md 4.5). */
  readonly transactionId: Uint8Array;
  readonly algorithm: AkaAlgorithm;
  /** Opens the job's sealed keys; the caller wipes both arrays after use. */
  openKeys(): { k: Uint8Array; opc: Uint8Array };
}

export interface HssRole {
  /** For messages and logs: 'ltku HSS', 'osmo-hlr'. */
  readonly name: string;
  /**
   * DESIGN.md 6 steps 1-4 and 8: true when the backend keeps a candidate key set (stage before BF70, self-healing
   * at attach, reconciler). False: stage only checks the subscriber, commit writes the keys, abort does nothing.
   */
  readonly hasCandidates: boolean;
  /** The AKA algorithms whose keys the backend can hold (a job for another is refused at creation); absent: all. */
  readonly algorithms?: readonly AkaAlgorithm[];
  /** Throws HssRoleError('unknown-subscriber') for an IMSI the backend does not know. */
  subscriber(imsi: string): Promise<HssSubscriber>;
  /**
   * Issue 11 (batched job creation): the subscribers of these IMSIs by IMSI, in as few calls as the backend
   * allows; an IMSI the backend does not know is absent. Optional: `subscribersOf` loops over `subscriber`.
   */
  subscribers?(imsis: readonly string[]): Promise<Map<string, HssSubscriber>>;
  /** DESIGN.md 6 step 1 (idempotent per transaction); HssRoleError('conflict') for another transaction's candidate. */
  stage(imsi: string, t: KeyTransition): Promise<void>;
  /** DESIGN.md 6 step 2 (idempotent); resolves only once the backend serves the new keys. */
  commit(imsi: string, t: KeyTransition): Promise<void>;
  /** DESIGN.md 6 step 4, by transaction id (a candidate of another transaction is not touched). */
  abort(imsi: string, transactionId: Uint8Array): Promise<void>;
  /** A page of the subscribers with a staged candidate (always empty without candidates). */
  listCandidates(page: { limit: number; offset: number }): Promise<CandidateView[]>;
  /** Resolves when the backend answers (the server's /readyz). */
  ready(): Promise<void>;
}

/** The subscribers of `imsis` by IMSI (absent: unknown to the backend), batched when the role can. */
export async function subscribersOf(
  role: HssRole,
  imsis: readonly string[],
): Promise<Map<string, HssSubscriber>> {
  if (role.subscribers !== undefined) return role.subscribers(imsis);
  const found = new Map<string, HssSubscriber>();
  for (const imsi of imsis) {
    try {
      found.set(imsi, await role.subscriber(imsi));
    } catch (e) {
      if (!(e instanceof HssRoleError && e.kind === 'unknown-subscriber')) throw e;
    }
  }
  return found;
}

export type HssRoleErrorKind =
  | 'unknown-subscriber' // the backend does not know the IMSI
  | 'conflict' // another transaction's candidate is staged
  | 'unsupported' // the backend cannot hold these keys (e.g. TUAK over osmo-hlr CTRL)
  | 'failed'; // the backend refused or could not be reached; the message names the IMSI and the cause

/** A refusal or failure of the HSS role; the message names the subscriber and the cause, never a key. */
export class HssRoleError extends Error {
  override name = 'HssRoleError';
  constructor(
    readonly kind: HssRoleErrorKind,
    message: string,
  ) {
    super(message);
  }
}
