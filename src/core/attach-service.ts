// The network side of attach (TS 33.501 6.1.3.2 5G AKA, with the AMF/SEAF and AUSF roles in one place): a 5G HE
// AV from the HSS (Nudm_UEAU), a challenge to the UE, RES* checked against HXRES* (SEAF) and XRES* (AUSF),
// resynchronisation from AUTS (6.1.3.3.2), a MAC failure reported to the HSS so it can answer from its other key
// set (DESIGN.md 6, self-healing), the result confirmed to the HSS, and the attach state per UE.
import { fromHex, toHex } from '../bytes/index.js';
import { constantTimeEqual, sha256, type RandomSource } from '../crypto/index.js';
import { hxresStar, kseaf } from '../aka/index.js';
import {
  HssClientError,
  type AuthEvent,
  type GenerateAuthDataRequest,
  type HeAkaAuthenticationInfo,
} from '../hss/client/index.js';
import type { Clock, Logger } from '../ports/index.js';
import { forbidden, hssUnavailable, notFound } from './errors.js';

export const DEFAULT_SERVING_NETWORK_NAME = '5G:mnc001.mcc001.3gppnetwork.org';
/** How long a challenge waits for the UE's answer (TS 24.501 T3560 is 6 s per try; generous here). */
export const DEFAULT_CHALLENGE_TTL_MS = 60_000;
/** One new challenge after a MAC failure (the HSS then answers from its other key set) and one resync. */
export const MAX_MAC_FAILURE_RETRIES = 1;
export const MAX_RESYNCS = 1;
const ATTACH_ID_BYTES = 16;
/** DESIGN.md 7: the token an attach returns and its detach (and event stream) must show. */
export const ATTACH_TOKEN_BYTES = 16;
const ATTACH_TOKEN_PATTERN = /^[0-9a-f]{32}$/;
const KSEAF_DIGEST_LENGTH = 8;

/**
 * What an HSS that is not ltku's (osmo-hlr over GSUP) answers for a request it refuses: the subscriber is
 * unknown, or the HSS rejects the authentication (e.g. a GSUP error cause); the message names the IMSI and cause.
 */
export class AuthDataRefusal extends Error {
  override name = 'AuthDataRefusal';
  constructor(
    readonly reason: 'unknown-subscriber' | 'rejected',
    message: string,
  ) {
    super(message);
  }
}

/**
 * The part of the HSS client the core uses (ltku's HssClient, or GsupAuthSource for osmo-hlr). Refusals are
 * HssClientError 404/403/400 or AuthDataRefusal; anything else means the HSS is unavailable.
 */
export interface AuthDataSource {
  generateAuthData(supi: string, req: GenerateAuthDataRequest): Promise<HeAkaAuthenticationInfo>;
  /**
   * TS 29.503 5.2.2.2.3: resolves when the HSS accepts the event; for a success, only when the vector's keys are
   * still the subscriber's (the core fails closed otherwise).
   */
  reportAuthEvent(supi: string, ev: AuthEvent): Promise<void>;
  /** Resolves when the HSS answers and is ready (the core's /readyz); absent: not checked. */
  ready?(): Promise<void>;
}

export interface AttachServiceDeps {
  readonly hss: AuthDataSource;
  readonly clock: Clock;
  readonly rng: RandomSource;
  readonly logger: Logger;
  readonly servingNetworkName?: string;
  readonly challengeTtlMs?: number;
}

export type UeResponse =
  | { readonly res: Uint8Array }
  | { readonly failure: 'MAC_FAILURE' }
  | { readonly failure: 'SYNCH_FAILURE'; readonly auts: Uint8Array };

export type Challenge = { state: 'challenge'; attachId: string; rand: Uint8Array; autn: Uint8Array };
export type AttachOutcome =
  | Challenge
  | { state: 'attached'; kseafDigest: Uint8Array; attachToken: string }
  | { state: 'rejected'; reason: string };

export interface UeContext {
  imsi: string;
  state: 'attached' | 'detached';
  attachedAt?: Date;
}

interface Attempt {
  readonly imsi: string;
  readonly snn: string;
  readonly rand: Uint8Array;
  readonly autn: Uint8Array;
  readonly hxresStar: Uint8Array;
  readonly xresStar: Uint8Array;
  readonly kausf: Uint8Array;
  readonly macFailures: number;
  readonly resyncs: number;
  readonly expiresAt: number;
}

const supiOf = (imsi: string) => `imsi-${imsi}`;

