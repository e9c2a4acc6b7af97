// GPC Amd F 7.5-7.6: the off-card entity's side of the SCP11 handshake (the Provisioning Server's role), in two
// steps that fit a batched transport: beginScp11 makes the commands (PSO chain, MUTUAL / INTERNAL AUTHENTICATE)
// and holds eSK.OCE.ECKA; finishScp11 takes the card's answers and PK.SD.ECKA, checks the receipt before any
// session key is used, and drops eSK.OCE.ECKA. openScp11 is the two over an interactive CardChannel.
import { concatBytes, decodeTlvs, tlv, toHex, wipe, type Tlv } from '../../bytes/index.js';
import {
  CryptoError,
  EcdhKey,
  constantTimeEqual,
  type EcKeyPair,
  type RandomSource,
} from '../../crypto/index.js';
import {
  CLA_CHAINING,
  CLA_GP,
  SHORT_MAX_NC,
  SHORT_MAX_NE,
  SW_OK,
  StatusWordError,
  transmitOk,
  type CardChannel,
  type CommandApdu,
  type ResponseApdu,
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
  checkHandshakeParams,
  decodePkSdEcka,
  type Scp11HandshakeParams,
  type Scp11OceParams,
} from './oce-params.js';
import { encodeControlReference, kidOfVariant } from './params.js';
import { SecureMessaging } from './secure-messaging.js';
import { computeReceipt, deriveSessionKeys, wipeSessionKeys } from './session-keys.js';
import { staticSharedSecret } from './static-secret-cache.js';

const RECEIPT_LENGTH = 16;
const PSO_NAME = 'PERFORM SECURITY OPERATION (OCE certificate)';

