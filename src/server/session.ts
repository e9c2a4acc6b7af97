// DESIGN.md 1 steps 1-5, 4.4, 4.5, 4.7: one key-update session with one card, as scripts of C-APDUs. The UE's
// first POST gets script 1, each later POST brings the R-APDUs of the previous script:
//   script 1  SELECT ISD, GET DATA 00E0, BF30, FF33          (what the card holds and accepts)
//   script 2  GET DATA BF21 A6{83 KID KVN}, PSO chain, MUTUAL AUTHENTICATE (SCP11a with the chosen key set)
//   script 3  STORE DATA BF70 (or BF72 when resuming)        inside SCP11 secure messaging
//   script 4  STORE DATA BF70 with the same transaction id   (only when BF73 says the card lacks the keys)
// so a key update takes 3 POSTs after the first, a recovery that must resend 4.
import { concatBytes, encodeSwappedBcd, equalBytes, toHex, wipe } from '../bytes/index.js';
import { keyCheckValue, type RandomSource } from '../crypto/index.js';
import {
  ALGORITHM_MILENAGE,
  ALGORITHM_TUAK,
  INS_STORE_DATA,
  ISD_AID,
  OUTCOME_APPLIED,
  P1_STORE_DATA_LAST_BERTLV_RESPONSE,
  SecureChannelError,
  StaticSecretCache,
  abandonScp11,
  beginScp11,
  finishScp11,
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
  type Scp11OceState,
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
  cardKeyPin,
  decodeCertificate,
  validateChain,
  VerifiedCertificateCache,
  type Certificate,
  type CardKeyPin,
  type TrustAnchor,
} from '../pki/index.js';
import {
  DEFAULT_UNPINNED_CARD_POLICY,
  pinVerdict,
  type CardKeyPins,
  type UnpinnedCardPolicy,
} from './card-pins.js';
import type { Clock } from '../ports/index.js';
import { SessionError } from './errors.js';
import { ScriptChannel } from './script-channel.js';
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
  /** Credentials per curve the server can run SCP11 on; after a CA-KLOC rotation one per generation, newest first. */
  readonly oce: readonly OceCredential[];
  /** Card issuer CA keys (CA-KLCC) that certify CERT.SD.ECKA. */
  readonly cardIssuers: readonly TrustAnchor[];
  /** Revoked CERT.SD.ECKA serials (the card issuer's CRL). */
  readonly revokedCardSerials?: readonly Uint8Array[];
  readonly policy: ServerPolicy;
  readonly clock: Clock;
  readonly rng: RandomSource;
  /** ShSs per (SK.OCE.ECKA, PK.SD.ECKA), shared by the sessions; prepareSessionConfig makes one if absent. */
  readonly staticSecrets?: StaticSecretCache;
  /** CERT.SD.ECKA signatures already verified, shared by the sessions; prepareSessionConfig makes one if absent. */
  readonly verifiedCertificates?: VerifiedCertificateCache;
  /**
   * Issue 13: the key each card must present (server/card-pins.ts). The server app always sets it (inventory,
   * then first-use pins); absent, as in protocol tests of a bare session, no key is pinned.
   */
  readonly cardKeyPins?: CardKeyPins;
  /** Issue 13: a card without a pin is refused (default) or pinned at its first session (`tofu`). */
  readonly unpinnedCards?: UnpinnedCardPolicy;
}

/** An OCE credential with its certificates decoded once. */
export interface PreparedOceCredential extends OceCredential {
  /** `certificates`, decoded. */
  readonly chain: readonly Certificate[];
}

/** A SessionConfig made ready once for all its sessions (prepareSessionConfig). */
export interface PreparedSessionConfig extends SessionConfig {
  readonly prepared: true;
  readonly oce: readonly PreparedOceCredential[];
  readonly staticSecrets: StaticSecretCache;
  readonly verifiedCertificates: VerifiedCertificateCache;
}

/**
 * Decodes each OCE certificate chain once (a CertificateError names a bad one) and gives the sessions their
 * ShSs and verified-certificate caches; a prepared config is returned as it is.
 */
