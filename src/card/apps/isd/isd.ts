// The Issuer Security Domain (GPC 2.3 chapter 9, Amd F): SELECT, GET DATA (00E0, BF21, BF30, FF33), GET STATUS,
// SCP11 (PERFORM SECURITY OPERATION, MUTUAL / INTERNAL AUTHENTICATE through Scp11SecurityDomain) and the key
// update protocol of DESIGN.md 4.5 by STORE DATA inside the secure channel, and CA-KLOC rotation by PUT KEY /
// DELETE (GPC 2.3 11.8 / 11.2, issue 13) inside it.
import { decodeTlvs, tlv, TlvError } from '../../../bytes/index.js';
import {
  CLA_SECURE_MESSAGING,
  SW_INCORRECT_P1P2,
  SW_INS_NOT_SUPPORTED,
  SW_OK,
  SW_REFERENCED_DATA_NOT_FOUND,
  SW_SECURITY_STATUS_NOT_SATISFIED,
  SW_WRONG_DATA,
  StatusWordError,
  type CommandApdu,
  type ResponseApdu,
} from '../../../iso7816/index.js';
import {
  INS_DELETE,
  INS_GET_DATA,
  INS_GET_STATUS,
  INS_PUT_KEY,
  INS_INTERNAL_AUTHENTICATE,
  INS_MUTUAL_AUTHENTICATE,
  INS_PERFORM_SECURITY_OPERATION,
  INS_STORE_DATA,
  ISD_AID,
  P1_STORE_DATA_LAST_BERTLV,
  P1_STORE_DATA_LAST_BERTLV_RESPONSE,
  SECURITY_LEVEL_AUTHENTICATED,
  SECURITY_LEVEL_C_DECRYPTION,
  SECURITY_LEVEL_C_MAC,
  TAG_CA_KLOC_IDS,
  TAG_CAPABILITIES,
  TAG_CERT_STORE,
  TAG_CONTROL_REFERENCE,
  TAG_DENY_LIST_UPDATE,
  TAG_KEY_INFO_TEMPLATE,
} from '../../../gp/constants.js';
import { Scp11SecurityDomain, type Scp11CardSession } from '../../../gp/scp11/index.js';
import { DataObjectError, decodeKeyReferenceQuery } from '../../../gp/data-objects/index.js';
import { storeOceAllowlist } from './oce-allowlist.js';
import { storeDenyList } from './deny-list.js';
import { deleteCaKlocKey, putCaKlocKey } from './ca-kloc-keys.js';
import {
  TAG_KEY_STATUS_REQUEST,
  TAG_KEY_UPDATE_REQUEST,
  describeOutcome,
} from '../../../gp/key-update/index.js';
import { trustAnchor, type TrustAnchor } from '../../../pki/index.js';
import { curveByName } from '../../../crypto/index.js';
import type { CardApplication } from '../../application.js';
import type { CardContext } from '../../context.js';
import type { CardImage } from '../../image.js';
import { TAG_FCI, type ElementaryFile } from '../../files.js';
import {
  caKlocIdentifiersObject,
  capabilitiesObject,
  certificateStoreObject,
  keyInformationObject,
  ownNegotiationDigest,
} from './data-objects.js';
import { getStatus } from './get-status.js';
import { decideKeyUpdate, keyStatus } from './key-update.js';

const TAG_DF_NAME = 0x84;
const TAG_PROPRIETARY = 0xa5;
/** GPC 2.3 11.1.7: maximum length of data field in command message. */
const TAG_MAX_COMMAND_LENGTH = 0x9f65;
/** GPC 2.3 11.11.2.2: P2 is the block number; DESIGN.md 4.5 sends every request as block 0. */
const P2_STORE_DATA_BLOCK_0 = 0x00;
/** DESIGN.md 4.5 / issue 13: STORE DATA, PUT KEY and DELETE need C-MAC, C-DECRYPTION and an authenticated OCE. */
const KEY_UPDATE_SECURITY_LEVEL =
  SECURITY_LEVEL_C_MAC | SECURITY_LEVEL_C_DECRYPTION | SECURITY_LEVEL_AUTHENTICATED;
/** Commands that (re)start a handshake and are accepted without secure messaging. */
const HANDSHAKE_INS = [INS_PERFORM_SECURITY_OPERATION, INS_MUTUAL_AUTHENTICATE, INS_INTERNAL_AUTHENTICATE];

function ok(data: Uint8Array = new Uint8Array(0)): ResponseApdu {
  return { data, sw: SW_OK };
}

