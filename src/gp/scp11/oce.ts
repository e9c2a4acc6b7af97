// GPC Amd F 7.5-7.6: the off-card entity's side of the SCP11 handshake (the Provisioning Server's role).
// One straight function over an injected CardChannel and RandomSource; the receipt is checked before any
// session key is used.
import { concatBytes, decodeTlvs, equalBytes, tlv, toHex, wipe, type Tlv } from '../../bytes/index.js';
import { CertificateError, decodeCertificate } from '../../pki/index.js';
import {
  CryptoError,
  constantTimeEqual,
  decodePoint,
  ecdh,
  generateKeyPair,
  type Curve,
  type EcKeyPair,
  type RandomSource,
} from '../../crypto/index.js';
import {
  CLA_CHAINING,
  CLA_GP,
  SHORT_MAX_NC,
  SHORT_MAX_NE,
  transmitOk,
  type CardChannel,
  type CommandApdu,
} from '../../iso7816/index.js';
import {
  INS_INTERNAL_AUTHENTICATE,
  INS_MUTUAL_AUTHENTICATE,
  INS_PERFORM_SECURITY_OPERATION,
  KID_CA_KLOC,
  PSO_MORE_FOLLOW,
  TAG_EPK,
  TAG_RECEIPT,
} from '../constants.js';
import { SecureChannelError } from '../errors.js';
import { Scp11Channel } from './channel.js';
import {
  encodeControlReference,
  isAesKeyLength,
  kidOfVariant,
  type AesKeyLength,
  type MacLength,
  type Scp11Variant,
} from './params.js';
import { SecureMessaging, type EmptyCommandForm } from './secure-messaging.js';
import { computeReceipt, deriveSessionKeys, wipeSessionKeys } from './session-keys.js';
import { staticSharedSecret } from './static-secret-cache.js';

const RECEIPT_LENGTH = 16;

export interface Scp11OceParams {
  readonly variant: Scp11Variant;
  /** KVN of the card's SCP11 key set (MUTUAL / INTERNAL AUTHENTICATE P1). */
  readonly kvn: number;
  /** KID of the card's key set; default 11 / 13 / 15 by variant. */
  readonly kid?: number;
  readonly curve: Curve;
  readonly aesKeyLength: AesKeyLength;
  /** 8 (default) or 16 bytes of C-MAC and R-MAC. */
  readonly macLength?: MacLength;
  /** PK.SD.ECKA, from the card's verified CERT.SD.ECKA. */
  readonly pkSdEcka: Uint8Array;
  /** SK.OCE.ECKA (SCP11a, SCP11c). */
  readonly skOceEcka?: EcKeyPair;
  /** CERT.OCE.ECKA and its issuers, root side first, leaf last (SCP11a, SCP11c). */
  readonly oceCertificates?: readonly Uint8Array[];
  /** The card's CA-KLOC key that verifies the first certificate: PSO P1 = KVN, P2 = KID. Default KID 10, KVN = `kvn`. */
  readonly caKlocReference?: { readonly kid: number; readonly kvn: number };
  /** How commands without data travel; default GP's form (no data field, counter still advances). */
  readonly emptyCommand?: EmptyCommandForm;
}

function fail(message: string): never {
  throw new SecureChannelError('parameters', message);
}

function isByte(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xff;
}