export function prepareSessionConfig(config: SessionConfig | PreparedSessionConfig): PreparedSessionConfig {
  if ('prepared' in config) return config;
  return {
    ...config,
    prepared: true,
    oce: config.oce.map((o) => ({ ...o, chain: o.certificates.map((c) => decodeCertificate(c)) })),
    staticSecrets: config.staticSecrets ?? new StaticSecretCache(),
    verifiedCertificates: config.verifiedCertificates ?? new VerifiedCertificateCache(),
  };
}

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

/** What the session holds once the card has authenticated (CERT.SD.ECKA, EID and receipt verified). */
interface Authenticated {
  readonly suite: Suite;
  readonly certificate: Certificate;
  /** DESIGN.md 4.4: digest of what the server read in script 1, echoed in BF70. */
  readonly digest: Uint8Array;
  readonly scp: Scp11Channel;
  /** Carries the secured STORE DATA of scripts 3 and 4. */
  readonly script: ScriptChannel;
}

/** Where a session is; each phase holds exactly what its next step needs. */
type Phase =
  | { readonly kind: 'start' }
  /** Script 1 is out. */
  | { readonly kind: 'read' }
  /** Script 2 is out: eSK.OCE.ECKA waits in `handshake` for the card's answer. */
  | {
      readonly kind: 'authenticate';
      readonly suite: Suite;
      readonly digest: Uint8Array;
      readonly handshake: Scp11OceState;
    }
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

// GPC 2.3 11.9: SELECT the ISD by AID
const selectIsd: CommandApdu = {
  cla: CLA_ISO,
  ins: INS_SELECT,
  p1: P1_SELECT_BY_NAME,
  p2: 0x00,
  data: ISD_AID,
  ne: SHORT_MAX_NE,
};

function checkValuesOf(keys: PlainKeys): Uint8Array {
  return concatBytes(keyCheckValue(keys.k), keyCheckValue(keys.opc));
}