// GPC Amd F 6.4 / issue 13: the trust anchors follow the image's CA-KLOC keys (PUT KEY / DELETE replace them)
function caKlocAnchors(): (image: CardImage) => TrustAnchor[] {
  let last: { image: CardImage; anchors: TrustAnchor[] } | undefined;
  return (image) => {
    if (last?.image.caKloc !== image.caKloc) {
      const anchors = image.caKloc.map((c) =>
        trustAnchor(c.curve, c.publicKey, { kvn: c.kvn, ...(c.name ? { name: c.name } : {}) }),
      );
      last = { image, anchors };
    }
    return last.anchors;
  };
}

function requireAuthenticated(session: Scp11CardSession | undefined, what: string): Scp11CardSession {
  if (
    session === undefined ||
    (session.securityLevel & KEY_UPDATE_SECURITY_LEVEL) !== KEY_UPDATE_SECURITY_LEVEL
  ) {
    throw new StatusWordError(
      SW_SECURITY_STATUS_NOT_SATISFIED,
      `${what} outside an authenticated SCP11 session`,
    );
  }
  return session;
}

export class IssuerSecurityDomain implements CardApplication {
  readonly aid = ISD_AID;
  readonly label = 'ISD';
  readonly #context: CardContext;
  readonly #sd: Scp11SecurityDomain;

