// DESIGN.md 1 steps 1-5, 4.4, 4.5, 4.7: one key-update session with one card, as scripts of C-APDUs. The UE's
// first POST gets script 1, each later POST brings the R-APDUs of the previous script:
//   script 1  SELECT ISD, GET DATA 00E0, BF30, FF33          (what the card holds and accepts)
//   script 2  GET DATA BF21 A6{83 KID KVN}, PSO chain, MUTUAL AUTHENTICATE (SCP11a with the chosen key set)
//   script 3  STORE DATA BF70 (or BF72 when resuming)        inside SCP11 secure messaging
//   script 4  STORE DATA BF70 with the same transaction id   (only when BF73 says the card lacks the keys)
// so a key update takes 3 POSTs after the first, a recovery that must resend 4.
import { concatBytes, encodeSwappedBcd, equalBytes, toHex } from '../bytes/index.js';
import { keyCheckValue, type RandomSource } from '../crypto/index.js';
import {
  ALGORITHM_MILENAGE,
  ALGORITHM_TUAK,
  INS_PERFORM_SECURITY_OPERATION,
  INS_STORE_DATA,
  ISD_AID,
  OUTCOME_APPLIED,
  P1_STORE_DATA_LAST_BERTLV_RESPONSE,
  SecureChannelError,
  TAG_CA_KLOC_IDS,
  TAG_CAPABILITIES,
  TAG_KEY_INFO_TEMPLATE,
  DataObjectError,
  KeyUpdateFormatError,
  certificateStoreQuery,
  decodeCaKlocIdentifiers,
  decodeCapabilities,
  decodeCertificateStore,
  decodeKeyInformation,
  decodeKeyStatus,
  decodeKeyUpdateResult,
  encodeKeyStatusRequest,
  encodeKeyUpdateRequest,
  getDataCommand,
  negotiationDigest,
  type AlgorithmParameters,
  type KeyStatus,
  type KeyUpdateResult,
  type Scp11Channel,
} from '../gp/index.js';
import {
  CLA_GP,
  CLA_ISO,
  INS_SELECT,
  SHORT_MAX_NE,
  SW_OK,
  StatusWordError,
  describeSw,
  type CommandApdu,
  type ResponseApdu,
  type ResponseScript,
} from '../iso7816/index.js';
import {
  CertificateError,
  decodeCertificate,
  validateChain,
  type Certificate,
  type TrustAnchor,
} from '../pki/index.js';
import type { Clock } from '../ports/index.js';
import { SessionError } from './errors.js';
import { planScp11, ScriptChannel, type Scp11Plan } from './script-channel.js';
import { caKlocReference, chooseSuite, type ServerPolicy, type Suite } from './suite.js';
import type { EcKeyPair } from '../crypto/index.js';

const P1_SELECT_BY_NAME = 0x04;
const ICCID_BYTES = 10;

/** CERT.OCE.ECKA with its issuers (root side first, leaf last) and its private key. */
export interface OceCredential {
  readonly keyPair: EcKeyPair;
  readonly certificates: readonly Uint8Array[];
}

export interface SessionConfig {
  /** One credential per curve the server can run SCP11 on. */
  readonly oce: readonly OceCredential[];
  /** Card issuer CA keys (CA-KLCC) that certify CERT.SD.ECKA. */
  readonly cardIssuers: readonly TrustAnchor[];
  /** Revoked CERT.SD.ECKA serials (the card issuer's CRL). */
  readonly revokedCardSerials?: readonly Uint8Array[];
  readonly policy: ServerPolicy;
  readonly clock: Clock;
  readonly rng: RandomSource;
}

/** What one session must bring to the card. */
export interface KeyUpdateOrder {
  readonly iccid: string;
  readonly algorithm: 'milenage' | 'tuak';
  readonly keyVersion: number;
  readonly transactionId: Uint8Array;
  readonly k: Uint8Array;
  /** OPc (Milenage) or TOPc (TUAK). */
  readonly opc: Uint8Array;
  readonly parameters?: AlgorithmParameters;
  /** BF70 may already have reached the card in an earlier session: ask BF72 first. */
  readonly recover: boolean;
}