/** R-APDUs, each 9000, or the SessionError naming the first that was not. */
function expectOk(responses: readonly ResponseApdu[], names: readonly string[]): ResponseApdu[] {
  names.forEach((name, i) => {
    const r = responses[i];
    if (r === undefined) throw new SessionError('card-answer', `${name}: not executed by the card`);
    if (r.sw !== SW_OK) throw new SessionError('card-answer', `${name}: card answered ${describeSw(r.sw)}`);
  });
  return responses.slice(0, names.length);
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
  readonly #config: PreparedSessionConfig;
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
    this.#config = prepareSessionConfig(config);
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
    if (p.kind === 'authenticate') abandonScp11(p.handshake);
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

  // Step 2 (DESIGN.md 4.4): choose the suite from E0 and BF30, the CA-KLOC reference from FF33; then
  // GPC Amd F 7.4.3, 7.5, 7.6: GET DATA BF21 and the SCP11a handshake's commands in one script.
  #afterRead(script: ResponseScript): CommandApdu[] {
    const [, e0, bf30, ff33] = expectOk(script.responses, [
      'SELECT ISD',
      'GET DATA 00E0',
      'GET DATA BF30',
      'GET DATA FF33',
    ]);
    const keyInformation = decodeKeyInformation(e0.data);
    const capabilities = decodeCapabilities(bf30.data);
    const digest = negotiationDigest(keyInformation.value, capabilities.value);
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
    // issue 13: of the credentials on the curve, the first whose CA-KLOC the card lists in FF33
    const caKlocIds = decodeCaKlocIdentifiers(ff33.data);
    const onCurve = this.#config.oce.filter((o) => o.keyPair.curve.name === suite.curve.name);
    const trusted = (o: PreparedOceCredential) =>
      caKlocIds.some(
        (i) => o.chain[0].issuerKeyId !== undefined && equalBytes(i.keyId, o.chain[0].issuerKeyId),
      );
    const oce = onCurve.find(trusted) ?? onCurve[0];
    if (oce === undefined) throw new Error('unreachable: suite without OCE credential');
    const reference = caKlocReference(caKlocIds, oce.chain[0].issuerKeyId);
    const { commands, state } = beginScp11(
      {
        variant: 'a',
        kid: suite.kid,
        kvn: suite.kvn,
        curve: suite.curve,
        aesKeyLength: suite.aesKeyLength,
        skOceEcka: oce.keyPair,
        oceCertificates: oce.certificates,
        oceChain: oce.chain,
        caKlocReference: reference,
        staticSecrets: this.#config.staticSecrets,
      },
      this.#config.rng,
    );
    this.#phase = { kind: 'authenticate', suite, digest, handshake: state };
    return [certificateStoreQuery(suite.kid, suite.kvn), ...commands];
  }

  // Step 1 (DESIGN.md 4.2, 4.3): verify CERT.SD.ECKA and the EID, then the receipt; send BF70 or BF72.
  async #afterAuthenticate(
    p: Extract<Phase, { kind: 'authenticate' }>,
    script: ResponseScript,
  ): Promise<CommandApdu[]> {
    const { suite, digest, handshake } = p;
    const [bf21] = expectOk(script.responses, ['GET DATA BF21']);
    const chain = decodeCertificateStore(bf21.data).map(decodeCertificate);
    const certificate = validateChain(chain, {
      anchors: this.#config.cardIssuers,
      clock: this.#config.clock,
      leafUsage: 'keyAgreement',
      denyList: this.#config.revokedCardSerials ?? [],
      expectedCurve: suite.curve,
      cache: this.#config.verifiedCertificates,
    });
    if (certificate.eid !== this.eid) {
      throw new SessionError(
        'certificate',
        `CERT.SD.ECKA is for EID ${certificate.eid ?? '(none)'}, the UE claimed ${this.eid}`,
      );
    }
    const firstUse = await this.#checkPin(suite, certificate);
    if (this.#phase !== p) throw new SessionError('job', 'the session ended meanwhile');
    const responses = expectOk(script.responses.slice(1), handshake.names);
    const channel = new ScriptChannel();
    const scp = finishScp11(handshake, responses, certificate.publicKey, channel);
    if (firstUse !== undefined) {
      try {
        await this.#pinFirstUse(firstUse);
        if (this.#phase !== p) throw new SessionError('job', 'the session ended meanwhile');
      } catch (e) {
        scp.close();
        throw e;
      }
    }
    // The receipt verified: the card has authenticated (DESIGN.md 7).
    const auth: Authenticated = { suite, certificate, digest, scp, script: channel };
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

  // Issue 13: the validated CERT.SD.ECKA must carry the card's pinned key, whoever signed it. Returns the pin to
  // record once the receipt proves the card holds SK.SD.ECKA (an unpinned card under `tofu`).
  async #checkPin(suite: Suite, certificate: Certificate): Promise<CardKeyPin | undefined> {
    const pins = this.#config.cardKeyPins;
    if (pins === undefined) return undefined;
    const presented = cardKeyPin(suite.kid, suite.kvn, certificate.publicKey);
    const verdict = pinVerdict(await pins.pinsOf(this.eid), presented);
    if (verdict === 'match') return undefined;
    if (verdict === 'mismatch') throw this.#pinMismatch(presented);
    if ((this.#config.unpinnedCards ?? DEFAULT_UNPINNED_CARD_POLICY) === 'tofu') return presented;
    throw new SessionError('card-unpinned', 'the card has no key pin and the server refuses unpinned cards');
  }

  async #pinFirstUse(pin: CardKeyPin): Promise<void> {
    const pins = this.#config.cardKeyPins as CardKeyPins;
    const recorded = await pins.pinFirstUse(this.eid, pin);
    // Another session pinned another key meanwhile: the first one stays.
    if (pinVerdict([recorded], pin) !== 'match') throw this.#pinMismatch(pin);
  }

  #pinMismatch(presented: CardKeyPin): SessionError {
    return new SessionError(
      'card-pin',
      `CERT.SD.ECKA of key set KID ${presented.kid} KVN ${presented.kvn} carries key SHA-256 ${toHex(presented.sha256).slice(0, 16)}..., not the card's pinned key`,
    );
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