  constructor(context: CardContext) {
    this.#context = context;
    const anchors = caKlocAnchors();
    this.#sd = new Scp11SecurityDomain({
      // read at each use: a STORE DATA allowlist update replaces the image's key sets
      get keySets() {
        return context.image.keySets;
      },
      // read at each use: PUT KEY / DELETE of a CA-KLOC key replace the image's CA-KLOC entries
      get caKloc() {
        return anchors(context.image);
      },
      // read at each use: a STORE DATA allowlist update on KID 10 replaces the image's CA-KLOC entries
      get caKlocAllowlists() {
        return context.image.caKloc.map((c) => ({ kvn: c.kvn, serials: c.oceAllowlist ?? [] }));
      },
      // read at each use: a STORE DATA BF74 deny list update replaces the image's deny list
      get denyList() {
        return context.image.denyList;
      },
      clock: context.clock,
      rng: context.rng,
      minAesKeyLength: context.image.settings.minAesKeyLength,
      curves: context.image.settings.keyUpdateCurves.map((n) => curveByName(n)),
      staticSecrets: context.staticSecrets,
      verifiedCertificates: context.verifiedCertificates,
    });
  }

  /** The open SCP11 session, if any (for tests and `card show`). */
  get session(): Scp11CardSession | undefined {
    return this.#sd.session;
  }

  files(): readonly ElementaryFile[] {
    return [];
  }

  // GPC 2.3 11.9.3.1: FCI 6F{84 AID, A5{9F65 max command data length}}
  select(): Uint8Array {
    this.#sd.reset();
    return tlv(
      TAG_FCI,
      tlv(TAG_DF_NAME, this.aid),
      tlv(TAG_PROPRIETARY, tlv(TAG_MAX_COMMAND_LENGTH, Uint8Array.of(0xff))),
    );
  }

  deselect(): void {
    this.#sd.reset();
  }

  reset(): void {
    this.#sd.reset();
  }

  process(cmd: CommandApdu): ResponseApdu {
    if (HANDSHAKE_INS.includes(cmd.ins) && (cmd.cla & CLA_SECURE_MESSAGING) === 0)
      return this.#handshake(cmd);
    const session = this.#sd.session;
    if ((cmd.cla & CLA_SECURE_MESSAGING) !== 0) {
      if (session === undefined) {
        throw new StatusWordError(
          SW_SECURITY_STATUS_NOT_SATISFIED,
          'secure messaging without an open session',
        );
      }
      const plain = session.unwrapCommand(cmd);
      let response: ResponseApdu;
      try {
        response = this.#command(plain, session);
      } catch (e) {
        if (!(e instanceof StatusWordError)) throw e;
        response = { data: new Uint8Array(0), sw: e.sw };
      }
      return session.wrapResponse(response);
    }
    if (session !== undefined) {
      // GPC 2.3 10.2.3: a command below the session's security level ends the session.
      this.#sd.reset();
      throw new StatusWordError(SW_SECURITY_STATUS_NOT_SATISFIED, 'plain command inside an SCP11 session');
    }
    return this.#command(cmd, undefined);
  }

  #handshake(cmd: CommandApdu): ResponseApdu {
    return cmd.ins === INS_PERFORM_SECURITY_OPERATION
      ? this.#sd.performSecurityOperation(cmd)
      : this.#sd.authenticate(cmd);
  }

  #command(cmd: CommandApdu, session: Scp11CardSession | undefined): ResponseApdu {
    switch (cmd.ins) {
      case INS_GET_DATA:
        return ok(this.#getData(cmd));
      case INS_GET_STATUS:
        if (session === undefined)
          throw new StatusWordError(SW_SECURITY_STATUS_NOT_SATISFIED, 'GET STATUS outside SCP11');
        return ok(getStatus(this.#context.image, cmd.p1, cmd.p2, cmd.data));
      case INS_STORE_DATA:
        return ok(this.#storeData(cmd, session));
      case INS_PUT_KEY:
        requireAuthenticated(session, 'PUT KEY');
        return ok(putCaKlocKey(cmd, this.#context));
      case INS_DELETE:
        requireAuthenticated(session, 'DELETE');
        return ok(deleteCaKlocKey(cmd, this.#context));
      default:
        if (HANDSHAKE_INS.includes(cmd.ins)) {
          throw new StatusWordError(
            SW_SECURITY_STATUS_NOT_SATISFIED,
            'handshake commands travel without secure messaging',
          );
        }
        throw new StatusWordError(SW_INS_NOT_SUPPORTED, `ISD: INS ${cmd.ins.toString(16)} not supported`);
    }
  }

  // GPC 2.3 11.3: the tag is P1 P2
  #getData(cmd: CommandApdu): Uint8Array {
    const image = this.#context.image;
    const tag = (cmd.p1 << 8) | cmd.p2;
    switch (tag) {
      case TAG_KEY_INFO_TEMPLATE:
        return keyInformationObject(image);
      case TAG_CAPABILITIES:
        return capabilitiesObject(image);
      case TAG_CA_KLOC_IDS:
        return caKlocIdentifiersObject(image);
      case TAG_CERT_STORE: {
        let ref;
        try {
          ref = decodeKeyReferenceQuery(cmd.data);
        } catch (e) {
          if (e instanceof DataObjectError)
            throw new StatusWordError(SW_WRONG_DATA, `GET DATA BF21: ${e.message}`);
          throw e;
        }
        const keySet = image.keySets.find((k) => k.kid === ref.kid && k.kvn === ref.kvn);
        if (keySet === undefined) {
          throw new StatusWordError(
            SW_REFERENCED_DATA_NOT_FOUND,
            `GET DATA BF21: no key set ${ref.kid}/${ref.kvn}`,
          );
        }
        return certificateStoreObject(image, keySet);
      }
      default:
        throw new StatusWordError(
          SW_REFERENCED_DATA_NOT_FOUND,
          `GET DATA: no data object ${tag.toString(16)}`,
        );
    }
  }

  // DESIGN.md 4.5: 80 E2 91 00 inside SCP11a/c with C-MAC and C-DECRYPTION; BF70 or BF72, or (GPC Amd F 7.5,
  // P1 90 or 91) A6{83} 70{93...}, the OCE allowlist of a key set, or (issue 13) BF74, the deny list
  #storeData(cmd: CommandApdu, openSession: Scp11CardSession | undefined): Uint8Array {
    const session = requireAuthenticated(openSession, 'STORE DATA');
    let tag: number;
    try {
      tag = decodeTlvs(cmd.data)[0]?.tag ?? -1;
    } catch (e) {
      if (e instanceof TlvError) throw new StatusWordError(SW_WRONG_DATA, `STORE DATA: ${e.message}`);
      throw e;
    }
    const allowlist = tag === TAG_CONTROL_REFERENCE;
    const denyList = tag === TAG_DENY_LIST_UPDATE;
    const p1Ok =
      cmd.p1 === P1_STORE_DATA_LAST_BERTLV_RESPONSE ||
      ((allowlist || denyList) && cmd.p1 === P1_STORE_DATA_LAST_BERTLV);
    if (!p1Ok || cmd.p2 !== P2_STORE_DATA_BLOCK_0) {
      throw new StatusWordError(
        SW_INCORRECT_P1P2,
        'STORE DATA: only P1 91 (or 90 for A6 and BF74) P2 00 is supported',
      );
    }
    if (allowlist) return storeOceAllowlist(cmd.data, this.#context);
    if (denyList) return storeDenyList(cmd.data, this.#context);
    const image = this.#context.image;
    if (tag === TAG_KEY_STATUS_REQUEST) return keyStatus(cmd.data, image);
    if (tag !== TAG_KEY_UPDATE_REQUEST)
      throw new StatusWordError(SW_WRONG_DATA, 'STORE DATA: neither BF70 nor BF72');
    const decision = decideKeyUpdate(cmd.data, {
      image,
      ownDigest: ownNegotiationDigest(image),
      unwrapKey: (wrapped) => session.unwrapKey(wrapped),
    });
    if (decision.next !== undefined) this.#context.commit(decision.next);
    this.#context.logger.info(
      { event: 'key-update', outcome: describeOutcome(decision.outcome), retry: decision.retry === true },
      'key update request',
    );
    return decision.result;
  }
}
