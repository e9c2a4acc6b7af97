// GPC Amd F 7.5-7.6, card side: the security domain's SCP11 engine. Pure: randomness and time are injected,
// no I/O. It collects and validates the OCE certificate chain (PERFORM SECURITY OPERATION), answers MUTUAL /
// INTERNAL AUTHENTICATE and then holds the session whose secure messaging the dispatcher applies.
//
// Checks of an authenticate command, in this order (the first that applies decides):
//   6A86  INS and KID disagree (MUTUAL AUTHENTICATE with KID 13, INTERNAL AUTHENTICATE with KID 11 or 15)
//   6A88  no key set with this KID and KVN (an unknown KID included)
//   6A80  data not A6{90 02 11 i, 95, 80 88, 81} 5F49, i not that of the variant, 81 not 16/24/32
//   6985  suite below the card's policy: key set curve not allowed, AES length below the minimum, 95 not 3C
//   6982  SCP11a/c without a valid OCE chain, or its leaf on another curve than the key set
//   6A80  ePK.OCE.ECKA not a point of the key set's curve
// PERFORM SECURITY OPERATION: 6A88 no CA-KLOC key with that KID/KVN; 6A80 a certificate that does not decode
// or a chain over the size limits; 6982 a chain that does not validate (untrusted, signature, dates, usage,
// revoked, curve), a chain with a certificate the CA-KLOC key's own non-empty OCE allowlist does not list (the
// KID 10 form yubikit stores), or a leaf whose serial no SCP11a/c key set allows (every one has a non-empty OCE
// allowlist and none lists it). MUTUAL AUTHENTICATE then checks the chosen key set's own allowlist (6982).
import { concatBytes, decodeTlvs, tlv, type Tlv } from '../../bytes/index.js';
import {
  CryptoError,
  ecdh,
  forgetPrivateKey,
  generateKeyPair,
  type Curve,
  type EcKeyPair,
  type RandomSource,
} from '../../crypto/index.js';
import {
  CLA_CHAINING,
  SW_CONDITIONS_NOT_SATISFIED,
  SW_INCORRECT_P1P2,
  SW_OK,
  SW_REFERENCED_DATA_NOT_FOUND,
  SW_SECURITY_STATUS_NOT_SATISFIED,
  SW_WRONG_DATA,
  StatusWordError,
  type CommandApdu,
  type ResponseApdu,
} from '../../iso7816/index.js';
import {
  CertificateError,
  decodeCertificate,
  validateChain,
  VerifiedCertificateCache,
  type Certificate,
  type TrustAnchor,
} from '../../pki/index.js';
import type { Clock } from '../../ports/index.js';
import {
  INS_INTERNAL_AUTHENTICATE,
  INS_MUTUAL_AUTHENTICATE,
  KEY_TYPE_AES,
  KEY_USAGE_SECURE_MESSAGING,
  KID_CA_KLOC,
  PSO_MORE_FOLLOW,
  SCP11_ID,
  TAG_CONTROL_REFERENCE,
  TAG_EPK,
  TAG_RECEIPT,
} from '../constants.js';
import { chainOnList, serialOnList } from '../data-objects/oce-allowlist.js';
import { Scp11CardSession } from './card-session.js';
import {
  decodeControlReference,
  iParameterOf,
  isAesKeyLength,
  variantOfKid,
  type AesKeyLength,
  type MacLength,
  type Scp11Variant,
} from './params.js';
import { SecureMessaging } from './secure-messaging.js';
import { computeReceipt, deriveSessionKeys } from './session-keys.js';
import { StaticSecretCache } from './static-secret-cache.js';

/** Bounds on what PERFORM SECURITY OPERATION may make the card hold. */
const MAX_CHAIN_CERTIFICATES = 4;
const MAX_CHAIN_BYTES = 8192;

const EMPTY = new Uint8Array(0);

export interface SdKeySet {
  readonly kid: number;
  readonly kvn: number;
  /** SK.SD.ECKA / PK.SD.ECKA. */
  readonly keyPair: EcKeyPair;
  /** CERT.SD.ECKA and its issuers, leaf last (the content of GET DATA BF21). */
  readonly certificates: readonly Uint8Array[];
  /** GPC Amd F 7.5: serials of the OCE certificates this SCP11a/c key set accepts; absent or empty: any. */
  readonly oceAllowlist?: readonly Uint8Array[];
}

