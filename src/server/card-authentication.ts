// DESIGN.md 1 steps 1-2, 4.2-4.4, 7: the first two scripts every RAM session sends, whatever it then does inside
// the channel (a key update, or card management, issue 13):
//   script 1  SELECT ISD, GET DATA 00E0, BF30, FF33          (what the card holds and accepts)
//   script 2  GET DATA BF21 A6{83 KID KVN}, PSO chain, MUTUAL AUTHENTICATE (SCP11a with the chosen key set)
// and the checks that make the card "authenticated": CERT.SD.ECKA chain and EID, the card's key pin, the receipt.
import { equalBytes, toHex } from '../bytes/index.js';
import type { EcKeyPair, RandomSource } from '../crypto/index.js';
import {
  ISD_AID,
  StaticSecretCache,
  abandonScp11,
  beginScp11,
  finishScp11,
  TAG_CA_KLOC_IDS,
  TAG_CAPABILITIES,
  TAG_KEY_INFO_TEMPLATE,
  certificateStoreQuery,
  decodeCaKlocIdentifiers,
  decodeCapabilities,
  decodeCertificateStore,
  decodeKeyInformation,
  getDataCommand,
  negotiationDigest,
  type Capabilities,
  type Scp11Channel,
  type Scp11OceState,
} from '../gp/index.js';
import {
  CLA_ISO,
  INS_SELECT,
  SHORT_MAX_NE,
  SW_OK,
  describeSw,
  type CommandApdu,
  type ResponseApdu,
  type ResponseScript,
} from '../iso7816/index.js';
import {
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

const P1_SELECT_BY_NAME = 0x04;

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

export interface CardAuthenticated {
  readonly suite: Suite;
  readonly certificate: Certificate;
}

/** What a session holds once the card has authenticated (CERT.SD.ECKA, EID and receipt verified). */
export interface Authenticated {
  readonly suite: Suite;
  readonly certificate: Certificate;
  /** DESIGN.md 4.4: digest of what the server read in script 1, echoed in BF70. */
  readonly digest: Uint8Array;
  readonly scp: Scp11Channel;
  /** Carries the secured commands of the later scripts. */
  readonly script: ScriptChannel;
}

/** Script 2 is out: eSK.OCE.ECKA waits in `handshake` for the card's answer. */
export interface Handshake {
  readonly suite: Suite;
  readonly digest: Uint8Array;
  readonly handshake: Scp11OceState;
}

// GPC 2.3 11.9: SELECT the ISD by AID
const selectIsd: CommandApdu = {
  cla: CLA_ISO,
  ins: INS_SELECT,
  p1: P1_SELECT_BY_NAME,
  p2: 0x00,
  data: ISD_AID,
  ne: SHORT_MAX_NE,
};

/** R-APDUs, each 9000, or the SessionError naming the first that was not. */
export function expectOk(responses: readonly ResponseApdu[], names: readonly string[]): ResponseApdu[] {
  names.forEach((name, i) => {
    const r = responses[i];
    if (r === undefined) throw new SessionError('card-answer', `${name}: not executed by the card`);
    if (r.sw !== SW_OK) throw new SessionError('card-answer', `${name}: card answered ${describeSw(r.sw)}`);
  });
  return responses.slice(0, names.length);
}

/** Script 1 (DESIGN.md 4.4): what the card holds (00E0, FF33) and accepts (BF30). */
export function readScript(): CommandApdu[] {
  return [
    selectIsd,
    getDataCommand(TAG_KEY_INFO_TEMPLATE),
    getDataCommand(TAG_CAPABILITIES),
    getDataCommand(TAG_CA_KLOC_IDS),
  ];
}

/** Steps 1-2 of one RAM session with the card of `eid`, whatever runs inside the channel afterwards. */
export class CardAuthentication {
  readonly #config: PreparedSessionConfig;
  readonly eid: string;

  constructor(eid: string, config: PreparedSessionConfig) {
    this.eid = eid;
    this.#config = config;
  }

  // Step 2 (DESIGN.md 4.4): choose the suite from E0 and BF30, the CA-KLOC reference from FF33; then
  // GPC Amd F 7.4.3, 7.5, 7.6: GET DATA BF21 and the SCP11a handshake's commands in one script.
  // `check` refuses what the card cannot do for the session's purpose (the AKA algorithm of a key update).
  afterRead(
    script: ResponseScript,
    check: (capabilities: Capabilities) => void = () => {},
  ): { commands: CommandApdu[]; handshake: Handshake } {
    const [, e0, bf30, ff33] = expectOk(script.responses, [
      'SELECT ISD',
      'GET DATA 00E0',
      'GET DATA BF30',
      'GET DATA FF33',
    ]);
    const keyInformation = decodeKeyInformation(e0.data);
    const capabilities = decodeCapabilities(bf30.data);
    const digest = negotiationDigest(keyInformation.value, capabilities.value);
    check(capabilities.capabilities);
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
    return {
      commands: [certificateStoreQuery(suite.kid, suite.kvn), ...commands],
      handshake: { suite, digest, handshake: state },
    };
  }

  /**
   * Step 1 (DESIGN.md 4.2, 4.3): verify CERT.SD.ECKA, the EID and the card's key pin, then the receipt. `live`
   * says whether the session still runs after each await (a session superseded meanwhile stops here).
   */
  async afterAuthenticate(h: Handshake, script: ResponseScript, live: () => boolean): Promise<Authenticated> {
    const { suite, digest, handshake } = h;
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
    if (!live()) throw new SessionError('job', 'the session ended meanwhile');
    const responses = expectOk(script.responses.slice(1), handshake.names);
    const channel = new ScriptChannel();
    const scp = finishScp11(handshake, responses, certificate.publicKey, channel);
    if (firstUse !== undefined) {
      try {
        await this.#pinFirstUse(firstUse);
        if (!live()) throw new SessionError('job', 'the session ended meanwhile');
      } catch (e) {
        scp.close();
        throw e;
      }
    }
    return { suite, certificate, digest, scp, script: channel };
  }

  /** The handshake will not be finished: eSK.OCE.ECKA is wiped. */
  abandon(h: Handshake): void {
    abandonScp11(h.handshake);
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
}