export interface CardAuthenticated {
  readonly suite: Suite;
  readonly certificate: Certificate;
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

type Phase = 'start' | 'read' | 'authenticate' | 'request' | 'done';

// GPC 2.3 11.9: SELECT the ISD by AID
const selectIsd: CommandApdu = {
  cla: CLA_ISO,
  ins: INS_SELECT,
  p1: P1_SELECT_BY_NAME,
  p2: 0x00,
  data: ISD_AID,
  ne: SHORT_MAX_NE,
};

function checkValuesOf(k: Uint8Array, opc: Uint8Array): Uint8Array {
  return concatBytes(keyCheckValue(k), keyCheckValue(opc));
}

/** The R-APDUs of a script, each 9000, or the SessionError naming the first that was not. */
function expectOk(script: ResponseScript, names: readonly string[]): ResponseApdu[] {
  names.forEach((name, i) => {
    const r = script.responses[i];
    if (r === undefined) throw new SessionError('card-answer', `${name}: not executed by the card`);
    if (r.sw !== SW_OK) throw new SessionError('card-answer', `${name}: card answered ${describeSw(r.sw)}`);
  });
  return script.responses.slice(0, names.length);
}

/** Turns the codec and channel errors of a step into SessionErrors (anything else is a bug and propagates). */
function asSessionError(e: unknown): SessionError | undefined {
  if (e instanceof SessionError) return e;
  if (e instanceof DataObjectError) return new SessionError('card-answer', e.message);
  if (e instanceof KeyUpdateFormatError) return new SessionError('result', e.message);
  if (e instanceof CertificateError) return new SessionError('certificate', `CERT.SD.ECKA: ${e.message}`);
  if (e instanceof SecureChannelError) return new SessionError('secure-channel', e.message);
  if (e instanceof StatusWordError) return new SessionError('card-answer', e.message);
  return undefined;
}

export class KeyUpdateSession {
  readonly #config: SessionConfig;
  readonly #order: KeyUpdateOrder;
  readonly #hooks: SessionHooks;
  /** The EID the UE claimed in X-Admin-From. */
  readonly eid: string;
  #phase: Phase = 'start';
  #digest: Uint8Array | undefined;
  #suite: Suite | undefined;
  #certificate: Certificate | undefined;
  #plan: Scp11Plan | undefined;
  #scp: Scp11Channel | undefined;
  #script = new ScriptChannel();
  #pending: Promise<ResponseApdu> | undefined;
  /** 'status' while BF72 is out, 'update' while BF70 is. */
  #asked: 'status' | 'update' | undefined;
  #requestSent = false;
  #authenticated = false;
  /** Scripts sent so far. */
  scripts = 0;

  constructor(eid: string, order: KeyUpdateOrder, config: SessionConfig, hooks: SessionHooks) {
    this.eid = eid;
    this.#order = order;
    this.#config = config;
    this.#hooks = hooks;
  }

  get iccid(): string {
    return this.#order.iccid;
  }

  get suite(): Suite | undefined {
    return this.#suite;
  }

  get finished(): boolean {
    return this.#phase === 'done';
  }

  /** The card has authenticated in this session (DESIGN.md 7). */
  get authenticated(): boolean {
    return this.#authenticated;
  }

