// DESIGN.md 8: the core's vectors from osmo-hlr over GSUP. SendAuthInfo (with RAND and AUTS for a resync, TS
// 33.102 6.3.5) gives UMTS quintuplets; each becomes a 5G HE AV exactly as a UDM/ARPF makes it (TS 33.501 6.1.3.2,
// aka/he-av.ts). GSUP has no result confirmation (TS 29.503 5.2.2.2.3 has no counterpart) and osmo-hlr no key
// versions, so a success is confirmed here, fail closed: only for a vector this source obtained, answered once,
// within CONFIRM_WINDOW_MS of its issue. That bounds how long a vector computed with keys the server has since
// replaced can still authenticate (docs/osmo-hlr.md); a failure report changes nothing at osmo-hlr.
import { toHex } from '../bytes/index.js';
import { heAkaVectorOf } from '../aka/index.js';
import type { AuthEvent, GenerateAuthDataRequest, HeAkaAuthenticationInfo } from '../hss/client/index.js';
import { GMM_CAUSE, GsupClient, OsmoError, endpointName, type Endpoint } from '../osmo/index.js';
import type { Clock, Logger } from '../ports/index.js';
import { AuthDataRefusal, type AuthDataSource } from './attach-service.js';

/**
 * How long after osmo-hlr issued a vector a success on it is confirmed: a UE answers AUTHENTICATE in well under a
 * second, and TS 24.501 T3560 retransmits after 6 s.
 */
export const CONFIRM_WINDOW_MS = 10_000;
/** Vectors remembered per IMSI (the oldest is forgotten first; an outcome on a forgotten vector is refused). */
const VECTORS_PER_IMSI = 8;
/** Above this many IMSIs with unanswered vectors, the expired ones are swept (attaches the UE abandoned). */
const SWEEP_ABOVE_IMSIS = 10_000;
/** TS 24.008 10.5.5.14 causes that refuse the subscriber (others mean a failing network: the HSS is unavailable). */
const REFUSING_CAUSES: readonly number[] = [
  GMM_CAUSE.ILLEGAL_MS,
  GMM_CAUSE.ILLEGAL_ME,
  GMM_CAUSE.GPRS_NOTALLOWED,
  GMM_CAUSE.PLMN_NOTALLOWED,
  GMM_CAUSE.ROAMING_NOTALLOWED,
];
/**
 * TS 23.003 2.2B: an IMSI-type SUPI is "imsi-" and the IMSI's digits; 6 to 15 as osmo-hlr (and the GSUP
 * encoder) take them, so a shorter one is a refusal here rather than an encoder error that drops the connection.
 */
const SUPI_IMSI = /^imsi-([0-9]{6,15})$/;
/**
 * IPA CCM unit name the core presents: osmo-hlr routes answers by it (one connection per name) and derives the
 * vectors' IND from it, so each core instance on one osmo-hlr needs its own.
 */
const DEFAULT_UNIT_NAME = 'ltku-core';
const DEFAULT_TIMEOUT_MS = 5_000;

export interface GsupAuthSourceOptions {
  /** osmo-hlr's GSUP endpoint (default port 4222). */
  readonly gsup: Endpoint;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly unitName?: string;
  readonly timeoutMs?: number;
  /** Default CONFIRM_WINDOW_MS. */
  readonly confirmWindowMs?: number;
}

function imsiOf(supi: string): string {
  const m = SUPI_IMSI.exec(supi);
  if (m === null)
    throw new AuthDataRefusal('unknown-subscriber', `SUPI ${JSON.stringify(supi)} is not an IMSI`);
  return m[1] as string;
}

export class GsupAuthSource implements AuthDataSource {
  readonly #o: GsupAuthSourceOptions;
  readonly #windowMs: number;
  #client: Promise<GsupClient> | undefined;
  /** One request at a time on the one connection. */
  #queue: Promise<unknown> = Promise.resolve();
  /** Per IMSI, the vectors issued and not yet answered: RAND (hex) -> issue time (ms). */
  readonly #issued = new Map<string, Map<string, number>>();
  /** The sweep of expired vectors runs at most once per confirmation window (its cost grows with the IMSIs). */
  #nextSweepAt = 0;

  constructor(o: GsupAuthSourceOptions) {
    this.#o = o;
    this.#windowMs = o.confirmWindowMs ?? CONFIRM_WINDOW_MS;
  }