export interface Scp11SecurityDomainOptions {
  readonly keySets: readonly SdKeySet[];
  /** CA-KLOC public keys (KID 10) that may certify an OCE, each with its KVN. */
  readonly caKloc: readonly TrustAnchor[];
  /** GPC Amd F 7.5 (KID 10 form): per CA-KLOC KVN, the serials every certificate of its OCE chains must carry. */
  readonly caKlocAllowlists?: readonly CaKlocAllowlist[];
  /** Revoked certificate serials. */
  readonly denyList?: readonly Uint8Array[];
  readonly clock: Clock;
  readonly rng: RandomSource;
  /** BF30 83: the shortest AES session key the card accepts. */
  readonly minAesKeyLength: AesKeyLength;
  /** BF30 80: curves of key sets the card accepts for a session; default every curve it holds. */
  readonly curves?: readonly Curve[];
  /** 8 (default) or 16 bytes of C-MAC / R-MAC. */
  readonly macLength?: MacLength;
  /** Where ShSs is remembered (shared by security domains of the same keys); default one of its own. */
  readonly staticSecrets?: StaticSecretCache;
  /** OCE certificate signatures already verified (shared like staticSecrets); default one of its own. */
  readonly verifiedCertificates?: VerifiedCertificateCache;
}

export interface CaKlocAllowlist {
  readonly kvn: number;
  /** Absent or empty: any chain this CA-KLOC key validates. */
  readonly serials: readonly Uint8Array[];
}

interface PendingChain {
  readonly kvn: number;
  readonly certificates: Uint8Array[];
  blocks: Uint8Array[];
  bytes: number;
}

interface VerifiedOce {
  readonly leaf: Certificate;
}

function reject(sw: number, message: string): never {
  throw new StatusWordError(sw, message);
}

function ok(data: Uint8Array = EMPTY): ResponseApdu {
  return { data, sw: SW_OK };
}

export class Scp11SecurityDomain {
  readonly #options: Scp11SecurityDomainOptions;
  readonly #staticSecrets: StaticSecretCache;
  readonly #verifiedCertificates: VerifiedCertificateCache;
  #pending: PendingChain | undefined;
  #oce: VerifiedOce | undefined;
  #session: Scp11CardSession | undefined;

  constructor(options: Scp11SecurityDomainOptions) {
    if (!isAesKeyLength(options.minAesKeyLength)) {
      throw new RangeError(`minimum AES key length ${options.minAesKeyLength} is not 16, 24 or 32`);
    }
    this.#options = options;
    this.#staticSecrets = options.staticSecrets ?? new StaticSecretCache();
    this.#verifiedCertificates = options.verifiedCertificates ?? new VerifiedCertificateCache();
  }

  /** The open session, if any (undefined after reset, a failed handshake or a MAC failure). */
  get session(): Scp11CardSession | undefined {
    return this.#session?.active ? this.#session : undefined;
  }

  /** Drops the session and any half-received OCE chain (on SELECT, card reset, MAC failure). */
  reset(): void {
    this.#session?.end();
    this.#session = undefined;
    this.#pending = undefined;
    this.#oce = undefined;
  }

  // ------------------------------------------------------------------------ PERFORM SECURITY OPERATION