/** A handshake whose commands went (or are going) to the card; finished or abandoned exactly once. */
export interface Scp11OceState {
  readonly params: Scp11HandshakeParams;
  readonly kid: number;
  /** What each command is, for errors: the PSO chain, then MUTUAL / INTERNAL AUTHENTICATE (last). */
  readonly names: readonly string[];
  /** A6, as sent (input of the receipt). */
  readonly controlReference: Uint8Array;
  /** 5F49 ePK.OCE.ECKA, as sent (input of the receipt). */
  readonly epkOceEcka: Uint8Array;
  /** eSK.OCE.ECKA; undefined (and wiped) once the handshake is finished or abandoned. */
  eskOceEcka: EcKeyPair | undefined;
  /** eSK.OCE.ECKA in its ECDH context (imported once); disposed with it. */
  eskOceEckaKey: EcdhKey | undefined;
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

/** The commands of the handshake, in order, and the state finishScp11 needs (parameters already checked). */
function begin(
  params: Scp11HandshakeParams,
  rng: RandomSource,
): { commands: CommandApdu[]; state: Scp11OceState } {
  const { variant, curve, aesKeyLength, kvn } = params;
  const kid = params.kid ?? kidOfVariant(variant);

  // GPC Amd F 7.5: the OCE certificate chain (SCP11a, SCP11c)
  const pso =
    variant === 'b'
      ? []
      : performSecurityOperationCommands(
          params.oceCertificates ?? [],
          params.caKlocReference ?? { kid: KID_CA_KLOC, kvn },
        );

  // GPC Amd F 7.6.2: MUTUAL AUTHENTICATE (11a, 11c) or INTERNAL AUTHENTICATE (11b): A6 || 5F49 ePK.OCE.ECKA
  const eskOceEckaKey = EcdhKey.generate(curve, rng);
  const eskOceEcka = eskOceEckaKey.keyPair;
  const controlReference = encodeControlReference(variant, aesKeyLength);
  const epkOceEcka = tlv(TAG_EPK, eskOceEcka.publicKey);
  const ins = variant === 'b' ? INS_INTERNAL_AUTHENTICATE : INS_MUTUAL_AUTHENTICATE;
  const authenticate: CommandApdu = {
    cla: CLA_GP,
    ins,
    p1: kvn,
    p2: kid,
    data: concatBytes(controlReference, epkOceEcka),
    ne: SHORT_MAX_NE,
  };
  const names = [
    ...pso.map(() => PSO_NAME),
    variant === 'b' ? 'INTERNAL AUTHENTICATE' : 'MUTUAL AUTHENTICATE',
  ];
  return {
    commands: [...pso, authenticate],
    state: { params, kid, names, controlReference, epkOceEcka, eskOceEcka, eskOceEckaKey },
  };
}

/** Step 1: the handshake's commands, to send in order (in one batch if the transport wants). */
export function beginScp11(
  params: Scp11HandshakeParams,
  rng: RandomSource,
): { commands: CommandApdu[]; state: Scp11OceState } {
  checkHandshakeParams(params);
  return begin(params, rng);
}

/** Drops eSK.OCE.ECKA from the state: its context disposed, its scalar wiped. */
function dropEphemeral(state: Scp11OceState): void {
  const esk = state.eskOceEcka;
  state.eskOceEckaKey?.dispose();
  state.eskOceEcka = undefined;
  state.eskOceEckaKey = undefined;
  if (esk !== undefined) wipe(esk.privateKey);
}

/** The handshake will not be finished: eSK.OCE.ECKA is wiped. Idempotent. */
export function abandonScp11(state: Scp11OceState): void {
  dropEphemeral(state);
}

interface AuthenticateResponse {
  /** The card's 5F49 TLV exactly as received (input of the receipt). */
  readonly epkSdEckaTlv: Uint8Array;
  /** Its value, validated as a point by the ECDH that uses it. */
  readonly epkSdEcka: Uint8Array;
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
  return { epkSdEckaTlv: epk.raw, epkSdEcka: epk.value, receipt: Uint8Array.from(receipt.value) };
}

/** ECDH with the card's key from 5F49; a value that is not a point of the curve is a malformed answer. */
function ecdhWithCardKey(esk: EcdhKey, cardKey: Uint8Array): Uint8Array {
  try {
    return esk.sharedSecret(cardKey);
  } catch (e) {
    if (e instanceof CryptoError) throw new SecureChannelError('malformed', `card key in 5F49: ${e.message}`);
    throw e;
  }
}

/** The response data of the last command, once every command of the handshake answered 9000. */
function authenticateResponseData(state: Scp11OceState, responses: readonly ResponseApdu[]): Uint8Array {
  state.names.forEach((name, i) => {
    const r = responses[i];
    if (r === undefined) throw new SecureChannelError('malformed', `${name}: no response from the card`);
    if (r.sw !== SW_OK) throw new StatusWordError(r.sw, name);
  });
  return responses[state.names.length - 1].data;
}

/**
 * Step 2: the card's answers to beginScp11's commands (in order), PK.SD.ECKA from its verified certificate, and
 * the channel later commands travel on. eSK.OCE.ECKA is wiped whatever the result.
 */
export function finishScp11(
  state: Scp11OceState,
  responses: readonly ResponseApdu[],
  pkSdEcka: Uint8Array,
  next: CardChannel,
): Scp11Channel {
  const eskOceEcka = state.eskOceEckaKey;
  if (eskOceEcka === undefined || state.eskOceEcka === undefined) {
    throw new SecureChannelError('parameters', 'SCP11 handshake already finished or abandoned');
  }
  try {
    return finish(state, eskOceEcka, responses, pkSdEcka, next);
  } finally {
    dropEphemeral(state);
  }
}

function finish(
  state: Scp11OceState,
  eskOceEcka: EcdhKey,
  responses: readonly ResponseApdu[],
  pkSdEckaBytes: Uint8Array,
  next: CardChannel,
): Scp11Channel {
  const { params, kid, names, controlReference, epkOceEcka } = state;
  const { variant, curve, aesKeyLength, kvn } = params;
  const pkSdEcka = decodePkSdEcka(curve, pkSdEckaBytes);

  // GPC Amd F 7.6.3: the card's answer, 5F49 ePK.SD.ECKA (SCP11c: PK.SD.ECKA) and 86 receipt
  const { epkSdEckaTlv, epkSdEcka, receipt } = parseAuthenticateResponse(
    authenticateResponseData(state, responses),
  );
  // GPC Amd F 7.1.1: in SCP11c the card answers with its static key, which must be the certified one.
  if (variant === 'c' && !constantTimeEqual(epkSdEcka, pkSdEcka)) {
    throw new SecureChannelError(
      'malformed',
      'SCP11c: the card key in 5F49 is not PK.SD.ECKA of its certificate',
    );
  }

  // GPC Amd F 3.1.2: Z = ShSe || ShSs (SCP11b: eSK.OCE.ECKA also plays SK.OCE.ECKA)
  const shSe = ecdhWithCardKey(eskOceEcka, epkSdEcka);
  const shSs =
    variant === 'b'
      ? eskOceEcka.sharedSecret(pkSdEcka)
      : staticSharedSecret(params.staticSecrets, params.skOceEcka as EcKeyPair, pkSdEcka);
  const keys = deriveSessionKeys(shSe, shSs, aesKeyLength);
  wipe(shSe, shSs);

  // GPC Amd F 6.5.2.3: the receipt, checked before any session key is used
  const expected = computeReceipt(keys.receiptKey, controlReference, epkOceEcka, epkSdEckaTlv);
  if (!constantTimeEqual(expected, receipt)) {
    wipeSessionKeys(keys);
    throw new SecureChannelError(
      'receipt',
      `${names[names.length - 1]}: receipt mismatch (the card does not hold the key of PK.SD.ECKA ${toHex(pkSdEcka).slice(2, 18)}..., or the exchange was altered)`,
    );
  }
  const sm = new SecureMessaging(keys, receipt, params.macLength ?? 8);
  return new Scp11Channel(next, sm, {
    variant,
    kid,
    kvn,
    receipt,
    emptyCommand: params.emptyCommand ?? 'no-data',
  });
}

/** Opens an SCP11a/b/c session with the card's security domain reachable through `channel`, one command at a time. */
export async function openScp11(
  channel: CardChannel,
  params: Scp11OceParams,
  rng: RandomSource,
): Promise<Scp11Channel> {
  checkHandshakeParams(params);
  const pkSdEcka = decodePkSdEcka(params.curve, params.pkSdEcka);
  const { commands, state } = begin(params, rng);
  const responses: ResponseApdu[] = [];
  try {
    for (const [i, command] of commands.entries()) {
      responses.push({ data: await transmitOk(channel, command, state.names[i]), sw: SW_OK });
    }
  } catch (e) {
    abandonScp11(state);
    throw e;
  }
  return finishScp11(state, responses, pkSdEcka, channel);
}
