// DESIGN.md 1 steps 1-5, 4.4, 4.5, 4.7: one key-update session with one card, as scripts of C-APDUs. The UE's
// first POST gets script 1, each later POST brings the R-APDUs of the previous script:
//   scripts 1, 2  read the card, authenticate it, open SCP11a  (card-authentication.ts)
//   script 3  STORE DATA BF70 (or BF72 when resuming)        inside SCP11 secure messaging
//   script 4  STORE DATA BF70 with the same transaction id   (only when BF73 says the card lacks the keys)
// so a key update takes 3 POSTs after the first, a recovery that must resend 4.
import { concatBytes, encodeSwappedBcd, equalBytes, toHex, wipe } from '../bytes/index.js';
import { keyCheckValue } from '../crypto/index.js';
import {
  ALGORITHM_MILENAGE,
  ALGORITHM_TUAK,
  INS_STORE_DATA,
  OUTCOME_APPLIED,
  P1_STORE_DATA_LAST_BERTLV_RESPONSE,
  SecureChannelError,
  DataObjectError,
  KeyUpdateFormatError,
  decodeKeyStatus,
  decodeKeyUpdateResult,
  encodeKeyStatusRequest,
  encodeKeyUpdateRequest,
  type AlgorithmParameters,
  type KeyStatus,
  type KeyUpdateResult,
} from '../gp/index.js';
import {
  CLA_GP,
  SHORT_MAX_NE,
  SW_OK,
  StatusWordError,
  type CommandApdu,
  type ResponseApdu,
  type ResponseScript,
} from '../iso7816/index.js';
import { CertificateError } from '../pki/index.js';
import { SessionError } from './errors.js';
import {
  CardAuthentication,
  prepareSessionConfig,
  readScript,
  type Authenticated,
  type CardAuthenticated,
  type Handshake,
  type PreparedSessionConfig,
  type SessionConfig,
} from './card-authentication.js';
import type { Suite } from './suite.js';

export {
  prepareSessionConfig,
  type CardAuthenticated,
  type OceCredential,
  type PreparedOceCredential,
  type PreparedSessionConfig,
  type SessionConfig,
} from './card-authentication.js';

const ICCID_BYTES = 10;

/** The keys of a key update in the clear. */
export interface PlainKeys {
  readonly k: Uint8Array;
  /** OPc (Milenage) or TOPc (TUAK). */
  readonly opc: Uint8Array;
}

/** What one session must bring to the card. */
export interface KeyUpdateOrder {
  readonly iccid: string;
  readonly algorithm: 'milenage' | 'tuak';
  readonly keyVersion: number;
  readonly transactionId: Uint8Array;
  /**
   * K and OPc (TOPc), unsealed for the moment they are used (BF70 built, check values computed); whoever calls
   * it wipes what it got right after.
   */
  readonly openKeys: () => PlainKeys;
  readonly parameters?: AlgorithmParameters;
  /** BF70 may already have reached the card in an earlier session: ask BF72 first. */
  readonly recover: boolean;
}

/** What to send next: BF70, or BF72 first (another session may have sent BF70 for this job already). */
export type RequestDecision = 'update' | 'status';

export interface SessionHooks {
  /**
   * DESIGN.md 7: the card has authenticated (CERT.SD.ECKA chain verified, EID matched, SCP11 receipt
   * verified). Nothing the session saw before this may decide its job.
   */
  authenticated?(info: CardAuthenticated): Promise<void>;
  /**
   * Called before BF70 travels (stage the HSS candidate and claim the request phase here); `afterStatus` when
   * BF73 just said the card lacks the keys. Nothing (or 'update') sends BF70; 'status' asks BF72 first. A
   * SessionError('job') ends the session without a finding about the job.
   */
  beforeRequest(info: CardAuthenticated & { afterStatus: boolean }): Promise<RequestDecision | void>;
}

/**
 * `authenticated` says whether the card had authenticated when the session failed: before that, what the
 * session received came from anyone who knows the EID (DESIGN.md 7).
 */