/** The digest sent with "attached" so the UE can confirm KSEAF: first 8 bytes of SHA-256(KSEAF). */
export function kseafDigest(kseafKey: Uint8Array): Uint8Array {
  return sha256(kseafKey).slice(0, KSEAF_DIGEST_LENGTH);
}

export class AttachService {
  readonly #deps: AttachServiceDeps;
  readonly #snn: string;
  readonly #ttlMs: number;
  readonly #attempts = new Map<string, Attempt>();
  readonly #ues = new Map<string, UeContext>();
  /** Per attached IMSI, the token of its current attach (kept apart so no view carries it). */
  readonly #attachTokens = new Map<string, Uint8Array>();

  constructor(deps: AttachServiceDeps) {
    this.#deps = deps;
    this.#snn = deps.servingNetworkName ?? DEFAULT_SERVING_NETWORK_NAME;
    this.#ttlMs = deps.challengeTtlMs ?? DEFAULT_CHALLENGE_TTL_MS;
  }

  ue(imsi: string): UeContext {
    const ue = this.#ues.get(imsi);
    return ue === undefined ? { imsi, state: 'detached' } : { ...ue };
  }

  isAttached(imsi: string): boolean {
    return this.#ues.get(imsi)?.state === 'attached';
  }

  // TS 33.501 6.1.3.2 steps 1-4: Nudm_UEAU_Get, then the challenge (RAND, AUTN) to the UE
  async attach(imsi: string, servingNetworkName?: string): Promise<AttachOutcome> {
    return this.#challenge({ imsi, snn: servingNetworkName ?? this.#snn, macFailures: 0, resyncs: 0 });
  }