function checkParams(p: Scp11OceParams): void {
  if (p.variant !== 'a' && p.variant !== 'b' && p.variant !== 'c')
    fail(`unknown SCP11 variant "${String(p.variant)}"`);
  if (!isByte(p.kvn) || p.kvn > 0x7f) fail(`KVN ${p.kvn} out of range 0..127`);
  if (p.kid !== undefined && !isByte(p.kid)) fail(`KID ${p.kid} is not a byte`);
  if (!isAesKeyLength(p.aesKeyLength)) fail(`AES key length ${p.aesKeyLength} is not 16, 24 or 32`);
  if (p.macLength !== undefined && p.macLength !== 8 && p.macLength !== 16)
    fail(`MAC length ${p.macLength} is not 8 or 16`);
  if (p.variant !== 'b') {
    if (p.skOceEcka === undefined) fail(`SCP11${p.variant} needs SK.OCE.ECKA`);
    if (p.skOceEcka.curve.name !== p.curve.name) {
      fail(`SK.OCE.ECKA is on ${p.skOceEcka.curve.name}, the card key set on ${p.curve.name}`);
    }
    if (p.oceCertificates === undefined || p.oceCertificates.length === 0) {
      fail(`SCP11${p.variant} needs the OCE certificate chain`);
    }
    const leaf = p.oceCertificates[p.oceCertificates.length - 1];
    let leafKey: Uint8Array;
    try {
      leafKey = decodeCertificate(leaf).publicKey;
    } catch (e) {
      if (e instanceof CertificateError) fail(`CERT.OCE.ECKA: ${e.message}`);
      throw e;
    }
    // Otherwise the card would compute ShSs with another key and the failure would look like the card's.
    if (!equalBytes(leafKey, p.skOceEcka.publicKey)) fail('CERT.OCE.ECKA does not certify SK.OCE.ECKA');
    const ref = p.caKlocReference;
    if (ref !== undefined && (!isByte(ref.kid) || ref.kid > 0x7f || !isByte(ref.kvn) || ref.kvn > 0x7f)) {
      fail('CA-KLOC key reference KID/KVN out of range 0..127');
    }
  }
}

// GPC Amd F 7.5: PERFORM SECURITY OPERATION, one certificate after the other, root side first. A certificate
// longer than a short APDU travels in 255-byte blocks with ISO chaining (CLA b5) and P1 b8 set on all but its
// last block; P2 b8 is set while more certificates follow.
export function performSecurityOperationCommands(
  certificates: readonly Uint8Array[],
  reference: { kid: number; kvn: number },
): CommandApdu[] {
  const out: CommandApdu[] = [];
  certificates.forEach((certificate, index) => {
    const p2 = reference.kid | (index < certificates.length - 1 ? PSO_MORE_FOLLOW : 0);
    for (let at = 0; at < certificate.length; at += SHORT_MAX_NC) {
      const more = at + SHORT_MAX_NC < certificate.length;
      out.push({
        cla: CLA_GP | (more ? CLA_CHAINING : 0),
        ins: INS_PERFORM_SECURITY_OPERATION,
        p1: reference.kvn | (more ? PSO_MORE_FOLLOW : 0),
        p2,
        data: certificate.subarray(at, at + SHORT_MAX_NC),
        ne: SHORT_MAX_NE,
      });
    }
  });
  return out;
}

interface AuthenticateResponse {
  /** The card's 5F49 TLV exactly as received (input of the receipt). */
  readonly epkSdTlv: Uint8Array;
  /** Its value, validated as a point by the ECDH that uses it. */
  readonly epkSd: Uint8Array;
  readonly receipt: Uint8Array;
}

// GPC Amd F 7.6.3: response data 5F49 <ePK.SD.ECKA> 86 10 <receipt>
function parseAuthenticateResponse(data: Uint8Array): AuthenticateResponse {
  let tlvs: Tlv[];
  try {
    tlvs = decodeTlvs(data);
  } catch (e) {
    throw new SecureChannelError(
      'malformed',
      `authenticate response is not BER-TLV: ${(e as Error).message}`,
    );
  }
  const epk = tlvs.find((t) => t.tag === TAG_EPK);
  const receipt = tlvs.find((t) => t.tag === TAG_RECEIPT);
  if (epk === undefined || receipt === undefined) {
    throw new SecureChannelError('malformed', 'authenticate response lacks 5F49 (card key) or 86 (receipt)');
  }
  if (receipt.value.length !== RECEIPT_LENGTH) {
    throw new SecureChannelError(
      'malformed',
      `receipt of ${receipt.value.length} bytes, expected ${RECEIPT_LENGTH}`,
    );
  }
  return { epkSdTlv: epk.raw, epkSd: epk.value, receipt: Uint8Array.from(receipt.value) };
}