  // GPC Amd F 7.5.2: P1 = KVN of the CA-KLOC key (b8: more blocks of this certificate), P2 = its KID (b8: more
  // certificates follow). A block with CLA b5 (ISO chaining) also continues the certificate.
  performSecurityOperation(cmd: CommandApdu): ResponseApdu {
    const kvn = cmd.p1 & ~PSO_MORE_FOLLOW;
    const kid = cmd.p2 & ~PSO_MORE_FOLLOW;
    if (kid !== KID_CA_KLOC || this.#anchorsFor(kvn).length === 0) {
      this.#pending = undefined;
      reject(
        SW_REFERENCED_DATA_NOT_FOUND,
        `PSO: no CA-KLOC key with KID ${kid.toString(16)} KVN ${kvn.toString(16)}`,
      );
    }
    if (cmd.data.length === 0) {
      this.#pending = undefined;
      reject(SW_WRONG_DATA, 'PSO: empty certificate block');
    }
    this.#oce = undefined;
    const pending =
      this.#pending?.kvn === kvn
        ? this.#pending
        : (this.#pending = { kvn, certificates: [], blocks: [], bytes: 0 });
    pending.blocks.push(cmd.data);
    pending.bytes += cmd.data.length;
    if (pending.bytes > MAX_CHAIN_BYTES) {
      this.#pending = undefined;
      reject(SW_WRONG_DATA, `PSO: certificate chain longer than ${MAX_CHAIN_BYTES} bytes`);
    }
    const moreBlocks = (cmd.cla & CLA_CHAINING) !== 0 || (cmd.p1 & PSO_MORE_FOLLOW) !== 0;
    if (moreBlocks) return ok();
    pending.certificates.push(concatBytes(...pending.blocks));
    pending.blocks = [];
    if (pending.certificates.length > MAX_CHAIN_CERTIFICATES) {
      this.#pending = undefined;
      reject(SW_WRONG_DATA, `PSO: more than ${MAX_CHAIN_CERTIFICATES} certificates`);
    }
    if ((cmd.p2 & PSO_MORE_FOLLOW) !== 0) return ok();
    this.#pending = undefined;
    const { leaf, chain } = this.#validate(pending.certificates, kvn);
    this.#checkCaKlocAllowlist(chain, kvn);
    this.#checkAllowedAnywhere(leaf);
    this.#oce = { leaf };
    return ok();
  }

  // GPC Amd F 7.5 / yubikit store_allowlist(KeyRef(0x10, kvn)): the CA-KLOC key's list, checked on the chain
  #checkCaKlocAllowlist(chain: readonly Certificate[], kvn: number): void {
    const list = (this.#options.caKlocAllowlists ?? []).find((l) => l.kvn === kvn)?.serials ?? [];
    if (list.length === 0) return;
    if (
      !chainOnList(
        list,
        chain.map((c) => c.serial),
      )
    ) {
      reject(
        SW_SECURITY_STATUS_NOT_SATISFIED,
        `PSO: an OCE certificate is not on the allowlist of CA-KLOC KVN ${kvn.toString(16)}`,
      );
    }
  }

  // GPC Amd F 7.5: refused at PSO when no SCP11a/c key set would accept this OCE leaf
  #checkAllowedAnywhere(leaf: Certificate): void {
    const keySets = this.#options.keySets.filter((k) => variantOfKid(k.kid) !== 'b');
    const open = keySets.some((k) => (k.oceAllowlist ?? []).length === 0);
    if (keySets.length === 0 || open) return;
    if (!keySets.some((k) => serialOnList(k.oceAllowlist ?? [], leaf.serial))) {
      reject(SW_SECURITY_STATUS_NOT_SATISFIED, 'PSO: CERT.OCE.ECKA is on no OCE allowlist');
    }
  }