  /** Script 1. */
  start(): CommandApdu[] {
    if (this.#phase !== 'start') throw new Error('session already started');
    this.#phase = 'read';
    this.scripts = 1;
    return [
      selectIsd,
      getDataCommand(TAG_KEY_INFO_TEMPLATE),
      getDataCommand(TAG_CAPABILITIES),
      getDataCommand(TAG_CA_KLOC_IDS),
    ];
  }

  /** Consumes the R-APDUs of the last script; returns the next script or the outcome. */
  async next(responses: ResponseScript): Promise<SessionStep> {
    try {
      const step = await this.#step(responses);
      if (step.kind === 'script') this.scripts++;
      else this.#phase = 'done';
      return step;
    } catch (e) {
      const error = asSessionError(e);
      if (error === undefined) throw e;
      this.#phase = 'done';
      this.#scp?.close();
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
    this.#phase = 'done';
    this.#scp?.close();
    this.#script.deliver([]);
    return {
      kind: 'failed',
      error: new SessionError('abandoned', 'the UE abandoned the session'),
      requestSent: this.#requestSent,
      authenticated: this.#authenticated,
    };
  }

  async #step(responses: ResponseScript): Promise<SessionStep> {
    switch (this.#phase) {
      case 'read':
        return { kind: 'script', commands: await this.#afterRead(responses) };
      case 'authenticate':
        return { kind: 'script', commands: await this.#afterAuthenticate(responses) };
      case 'request':
        return this.#afterRequest(responses);
      default:
        throw new SessionError('card-answer', `no script outstanding (session ${this.#phase})`);
    }
  }

  // Step 2 (DESIGN.md 4.4): choose the suite from E0 and BF30, the CA-KLOC reference from FF33.
  async #afterRead(script: ResponseScript): Promise<CommandApdu[]> {
    const [, e0, bf30, ff33] = expectOk(script, [
      'SELECT ISD',
      'GET DATA 00E0',
      'GET DATA BF30',
      'GET DATA FF33',
    ]);
    const keyInformation = decodeKeyInformation(e0.data);
    const capabilities = decodeCapabilities(bf30.data);
    this.#digest = negotiationDigest(keyInformation.value, capabilities.value);
    const algorithmId = this.#order.algorithm === 'milenage' ? ALGORITHM_MILENAGE : ALGORITHM_TUAK;
    if (!capabilities.capabilities.akaAlgorithms.includes(algorithmId)) {
      throw new SessionError('negotiation', `the card does not implement ${this.#order.algorithm} (BF30 82)`);
    }
    const suite = chooseSuite(
      keyInformation.entries,
      capabilities.capabilities,
      this.#config.policy,
      this.#config.oce.map((o) => o.keyPair.curve.name),
    );
    const oce = this.#config.oce.find((o) => o.keyPair.curve.name === suite.curve.name);
    if (oce === undefined) throw new Error('unreachable: suite without OCE credential');
    const reference = caKlocReference(
      decodeCaKlocIdentifiers(ff33.data),
      decodeCertificate(oce.certificates[0]).issuerKeyId,
    );
    this.#suite = suite;
    this.#plan = await planScp11(
      {
        variant: 'a',
        kid: suite.kid,
        kvn: suite.kvn,
        curve: suite.curve,
        aesKeyLength: suite.aesKeyLength,
        skOceEcka: oce.keyPair,
        oceCertificates: oce.certificates,
        caKlocReference: reference,
      },
      this.#config.rng,
    );
    this.#phase = 'authenticate';
    return [certificateStoreQuery(suite.kid, suite.kvn), ...this.#plan.commands];
  }

  // Step 1 (DESIGN.md 4.2, 4.3): verify CERT.SD.ECKA and the EID, then the receipt; send BF70 or BF72.
  async #afterAuthenticate(script: ResponseScript): Promise<CommandApdu[]> {
    const plan = this.#plan as Scp11Plan;
    const suite = this.#suite as Suite;
    const [bf21] = expectOk(script, ['GET DATA BF21']);
    const chain = decodeCertificateStore(bf21.data).map(decodeCertificate);
    const certificate = validateChain(chain, {
      anchors: this.#config.cardIssuers,
      clock: this.#config.clock,
      leafUsage: 'keyAgreement',
      denyList: this.#config.revokedCardSerials ?? [],
      expectedCurve: suite.curve,
    });
    if (certificate.eid !== this.eid) {
      throw new SessionError(
        'certificate',
        `CERT.SD.ECKA is for EID ${certificate.eid ?? '(none)'}, the UE claimed ${this.eid}`,
      );
    }
    const handshake = script.responses.slice(1);
    plan.commands.forEach((c, i) => {
      const r = handshake[i];
      const name =
        c.ins === INS_PERFORM_SECURITY_OPERATION ? 'PERFORM SECURITY OPERATION' : 'MUTUAL AUTHENTICATE';
      if (r === undefined) throw new SessionError('card-answer', `${name}: not executed by the card`);
      if (r.sw !== SW_OK) throw new SessionError('card-answer', `${name}: card answered ${describeSw(r.sw)}`);
    });
    this.#scp = await plan.finish(handshake, certificate.publicKey, this.#script);
    // The receipt verified: the card has authenticated (DESIGN.md 7).
    this.#certificate = certificate;
    this.#authenticated = true;
    this.#phase = 'request';
    await this.#hooks.authenticated?.({ suite, certificate });
    if (this.#order.recover) return this.#send('status');
    const decision = await this.#hooks.beforeRequest({ suite, certificate, afterStatus: false });
    return this.#send(decision ?? 'update');
  }

  async #send(what: RequestDecision): Promise<CommandApdu[]> {
    // Abandoned (superseded) while a hook ran: its order's keys are wiped; nothing more goes to the card.
    if (this.#phase === 'done') throw new SessionError('job', 'the session ended meanwhile');
    const scp = this.#scp as Scp11Channel;
    const o = this.#order;
    const iccid = encodeSwappedBcd(o.iccid, 'ICCID', ICCID_BYTES);
    const data =
      what === 'status'
        ? encodeKeyStatusRequest(iccid)
        : encodeKeyUpdateRequest({
            transactionId: o.transactionId,
            iccid,
            algorithm: o.algorithm === 'milenage' ? ALGORITHM_MILENAGE : ALGORITHM_TUAK,
            keyVersion: o.keyVersion,
            wrappedK: scp.wrapKey(o.k),
            wrappedOpc: scp.wrapKey(o.opc),
            checkValues: checkValuesOf(o.k, o.opc),
            negotiationDigest: this.#digest as Uint8Array,
            ...(o.parameters === undefined ? {} : { parameters: o.parameters }),
          });
    // DESIGN.md 4.5: 80 E2 91 00, one request per STORE DATA
    this.#pending = scp.transmit({
      cla: CLA_GP,
      ins: INS_STORE_DATA,
      p1: P1_STORE_DATA_LAST_BERTLV_RESPONSE,
      p2: 0x00,
      data,
      ne: SHORT_MAX_NE,
    });
    // Keep a rejection from being unhandled before the next POST awaits it.
    this.#pending.catch(() => undefined);
    this.#asked = what;
    if (what === 'update') this.#requestSent = true;
    return this.#script.take(1);
  }

