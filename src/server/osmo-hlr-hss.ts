// DESIGN.md 8: the HSS role on osmo-hlr, over its CTRL interface (OsmoHLR manual, "Control interface"). osmo-hlr
// has no candidate key set and no key version: staging only checks that the subscriber exists (and that its
// keys fit CTRL), the commit writes K and OPc after the card's verified BF71 (or BF73), reads them back and
// compares, and abort has nothing to undo. osmo-hlr resets the subscriber's SQN when aud3g changes, so the
// first attach afterwards resynchronises (AUTS).
import { constantTimeEqual } from '../crypto/index.js';
import { CtrlClient, OsmoError, OsmoHlrSubscribers, endpointName, type Endpoint } from '../osmo/index.js';
import {
  HssRoleError,
  type CandidateView,
  type HssRole,
  type HssSubscriber,
  type KeyTransition,
} from './hss-role.js';

/** osmo-hlr ctrl.c get_subscriber(): the ERROR reply for an IMSI it does not know. */
export const CTRL_NO_SUCH_SUBSCRIBER = 'No such subscriber';
/** OsmoHLR CTRL: the subscriber's identity and flags (no key material). */
const CTRL_VAR_INFO = 'info';
/** osmo-hlr ctrl.c set_subscr_aud3g: OP/OPc is MILENAGE_KEY_LEN (16) bytes, so TUAK's 32-byte TOPc cannot travel. */
const CTRL_ALGORITHMS = ['milenage'] as const;
/** TS 23.003 2.2: an IMSI is at most 15 digits (and never anything else: it goes into a CTRL variable name). */
const IMSI_PATTERN = /^[0-9]{5,15}$/;
const DEFAULT_TIMEOUT_MS = 5_000;

export interface OsmoHlrHssOptions {
  /** osmo-hlr's CTRL endpoint (default port 4259). */
  readonly ctrl: Endpoint;
  readonly timeoutMs?: number;
}

export class OsmoHlrHss implements HssRole {
  readonly name = 'osmo-hlr';
  readonly hasCandidates = false;
  readonly algorithms = CTRL_ALGORITHMS;
  readonly #at: Endpoint;
  readonly #timeoutMs: number;

  constructor(o: OsmoHlrHssOptions) {
    this.#at = o.ctrl;
    this.#timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** One CTRL connection per operation: a dropped connection fails that operation only, the next reconnects. */
  async #with<T>(imsi: string, what: string, fn: (ctrl: CtrlClient) => Promise<T>): Promise<T> {
    if (!IMSI_PATTERN.test(imsi))
      throw new HssRoleError('failed', `osmo-hlr: ${JSON.stringify(imsi)} is not an IMSI`);
    let ctrl: CtrlClient;
    try {
      ctrl = await CtrlClient.connect(this.#at, { timeoutMs: this.#timeoutMs });
    } catch (e) {
      throw new HssRoleError(
        'failed',
        `osmo-hlr CTRL at ${endpointName(this.#at)}: ${what} for IMSI ${imsi}: ${(e as Error).message}`,
      );
    }
    try {
      return await fn(ctrl);
    } catch (e) {
      if (e instanceof HssRoleError) throw e;
      if (e instanceof OsmoError && e.kind === 'ctrl' && e.message.includes(CTRL_NO_SUCH_SUBSCRIBER))
        throw new HssRoleError('unknown-subscriber', `osmo-hlr does not know IMSI ${imsi} (${what})`);
      throw new HssRoleError('failed', `osmo-hlr: ${what} for IMSI ${imsi} failed: ${(e as Error).message}`);
    } finally {
      await ctrl.close().catch(() => undefined);
    }
  }

  /** `GET subscriber.by-imsi-<IMSI>.info`: an ERROR for an unknown IMSI. */
  async #exists(ctrl: CtrlClient, imsi: string): Promise<void> {
    await ctrl.get(`subscriber.by-imsi-${imsi}.${CTRL_VAR_INFO}`);
  }

  // osmo-hlr keeps no key version and says nothing about the algorithm the server needs
  async subscriber(imsi: string): Promise<HssSubscriber> {
    await this.#with(imsi, 'reading the subscriber', (ctrl) => this.#exists(ctrl, imsi));
    return { imsi, algorithm: null, activeVersion: null };
  }

  /** Issue 11 (batched job creation): one CTRL connection for the batch; an unknown IMSI is absent. */
  async subscribers(imsis: readonly string[]): Promise<Map<string, HssSubscriber>> {
    const found = new Map<string, HssSubscriber>();
    if (imsis.length === 0) return found;
    await this.#with(imsis[0], `reading ${imsis.length} subscribers`, async (ctrl) => {
      for (const imsi of imsis) {
        if (!IMSI_PATTERN.test(imsi))
          throw new HssRoleError('failed', `osmo-hlr: ${JSON.stringify(imsi)} is not an IMSI`);
        try {
          await this.#exists(ctrl, imsi);
        } catch (e) {
          if (e instanceof OsmoError && e.kind === 'ctrl' && e.message.includes(CTRL_NO_SUCH_SUBSCRIBER))
            continue;
          throw new HssRoleError(
            'failed',
            `osmo-hlr: reading the subscriber for IMSI ${imsi} failed: ${(e as Error).message}`,
          );
        }
        found.set(imsi, { imsi, algorithm: null, activeVersion: null });
      }
    });
    return found;
  }

  // DESIGN.md 8: no candidate; refuse here (before BF70) what the commit could not write after the card applied it
  async stage(imsi: string, t: KeyTransition): Promise<void> {
    if (!(CTRL_ALGORITHMS as readonly string[]).includes(t.algorithm)) {
      throw new HssRoleError(
        'unsupported',
        `IMSI ${imsi}: osmo-hlr CTRL takes Milenage keys only (a 16-byte OPc); ${t.algorithm} cannot be written`,
      );
    }
    await this.#with(imsi, 'checking the subscriber', (ctrl) => this.#exists(ctrl, imsi));
  }

  // DESIGN.md 8: after BF71/BF73, SET ...aud3g milenage,<K>,OPC,<OPc>, read back (GET ...info-aud) and compare
  async commit(imsi: string, t: KeyTransition): Promise<void> {
    await this.#with(imsi, 'writing the new keys (aud3g)', async (ctrl) => {
      const subscribers = new OsmoHlrSubscribers(ctrl);
      const { k, opc } = t.openKeys();
      let back: { algorithm: string; k: Uint8Array; opc?: Uint8Array } | undefined;
      try {
        await subscribers.setAud3g(imsi, { algorithm: 'milenage', k, opc });
        back = await subscribers.readAud3g(imsi);
        const same =
          back !== undefined &&
          back.algorithm === 'milenage' &&
          back.opc !== undefined &&
          constantTimeEqual(back.k, k) &&
          constantTimeEqual(back.opc, opc);
        if (!same) {
          throw new HssRoleError(
            'failed',
            `IMSI ${imsi}: osmo-hlr answered OK to the aud3g write but reads back other keys`,
          );
        }
      } finally {
        k.fill(0);
        opc.fill(0);
        back?.k.fill(0);
        back?.opc?.fill(0);
      }
    });
  }

  /** Nothing to undo: osmo-hlr got no keys before the commit. */
  async abort(_imsi: string, _transactionId: Uint8Array): Promise<void> {}

  async listCandidates(): Promise<CandidateView[]> {
    return [];
  }

  /** CTRL accepts a connection (the server's /readyz). */
  async ready(): Promise<void> {
    const ctrl = await CtrlClient.connect(this.#at, { timeoutMs: this.#timeoutMs });
    await ctrl.close();
  }
}