  #anchorsFor(kvn: number): TrustAnchor[] {
    return this.#options.caKloc.filter((a) => a.kvn === undefined || a.kvn === kvn);
  }

  // GPC Amd F 6.4: the chain must lead from a CA-KLOC key to a key agreement certificate
  #validate(raw: readonly Uint8Array[], kvn: number): { leaf: Certificate; chain: Certificate[] } {
    let chain: Certificate[];
    try {
      chain = raw.map((c) => decodeCertificate(c));
    } catch (e) {
      if (e instanceof CertificateError) reject(SW_WRONG_DATA, `PSO: ${e.message}`);
      throw e;
    }
    try {
      const leaf = validateChain(chain, {
        anchors: this.#anchorsFor(kvn),
        clock: this.#options.clock,
        leafUsage: 'keyAgreement',
        denyList: this.#options.denyList,
        cache: this.#verifiedCertificates,
      });
      return { leaf, chain };
    } catch (e) {
      if (e instanceof CertificateError) reject(SW_SECURITY_STATUS_NOT_SATISFIED, `PSO: ${e.message}`);
      throw e;
    }
  }

  // ------------------------------------------------------------------------ MUTUAL / INTERNAL AUTHENTICATE

  // GPC Amd F 7.6: command data A6{...} 5F49 <ePK.OCE.ECKA>; response 5F49 <ePK.SD.ECKA> 86 <receipt>
  authenticate(cmd: CommandApdu): ResponseApdu {
    // A new handshake ends whatever session was open, and any half-sent OCE chain (a later PSO starts afresh).
    this.#session?.end();
    this.#session = undefined;
    this.#pending = undefined;
    const oce = this.#oce;
    this.#oce = undefined;

    if (cmd.ins !== INS_MUTUAL_AUTHENTICATE && cmd.ins !== INS_INTERNAL_AUTHENTICATE) {
      reject(SW_INCORRECT_P1P2, `INS ${cmd.ins.toString(16)} is not an SCP11 authenticate`);
    }
    const kid = cmd.p2;
    const kvn = cmd.p1;
    const variant = variantOfKid(kid);
    const mutual = cmd.ins === INS_MUTUAL_AUTHENTICATE;
    if (variant !== undefined && (mutual ? variant === 'b' : variant !== 'b')) {
      reject(
        SW_INCORRECT_P1P2,
        `${mutual ? 'MUTUAL' : 'INTERNAL'} AUTHENTICATE does not serve SCP11${variant}`,
      );
    }
    const keySet = this.#options.keySets.find((k) => k.kid === kid && k.kvn === kvn);
    if (variant === undefined || keySet === undefined) {
      reject(
        SW_REFERENCED_DATA_NOT_FOUND,
        `no SCP11 key set with KID ${kid.toString(16)} KVN ${kvn.toString(16)}`,
      );
    }
    const curve = keySet.keyPair.curve;

    const { controlReference, epkOce } = this.#parseAuthenticateData(cmd.data, variant);
    const keyLength = controlReference.keyLength as AesKeyLength;
    this.#checkSuite(curve, keyLength, controlReference.keyUsage);

    let pkOceEcka: Uint8Array | undefined;
    if (variant !== 'b') {
      if (oce === undefined) {
        reject(
          SW_SECURITY_STATUS_NOT_SATISFIED,
          `SCP11${variant}: no valid OCE certificate (PERFORM SECURITY OPERATION first)`,
        );
      }
      if (oce.leaf.curve.name !== curve.name) {
        reject(
          SW_SECURITY_STATUS_NOT_SATISFIED,
          `CERT.OCE.ECKA is on ${oce.leaf.curve.name}, key set ${kid.toString(16)}/${kvn.toString(16)} on ${curve.name}`,
        );
      }
      const allowlist = keySet.oceAllowlist ?? [];
      if (allowlist.length > 0 && !serialOnList(allowlist, oce.leaf.serial)) {
        reject(
          SW_SECURITY_STATUS_NOT_SATISFIED,
          `CERT.OCE.ECKA is not on the OCE allowlist of key set ${kid.toString(16)}/${kvn.toString(16)}`,
        );
      }
      pkOceEcka = oce.leaf.publicKey;
    }
    // GPC Amd F 3.1.2, card side: ShSe = ECDH(eSK.SD, ePK.OCE), ShSs = ECDH(SK.SD, PK.OCE); SCP11c uses the
    // static SK.SD in place of eSK.SD and returns PK.SD; SCP11b's PK.OCE is ePK.OCE.
    const eskSdEcka = variant === 'c' ? keySet.keyPair : generateKeyPair(curve, this.#options.rng);
    const epkOceEcka = epkOce.value;
    let shSe: Uint8Array;
    try {
      shSe = ecdh(curve, eskSdEcka.privateKey, epkOceEcka); // validates ePK.OCE.ECKA as a point of the curve
    } catch (e) {
      if (variant !== 'c') forgetEphemeral(eskSdEcka);
      if (e instanceof CryptoError) reject(SW_WRONG_DATA, `ePK.OCE.ECKA: ${e.message}`);
      throw e;
    }
    const shSs =
      pkOceEcka === undefined
        ? ecdh(curve, keySet.keyPair.privateKey, epkOceEcka)
        : this.#staticSecrets.sharedSecret(keySet.keyPair, pkOceEcka);
    const keys = deriveSessionKeys(shSe, shSs, keyLength);
    shSe.fill(0);
    shSs.fill(0);
    if (variant !== 'c') forgetEphemeral(eskSdEcka);

    const epkSdTlv = tlv(TAG_EPK, eskSdEcka.publicKey);
    const receipt = computeReceipt(keys.receiptKey, controlReference.tlv.raw, epkOce.raw, epkSdTlv);
    this.#session = new Scp11CardSession(new SecureMessaging(keys, receipt, this.#options.macLength ?? 8), {
      variant,
      kid,
      kvn,
      ...(oce !== undefined
        ? { oceCertificate: { subject: oce.leaf.subject, serial: oce.leaf.serial } }
        : {}),
    });
    return ok(concatBytes(epkSdTlv, tlv(TAG_RECEIPT, receipt)));
  }

  #parseAuthenticateData(data: Uint8Array, variant: Scp11Variant) {
    let tlvs: Tlv[];
    let controlReference: ReturnType<typeof decodeControlReference>;
    try {
      tlvs = decodeTlvs(data);
      const a6 = tlvs.find((t) => t.tag === TAG_CONTROL_REFERENCE);
      if (a6 === undefined)
        reject(SW_WRONG_DATA, 'authenticate data lacks the control reference template A6');
      controlReference = decodeControlReference(a6.raw);
    } catch (e) {
      if (e instanceof StatusWordError) throw e;
      reject(SW_WRONG_DATA, `authenticate data is not BER-TLV: ${(e as Error).message}`);
    }
    const epkOce = tlvs.find((t) => t.tag === TAG_EPK);
    if (epkOce === undefined) reject(SW_WRONG_DATA, 'authenticate data lacks 5F49 (ePK.OCE.ECKA)');
    const { scpId, i, keyType, keyLength, keyUsage } = controlReference;
    if (scpId !== SCP11_ID || i !== iParameterOf(variant)) {
      reject(
        SW_WRONG_DATA,
        `A6 tag 90 must be 11 ${iParameterOf(variant).toString(16).padStart(2, '0')} for SCP11${variant}`,
      );
    }
    if (keyUsage === undefined) reject(SW_WRONG_DATA, 'A6 lacks the key usage qualifier 95');
    if (keyType !== KEY_TYPE_AES) reject(SW_WRONG_DATA, 'A6 tag 80: key type must be 88 (AES)');
    if (keyLength === undefined || !isAesKeyLength(keyLength))
      reject(SW_WRONG_DATA, 'A6 tag 81: AES key length must be 16, 24 or 32');
    return { controlReference, epkOce };
  }

  // DESIGN.md 4.3: a suite below the card's minimum gets 6985
  #checkSuite(curve: Curve, keyLength: AesKeyLength, keyUsage: number | undefined): void {
    const allowed = this.#options.curves;
    if (allowed !== undefined && !allowed.some((c) => c.name === curve.name)) {
      reject(SW_CONDITIONS_NOT_SATISFIED, `curve ${curve.name} is not allowed by the card's policy`);
    }
    if (keyLength < this.#options.minAesKeyLength) {
      reject(
        SW_CONDITIONS_NOT_SATISFIED,
        `AES-${keyLength * 8} is below the card's minimum AES-${this.#options.minAesKeyLength * 8}`,
      );
    }
    if (keyUsage !== KEY_USAGE_SECURE_MESSAGING) {
      reject(
        SW_CONDITIONS_NOT_SATISFIED,
        `key usage ${keyUsage?.toString(16)} is below C-MAC/C-ENC/R-MAC/R-ENC (3C)`,
      );
    }
  }
}

/** eSK.SD.ECKA is done with: out of the EC cache, then wiped. */
function forgetEphemeral(esk: EcKeyPair): void {
  forgetPrivateKey(esk.curve, esk.privateKey);
  esk.privateKey.fill(0);
}