export type SessionOutcome =
  | { kind: 'applied'; keyVersion: number; viaStatus: boolean }
  | { kind: 'refused'; outcome: number; result: KeyUpdateResult }
  | { kind: 'failed'; error: SessionError; requestSent: boolean; authenticated: boolean };

export type SessionStep =
  { kind: 'script'; commands: CommandApdu[] } | { kind: 'done'; outcome: SessionOutcome };

/** Where a session is; each phase holds exactly what its next step needs. */
type Phase =
  | { readonly kind: 'start' }
  /** Script 1 is out. */
  | { readonly kind: 'read' }
  /** Script 2 is out: eSK.OCE.ECKA waits in `handshake` for the card's answer. */
  | ({ readonly kind: 'authenticate' } & Handshake)
  /** The hooks run; nothing is out. */
  | { readonly kind: 'authenticated'; readonly auth: Authenticated }
  /** Script 3 (or 4) is out: STORE DATA BF70 or BF72, answered through `pending`. */
  | {
      readonly kind: 'request';
      readonly auth: Authenticated;
      readonly asked: RequestDecision;
      readonly pending: Promise<ResponseApdu>;
      /** KCV(K) || KCV(OPc), what BF71 or BF73 must report. */
      readonly checkValues: Uint8Array;
    }
  | { readonly kind: 'done'; readonly suite: Suite | undefined };

function checkValuesOf(keys: PlainKeys): Uint8Array {
  return concatBytes(keyCheckValue(keys.k), keyCheckValue(keys.opc));
}

/** Turns the codec and channel errors of a step into SessionErrors (anything else is a bug and propagates). */
export function asSessionError(e: unknown): SessionError | undefined {
  if (e instanceof SessionError) return e;
  if (e instanceof DataObjectError) return new SessionError('card-answer', e.message);
  if (e instanceof KeyUpdateFormatError) return new SessionError('result', e.message);
  if (e instanceof CertificateError) return new SessionError('certificate', `CERT.SD.ECKA: ${e.message}`);
  if (e instanceof SecureChannelError) return new SessionError('secure-channel', e.message);
  if (e instanceof StatusWordError) return new SessionError('card-answer', e.message);
  return undefined;
}

export class KeyUpdateSession {
  readonly #auth: CardAuthentication;
  readonly #order: KeyUpdateOrder;
  readonly #hooks: SessionHooks;
  /** The EID the UE claimed in X-Admin-From. */
  readonly eid: string;
  #phase: Phase = { kind: 'start' };
  #requestSent = false;
  #authenticated = false;
  /** Scripts sent so far. */
  scripts = 0;

  /** `config`: prepared once for many sessions (prepareSessionConfig), or prepared here. */
  constructor(
    eid: string,
    order: KeyUpdateOrder,
    config: SessionConfig | PreparedSessionConfig,
    hooks: SessionHooks,
  ) {
    this.eid = eid;
    this.#order = order;
    this.#auth = new CardAuthentication(eid, prepareSessionConfig(config));
    this.#hooks = hooks;
  }

  get iccid(): string {
    return this.#order.iccid;
  }

  /** The negotiated suite (undefined before step 2). */
  get suite(): Suite | undefined {
    const p = this.#phase;
    switch (p.kind) {
      case 'authenticate':
      case 'done':
        return p.suite;
      case 'authenticated':
      case 'request':
        return p.auth.suite;
      default:
        return undefined;
    }
  }

  get finished(): boolean {
    return this.#phase.kind === 'done';
  }

  /** The card has authenticated in this session (DESIGN.md 7). */
  get authenticated(): boolean {
    return this.#authenticated;
  }