  #connect(): Promise<GsupClient> {
    const client =
      this.#client ??
      GsupClient.connect(this.#o.gsup, {
        unitName: this.#o.unitName ?? DEFAULT_UNIT_NAME,
        timeoutMs: this.#o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      }).catch((e: Error) => {
        this.#client = undefined;
        throw e;
      });
    this.#client = client;
    return client;
  }

  /** Drops the connection after a transport failure: the next request reconnects. */
  async #drop(): Promise<void> {
    const c = this.#client;
    this.#client = undefined;
    await c?.then((client) => client.close()).catch(() => undefined);
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  // TS 29.503 5.2.2.2.2 answered from GSUP SendAuthInfo (TS 33.501 6.1.3.2 step 2; resync 6.1.3.3.2)
  async generateAuthData(supi: string, req: GenerateAuthDataRequest): Promise<HeAkaAuthenticationInfo> {
    const imsi = imsiOf(supi);
    const resync = req.resynchronizationInfo;
    const tuples = await this.#serial(async () => {
      try {
        const client = await this.#connect();
        return await client.sendAuthInfo(imsi, {
          numVectors: 1,
          ...(resync === undefined ? {} : { resync }),
        });
      } catch (e) {
        throw await this.#failure(e, imsi, resync !== undefined);
      }
    });
    const t = tuples[0];
    if (t === undefined)
      throw new Error(`osmo-hlr at ${endpointName(this.#o.gsup)} sent no vector for IMSI ${imsi}`);
    const av = heAkaVectorOf(t, req.servingNetworkName);
    t.ck.fill(0);
    t.ik.fill(0);
    this.#remember(imsi, av.rand);
    return { authType: '5G_AKA', supi, authenticationVector: { avType: '5G_HE_AKA', ...av } };
  }

  /** GSUP error causes as refusals; transport failures drop the connection; each names the IMSI and cause. */
  async #failure(e: unknown, imsi: string, resync: boolean): Promise<Error> {
    const what = resync ? 'SendAuthInfo with AUTS' : 'SendAuthInfo';
    // The osmo layer's GSUP errors name the IMSI and the cause already.
    if (e instanceof OsmoError && e.kind === 'gsup' && e.cause !== undefined) {
      // osmo-hlr answers a resync whose AUTS does not verify with IMSI unknown too (auc.c fails, db_get_auc
      // returns no vector); the IMSI got a challenge just before, so that is a refused resync.
      if (resync && e.cause === GMM_CAUSE.IMSI_UNKNOWN)
        return new AuthDataRefusal(
          'rejected',
          `osmo-hlr refused the resynchronisation of IMSI ${imsi} (AUTS did not verify, or the IMSI is gone): ${e.message}`,
        );
      if (e.cause === GMM_CAUSE.IMSI_UNKNOWN)
        return new AuthDataRefusal('unknown-subscriber', `osmo-hlr (${what}): ${e.message}`);
      if (REFUSING_CAUSES.includes(e.cause))
        return new AuthDataRefusal('rejected', `osmo-hlr (${what}): ${e.message}`);
      return new Error(`osmo-hlr (${what}): ${e.message}`);
    }
    await this.#drop();
    return new Error(
      `osmo-hlr GSUP at ${endpointName(this.#o.gsup)}: ${what} for IMSI ${imsi}: ${(e as Error).message}`,
    );
  }

  #remember(imsi: string, rand: Uint8Array): void {
    const now = this.#o.clock.now().getTime();
    if (this.#issued.size > SWEEP_ABOVE_IMSIS && now >= this.#nextSweepAt) {
      this.#nextSweepAt = now + this.#windowMs;
      for (const [i, m] of this.#issued) {
        for (const [r, at] of m) if (now - at > this.#windowMs) m.delete(r);
        if (m.size === 0) this.#issued.delete(i);
      }
    }
    const issued = this.#issued.get(imsi) ?? new Map<string, number>();
    issued.set(toHex(rand), now);
    while (issued.size > VECTORS_PER_IMSI) issued.delete(issued.keys().next().value as string);
    this.#issued.set(imsi, issued);
  }

  /**
   * The core's result confirmation without a counterpart at osmo-hlr: a success stands only for a vector issued
   * here within the window, once (fail closed: the attach is rejected otherwise); failures change nothing.
   */
  async reportAuthEvent(supi: string, ev: AuthEvent): Promise<void> {
    const imsi = imsiOf(supi);
    const issued = this.#issued.get(imsi);
    const key = toHex(ev.rand);
    const at = issued?.get(key);
    issued?.delete(key);
    if (issued?.size === 0) this.#issued.delete(imsi);
    if (!ev.success) {
      this.#o.logger.info(
        { imsi, failure: ev.failure ?? 'RES* mismatch' },
        'authentication failure (osmo-hlr keeps no candidate: nothing to report)',
      );
      return;
    }
    if (at === undefined)
      throw new Error(`IMSI ${imsi}: a success on a vector osmo-hlr did not issue here (or answered before)`);
    const age = this.#o.clock.now().getTime() - at;
    if (age > this.#windowMs) {
      throw new Error(
        `IMSI ${imsi}: the vector is ${age} ms old, beyond the ${this.#windowMs} ms osmo-hlr successes are confirmed in`,
      );
    }
  }

  /** GSUP connects (the core's /readyz). */
  async ready(): Promise<void> {
    await this.#connect();
  }

  async close(): Promise<void> {
    await this.#drop();
  }
}