  // Step 5 (DESIGN.md 4.5): BF71 (or BF73 on resume) inside the protected response.
  async #afterRequest(script: ResponseScript): Promise<SessionStep> {
    this.#script.deliver(script.responses);
    const response = await (this.#pending as Promise<ResponseApdu>);
    const what = this.#asked === 'status' ? 'STORE DATA BF72' : 'STORE DATA BF70';
    if (response.sw !== SW_OK) throw new StatusWordError(response.sw, what);
    const o = this.#order;
    const iccid = encodeSwappedBcd(o.iccid, 'ICCID', ICCID_BYTES);
    const expectedKcv = checkValuesOf(o.k, o.opc);
    if (this.#asked === 'status') {
      const status: KeyStatus = decodeKeyStatus(response.data);
      if (!equalBytes(status.iccid, iccid)) throw new SessionError('result', 'BF73 is for another ICCID');
      if (status.lastTransactionId !== undefined && equalBytes(status.lastTransactionId, o.transactionId)) {
        if (status.keyVersion !== o.keyVersion || !equalBytes(status.checkValues, expectedKcv)) {
          throw new SessionError('result', 'BF73 names our transaction but not our keys');
        }
        this.#scp?.close();
        return { kind: 'done', outcome: { kind: 'applied', keyVersion: status.keyVersion, viaStatus: true } };
      }
      // The card never applied it: resend BF70 with the same transaction id and keys.
      const decision = await this.#hooks.beforeRequest({
        suite: this.#suite as Suite,
        certificate: this.#certificate as Certificate,
        afterStatus: true,
      });
      if (decision === 'status') throw new SessionError('job', 'another session holds the request');
      return { kind: 'script', commands: await this.#send('update') };
    }
    const result = decodeKeyUpdateResult(response.data);
    if (!equalBytes(result.transactionId, o.transactionId) || !equalBytes(result.iccid, iccid)) {
      throw new SessionError('result', 'BF71 does not answer our request (transaction id or ICCID differ)');
    }
    this.#scp?.close();
    if (result.outcome !== OUTCOME_APPLIED) {
      return { kind: 'done', outcome: { kind: 'refused', outcome: result.outcome, result } };
    }
    if (
      result.keyVersion !== o.keyVersion ||
      !equalBytes(result.checkValues ?? new Uint8Array(0), expectedKcv)
    ) {
      throw new SessionError(
        'result',
        `BF71 says applied but reports key version ${result.keyVersion} / check values ${toHex(result.checkValues ?? new Uint8Array(0))}, not ours`,
      );
    }
    return { kind: 'done', outcome: { kind: 'applied', keyVersion: result.keyVersion, viaStatus: false } };
  }
}