/** ECDH with the card's key from 5F49; a value that is not a point of the curve is a malformed answer. */
function ecdhWithCardKey(curve: Curve, privateKey: Uint8Array, cardKey: Uint8Array): Uint8Array {
  try {
    return ecdh(curve, privateKey, cardKey);
  } catch (e) {
    if (e instanceof CryptoError) throw new SecureChannelError('malformed', `card key in 5F49: ${e.message}`);
    throw e;
  }
}

/** Opens an SCP11a/b/c session with the card's security domain reachable through `channel`. */
export async function openScp11(
  channel: CardChannel,
  params: Scp11OceParams,
  rng: RandomSource,
): Promise<Scp11Channel> {
  checkParams(params);
  const { variant, curve, aesKeyLength, kvn } = params;
  const kid = params.kid ?? kidOfVariant(variant);
  let pkSdEcka: Uint8Array;
  try {
    pkSdEcka = decodePoint(curve, params.pkSdEcka);
  } catch (e) {
    if (e instanceof CryptoError) fail(`PK.SD.ECKA: ${e.message}`);
    throw e;
  }

  // GPC Amd F 7.5: the OCE certificate chain (SCP11a, SCP11c)
  if (variant !== 'b') {
    const reference = params.caKlocReference ?? { kid: KID_CA_KLOC, kvn };
    for (const pso of performSecurityOperationCommands(params.oceCertificates ?? [], reference)) {
      await transmitOk(channel, pso, 'PERFORM SECURITY OPERATION (OCE certificate)');
    }
  }

  // GPC Amd F 7.6: MUTUAL AUTHENTICATE (11a, 11c) or INTERNAL AUTHENTICATE (11b) with ePK.OCE.ECKA
  const eskOceEcka = generateKeyPair(curve, rng);
  const controlReference = encodeControlReference(variant, aesKeyLength);
  const epkOceTlv = tlv(TAG_EPK, eskOceEcka.publicKey);
  const ins = variant === 'b' ? INS_INTERNAL_AUTHENTICATE : INS_MUTUAL_AUTHENTICATE;
  const name = variant === 'b' ? 'INTERNAL AUTHENTICATE' : 'MUTUAL AUTHENTICATE';
  const response = await transmitOk(
    channel,
    { cla: CLA_GP, ins, p1: kvn, p2: kid, data: concatBytes(controlReference, epkOceTlv), ne: SHORT_MAX_NE },
    name,
  );
  const { epkSdTlv, epkSd, receipt } = parseAuthenticateResponse(response);
  // GPC Amd F 7.1.1: in SCP11c the card answers with its static key, which must be the certified one.
  if (variant === 'c' && !constantTimeEqual(epkSd, pkSdEcka)) {
    throw new SecureChannelError(
      'malformed',
      'SCP11c: the card key in 5F49 is not PK.SD.ECKA of its certificate',
    );
  }

  // GPC Amd F 3.1.2: Z = ShSe || ShSs (SCP11b: eSK.OCE also plays SK.OCE)
  const shSe = ecdhWithCardKey(curve, eskOceEcka.privateKey, epkSd);
  const shSs =
    variant === 'b'
      ? ecdh(curve, eskOceEcka.privateKey, pkSdEcka)
      : staticSharedSecret(params.skOceEcka as EcKeyPair, pkSdEcka);
  const keys = deriveSessionKeys(shSe, shSs, aesKeyLength);
  wipe(shSe, shSs, eskOceEcka.privateKey);

  const expected = computeReceipt(keys.receiptKey, controlReference, epkOceTlv, epkSdTlv);
  if (!constantTimeEqual(expected, receipt)) {
    wipeSessionKeys(keys);
    throw new SecureChannelError(
      'receipt',
      `${name}: receipt mismatch (the card does not hold the key of PK.SD.ECKA ${toHex(pkSdEcka).slice(2, 18)}..., or the exchange was altered)`,
    );
  }
  const sm = new SecureMessaging(keys, receipt, params.macLength ?? 8);
  return new Scp11Channel(channel, sm, {
    variant,
    kid,
    kvn,
    receipt,
    emptyCommand: params.emptyCommand ?? 'no-data',
  });
}