  /** Script 1. */
  start(): CommandApdu[] {
    if (this.#phase.kind !== 'start') throw new Error('session already started');
    this.#phase = { kind: 'read' };
    this.scripts = 1;
    return readScript();
  }

  /** Consumes the R-APDUs of the last script; returns the next script or the outcome. */
  async next(responses: ResponseScript): Promise<SessionStep> {
    try {
      const step = await this.#step(responses);
      if (step.kind === 'script') this.scripts++;
      else this.#end();
      return step;
    } catch (e) {
      const error = asSessionError(e);
      if (error === undefined) {
        this.#end();
        throw e;
      }
      this.#end();
      return {
        kind: 'done',
        outcome: {
          kind: 'failed',
          error,
          requestSent: this.#requestSent,
          authenticated: this.#authenticated,
        },
      };
    }
  }

  /** The UE went away: the session cannot continue. */
  abandon(): SessionOutcome {
    this.#end();
    return {
      kind: 'failed',
      error: new SessionError('abandoned', 'the UE abandoned the session'),
      requestSent: this.#requestSent,
      authenticated: this.#authenticated,
    };
  }

  /** Ends the phase: eSK.OCE.ECKA wiped, secure channel closed, an outstanding STORE DATA failed. */
  #end(): void {
    const p = this.#phase;
    if (p.kind === 'authenticate') this.#auth.abandon(p);
    if (p.kind === 'authenticated' || p.kind === 'request') {
      p.auth.scp.close();
      p.auth.script.deliver([]);
    }
    this.#phase = { kind: 'done', suite: this.suite };
  }