  async respond(attachId: string, response: UeResponse): Promise<AttachOutcome> {
    this.#sweep();
    const attempt = this.#attempts.get(attachId);
    if (attempt === undefined) throw notFound(`no pending challenge ${attachId}`);
    // Taken before any await: a second answer to the same challenge finds nothing.
    this.#attempts.delete(attachId);
    if ('res' in response) return this.#checkResStar(attempt, response.res);
    if (response.failure === 'SYNCH_FAILURE') {
      // TS 33.501 6.1.3.3.2: the HSS checks AUTS, resets SQN and answers with a fresh vector
      if (attempt.resyncs >= MAX_RESYNCS)
        return this.#reject(attempt.imsi, 'synchronisation failure after resync');
      this.#deps.logger.info(
        { imsi: attempt.imsi },
        'synchronisation failure: resynchronising through the HSS',
      );
      return this.#challenge(
        {
          imsi: attempt.imsi,
          snn: attempt.snn,
          macFailures: attempt.macFailures,
          resyncs: attempt.resyncs + 1,
        },
        { rand: attempt.rand, auts: response.auts },
      );
    }
    // TS 33.501 6.1.3.3.1 MAC failure; DESIGN.md 6: the HSS arms its fallback, the next vector may use the other keys
    await this.#report(attempt, { success: false, failure: 'MAC_FAILURE' });
    if (attempt.macFailures >= MAX_MAC_FAILURE_RETRIES) return this.#reject(attempt.imsi, 'MAC failure');
    this.#deps.logger.info({ imsi: attempt.imsi }, 'MAC failure: one more challenge');
    return this.#challenge({
      imsi: attempt.imsi,
      snn: attempt.snn,
      macFailures: attempt.macFailures + 1,
      resyncs: attempt.resyncs,
    });
  }

  /** DESIGN.md 7: whether `attachToken` is the one the UE's current attach returned (constant-time). */
  holdsAttach(imsi: string, attachToken: string): boolean {
    const current = this.#attachTokens.get(imsi);
    if (current === undefined || !this.isAttached(imsi) || !ATTACH_TOKEN_PATTERN.test(attachToken))
      return false;
    return constantTimeEqual(fromHex(attachToken), current);
  }

  // TS 24.501 5.5.2.2 UE-originating deregistration, authorised by the attach it ends (DESIGN.md 7)
  detach(imsi: string, attachToken: string): UeContext {
    if (!this.holdsAttach(imsi, attachToken))
      throw forbidden('the attach token does not match the current attach of this UE');
    this.#attachTokens.delete(imsi);
    this.#ues.set(imsi, { imsi, state: 'detached' });
    for (const [id, a] of this.#attempts) if (a.imsi === imsi) this.#attempts.delete(id);
    return { imsi, state: 'detached' };
  }

  // TS 33.501 6.1.3.2 steps 5-11: HRES* vs HXRES* (SEAF), RES* vs XRES* (AUSF), result to the UDM, KSEAF
  async #checkResStar(attempt: Attempt, res: Uint8Array): Promise<AttachOutcome> {
    const seafOk = constantTimeEqual(hxresStar(attempt.rand, res), attempt.hxresStar);
    const ausfOk = constantTimeEqual(res, attempt.xresStar);
    if (!seafOk || !ausfOk) {
      await this.#report(attempt, { success: false });
      return this.#reject(attempt.imsi, 'RES* does not match');
    }
    // DESIGN.md 6 (a): a challenge issued before a commit must not authenticate with the keys the commit destroyed,
    // so the attach stands only once the HSS confirms the vector's keys are still the subscriber's (fail closed).
    if (!(await this.#report(attempt, { success: true })))
      return this.#reject(attempt.imsi, 'the HSS did not confirm the authentication');
    const kseafKey = kseaf(attempt.kausf, attempt.snn);
    const digest = kseafDigest(kseafKey);
    kseafKey.fill(0);
    attempt.kausf.fill(0);
    const attachToken = this.#deps.rng.randomBytes(ATTACH_TOKEN_BYTES);
    this.#attachTokens.set(attempt.imsi, attachToken);
    this.#ues.set(attempt.imsi, {
      imsi: attempt.imsi,
      state: 'attached',
      attachedAt: this.#deps.clock.now(),
    });
    this.#deps.logger.info({ imsi: attempt.imsi }, 'UE attached');
    return { state: 'attached', kseafDigest: digest, attachToken: toHex(attachToken) };
  }

  #reject(imsi: string, reason: string): AttachOutcome {
    this.#deps.logger.info({ imsi, reason }, 'attach rejected');
    return { state: 'rejected', reason };
  }

  async #challenge(
    session: { imsi: string; snn: string; macFailures: number; resyncs: number },
    resynchronizationInfo?: { rand: Uint8Array; auts: Uint8Array },
  ): Promise<AttachOutcome> {
    let info: HeAkaAuthenticationInfo;
    try {
      info = await this.#deps.hss.generateAuthData(supiOf(session.imsi), {
        servingNetworkName: session.snn,
        ...(resynchronizationInfo === undefined ? {} : { resynchronizationInfo }),
      });
    } catch (e) {
      if (e instanceof HssClientError && (e.status === 404 || e.status === 403)) {
        return this.#reject(
          session.imsi,
          e.status === 404 ? 'unknown subscriber' : 'authentication rejected by the HSS',
        );
      }
      if (e instanceof HssClientError && e.status === 400) {
        return this.#reject(session.imsi, `HSS refused the request (${e.cause})`);
      }
      if (e instanceof AuthDataRefusal) {
        this.#deps.logger.info({ imsi: session.imsi, err: e.message }, 'HSS refused the authentication');
        return this.#reject(
          session.imsi,
          e.reason === 'unknown-subscriber' ? 'unknown subscriber' : 'authentication rejected by the HSS',
        );
      }
      this.#deps.logger.error({ imsi: session.imsi, err: (e as Error).message }, 'HSS request failed');
      throw hssUnavailable(`HSS: ${(e as Error).message}`);
    }
    const av = info.authenticationVector;
    this.#sweep();
    const attachId = toHex(this.#deps.rng.randomBytes(ATTACH_ID_BYTES));
    this.#attempts.set(attachId, {
      ...session,
      rand: av.rand,
      autn: av.autn,
      xresStar: av.xresStar,
      hxresStar: hxresStar(av.rand, av.xresStar),
      kausf: av.kausf,
      expiresAt: this.#deps.clock.now().getTime() + this.#ttlMs,
    });
    return { state: 'challenge', attachId, rand: av.rand, autn: av.autn };
  }

  // TS 29.503 5.2.2.2.3 (Nudm_UEAU_ResultConfirmation): true when the HSS accepted the report. A lost failure
  // report changes nothing for the UE; a success the HSS did not confirm rejects the attach (#checkResStar).
  async #report(attempt: Attempt, ev: { success: boolean; failure?: 'MAC_FAILURE' }): Promise<boolean> {
    try {
      await this.#deps.hss.reportAuthEvent(supiOf(attempt.imsi), {
        ...ev,
        rand: attempt.rand,
        authType: '5G_AKA',
        servingNetworkName: attempt.snn,
      });
      return true;
    } catch (e) {
      this.#deps.logger.warn(
        { imsi: attempt.imsi, err: (e as Error).message },
        'auth event not reported to (or refused by) the HSS',
      );
      return false;
    }
  }

  #sweep(): void {
    const now = this.#deps.clock.now().getTime();
    for (const [id, a] of this.#attempts) {
      if (a.expiresAt <= now) {
        a.kausf.fill(0);
        this.#attempts.delete(id);
      }
    }
  }
}