  async #step(responses: ResponseScript): Promise<SessionStep> {
    const p = this.#phase;
    switch (p.kind) {
      case 'read':
        return { kind: 'script', commands: this.#afterRead(responses) };
      case 'authenticate':
        return { kind: 'script', commands: await this.#afterAuthenticate(p, responses) };
      case 'request':
        return this.#afterRequest(p, responses);
      default:
        throw new SessionError('card-answer', `no script outstanding (session ${p.kind})`);
    }
  }

  // Step 2 (DESIGN.md 4.4): the card must implement the order's AKA algorithm (BF30 82).
  #afterRead(script: ResponseScript): CommandApdu[] {
    const algorithmId = this.#order.algorithm === 'milenage' ? ALGORITHM_MILENAGE : ALGORITHM_TUAK;
    const { commands, handshake } = this.#auth.afterRead(script, (capabilities) => {
      if (!capabilities.akaAlgorithms.includes(algorithmId)) {
        throw new SessionError(
          'negotiation',
          `the card does not implement ${this.#order.algorithm} (BF30 82)`,
        );
      }
    });
    this.#phase = { kind: 'authenticate', ...handshake };
    return commands;
  }

  // Step 1 (DESIGN.md 4.2, 4.3): the card authenticates (card-authentication.ts); then BF70 or BF72.
  async #afterAuthenticate(
    p: Extract<Phase, { kind: 'authenticate' }>,
    script: ResponseScript,
  ): Promise<CommandApdu[]> {
    const auth = await this.#auth.afterAuthenticate(p, script, () => this.#phase === p);
    const { suite, certificate } = auth;
    // The receipt verified: the card has authenticated (DESIGN.md 7).
    const authenticated: Phase = { kind: 'authenticated', auth };
    this.#phase = authenticated;
    this.#authenticated = true;
    await this.#hooks.authenticated?.({ suite, certificate });
    let decision: RequestDecision = 'status';
    if (!this.#order.recover && this.#phase === authenticated) {
      decision = (await this.#hooks.beforeRequest({ suite, certificate, afterStatus: false })) ?? 'update';
    }
    // Abandoned (superseded) while a hook ran: nothing more goes to the card.
    if (this.#phase !== authenticated) throw new SessionError('job', 'the session ended meanwhile');
    return this.#send(auth, decision);
  }

  // DESIGN.md 4.5: STORE DATA BF70 (K and OPc wrapped with S-DEK) or BF72, one request per command (80 E2 91 00).
  // The plain keys exist only while this builds BF70 (and the check values).
  #send(auth: Authenticated, what: RequestDecision): Promise<CommandApdu[]> {
    const o = this.#order;
    const iccid = encodeSwappedBcd(o.iccid, 'ICCID', ICCID_BYTES);
    const keys = o.openKeys();
    let data: Uint8Array;
    let checkValues: Uint8Array;
    try {
      checkValues = checkValuesOf(keys);
      data =
        what === 'status'
          ? encodeKeyStatusRequest(iccid)
          : encodeKeyUpdateRequest({
              transactionId: o.transactionId,
              iccid,
              algorithm: o.algorithm === 'milenage' ? ALGORITHM_MILENAGE : ALGORITHM_TUAK,
              keyVersion: o.keyVersion,
              wrappedK: auth.scp.wrapKey(keys.k),
              wrappedOpc: auth.scp.wrapKey(keys.opc),
              checkValues,
              negotiationDigest: auth.digest,
              ...(o.parameters === undefined ? {} : { parameters: o.parameters }),
            });
    } finally {
      wipe(keys.k, keys.opc);
    }
    const pending = auth.scp.transmit({
      cla: CLA_GP,
      ins: INS_STORE_DATA,
      p1: P1_STORE_DATA_LAST_BERTLV_RESPONSE,
      p2: 0x00,
      data,
      ne: SHORT_MAX_NE,
    });
    // Keep a rejection from being unhandled before the next POST awaits it.
    pending.catch(() => undefined);
    this.#phase = { kind: 'request', auth, asked: what, pending, checkValues };
    if (what === 'update') this.#requestSent = true;
    return auth.script.take(1);
  }

  // Step 5 (DESIGN.md 4.5): BF71 (or BF73 on resume) inside the protected response.
  async #afterRequest(p: Extract<Phase, { kind: 'request' }>, script: ResponseScript): Promise<SessionStep> {
    const { auth, asked, checkValues } = p;
    auth.script.deliver(script.responses);
    const response = await p.pending;
    const what = asked === 'status' ? 'STORE DATA BF72' : 'STORE DATA BF70';
    if (response.sw !== SW_OK) throw new StatusWordError(response.sw, what);
    const o = this.#order;
    const iccid = encodeSwappedBcd(o.iccid, 'ICCID', ICCID_BYTES);
    if (asked === 'status') {
      const status: KeyStatus = decodeKeyStatus(response.data);
      if (!equalBytes(status.iccid, iccid)) throw new SessionError('result', 'BF73 is for another ICCID');
      if (status.lastTransactionId !== undefined && equalBytes(status.lastTransactionId, o.transactionId)) {
        if (status.keyVersion !== o.keyVersion || !equalBytes(status.checkValues, checkValues)) {
          throw new SessionError('result', 'BF73 names our transaction but not our keys');
        }
        return { kind: 'done', outcome: { kind: 'applied', keyVersion: status.keyVersion, viaStatus: true } };
      }
      // The card never applied it: resend BF70 with the same transaction id and keys.
      const authenticated: Phase = { kind: 'authenticated', auth };
      this.#phase = authenticated;
      const decision = await this.#hooks.beforeRequest({
        suite: auth.suite,
        certificate: auth.certificate,
        afterStatus: true,
      });
      if (decision === 'status') throw new SessionError('job', 'another session holds the request');
      if (this.#phase !== authenticated) throw new SessionError('job', 'the session ended meanwhile');
      return { kind: 'script', commands: await this.#send(auth, 'update') };
    }
    const result = decodeKeyUpdateResult(response.data);
    if (!equalBytes(result.transactionId, o.transactionId) || !equalBytes(result.iccid, iccid)) {
      throw new SessionError('result', 'BF71 does not answer our request (transaction id or ICCID differ)');
    }
    if (result.outcome !== OUTCOME_APPLIED) {
      return { kind: 'done', outcome: { kind: 'refused', outcome: result.outcome, result } };
    }
    if (
      result.keyVersion !== o.keyVersion ||
      !equalBytes(result.checkValues ?? new Uint8Array(0), checkValues)
    ) {
      throw new SessionError(
        'result',
        `BF71 says applied but reports key version ${result.keyVersion} / check values ${toHex(result.checkValues ?? new Uint8Array(0))}, not ours`,
      );
    }
    return { kind: 'done', outcome: { kind: 'applied', keyVersion: result.keyVersion, viaStatus: false } };
  }
}
