// The virtual UICC/eUICC: the card OS that routes commands to the selected application (ISD or a profile's
// USIM), the file model (ETSI TS 102 221 11.1.1 SELECT, 11.1.3 READ BINARY, 11.1.5 READ RECORD), the ATR, and
// the image it persists after every change. As a CardChannel it serves in-process hosts.
import type { RandomSource } from '../crypto/index.js';
import type { StaticSecretCache } from '../gp/scp11/index.js';
import {
  decodeResponse,
  encodeCommand,
  INS_READ_BINARY,
  INS_READ_RECORD,
  INS_SELECT,
  SW_COMMAND_NOT_ALLOWED_NO_EF,
  SW_FILE_NOT_FOUND,
  SW_INCORRECT_P1P2,
  SW_INS_NOT_SUPPORTED,
  SW_MEMORY_FAILURE,
  SW_OK,
  SW_RECORD_NOT_FOUND,
  SW_WRONG_DATA,
  SW_WRONG_P1P2,
  StatusWordError,
  type CardChannel,
  type CommandApdu,
  type ResponseApdu,
} from '../iso7816/index.js';
import type { VerifiedCertificateCache } from '../pki/index.js';
import { silentLogger, type Clock, type Logger } from '../ports/index.js';
import type { CardApplication } from './application.js';
import { IssuerSecurityDomain } from './apps/isd/isd.js';
import { UsimApplication } from './apps/usim/usim.js';
import type { CardContext } from './context.js';
import { ApduDispatcher } from './dispatcher.js';
import {
  efDirRecord,
  EF_DIR_RECORD_LENGTH,
  fcpOfEf,
  fcpOfMf,
  FID_CURRENT_ADF,
  FID_EF_DIR,
  FID_EF_ICCID,
  FID_MF,
  type ElementaryFile,
} from './files.js';
import type { CardImage } from './image.js';
import { iccidBytes } from './profile.js';
import type { CardStore } from './store.js';

// ISO/IEC 7816-4 11.1.1 SELECT P1
export const P1_SELECT_BY_FID = 0x00;
export const P1_SELECT_BY_DF_NAME = 0x04;
export const P1_SELECT_PATH_FROM_MF = 0x08;
export const P1_SELECT_PATH_FROM_CURRENT = 0x09;
// SELECT P2: b2-b1 occurrence, b4-b3 what to return
const P2_OCCURRENCE_MASK = 0x03;
const P2_FIRST = 0x00;
const P2_NEXT = 0x02;
const P2_RESPONSE_MASK = 0x0c;
const P2_NO_RESPONSE = 0x0c;
/** ISO/IEC 7816-4 READ RECORD P2 = 04: record number in P1. */
const P2_RECORD_ABSOLUTE = 0x04;
const SW_INCOMPATIBLE_FILE_STRUCTURE = 0x6981;
const SW_END_OF_FILE = 0x6282;
const MAX_AID_LENGTH = 16;

/** ATR (ISO/IEC 7816-3 8.2): direct convention, T=1 only (TD1 = 01), historical bytes "ltku", TCK. */
export function cardAtr(): Uint8Array {
  const historical = new TextEncoder().encode('ltku');
  const body = [0x80 | historical.length, 0x01, ...historical];
  const tck = body.reduce((x, b) => x ^ b, 0);
  return Uint8Array.from([0x3b, ...body, tck]);
}

export interface VirtualCardOptions {
  readonly store: CardStore;
  readonly clock: Clock;
  readonly rng: RandomSource;
  readonly logger?: Logger;
  /** Where the ISD remembers ShSs; share one between cards of the same image (default: the card's own). */
  readonly staticSecrets?: StaticSecretCache;
  /** OCE certificate signatures the ISD already verified; share one like staticSecrets (default: the card's own). */
  readonly verifiedCertificates?: VerifiedCertificateCache;
}

interface Selection {
  /** The selected application (its ADF is the current DF); undefined: the MF. */
  readonly app?: CardApplication;
  readonly ef?: ElementaryFile;
}

function startsWith(aid: Uint8Array, prefix: Uint8Array): boolean {
  return prefix.length <= aid.length && prefix.every((b, i) => aid[i] === b);
}

export class VirtualCard implements CardChannel {
  readonly atr = cardAtr();
  #image: CardImage;
  readonly #store: CardStore;
  readonly #logger: Logger;
  readonly #isd: IssuerSecurityDomain;
  readonly #applications: CardApplication[];
  readonly #dispatcher: ApduDispatcher;
  #selection: Selection;

  constructor(image: CardImage, options: VirtualCardOptions) {
    this.#image = image;
    this.#store = options.store;
    this.#logger = options.logger ?? silentLogger;
    const card = this;
    const context: CardContext = {
      get image() {
        return card.#image;
      },
      commit: (next) => this.#commit(next),
      clock: options.clock,
      rng: options.rng,
      logger: this.#logger,
      staticSecrets: options.staticSecrets,
      verifiedCertificates: options.verifiedCertificates,
    };
    this.#isd = new IssuerSecurityDomain(context);
    this.#applications = [this.#isd, ...image.profiles.map((_, i) => new UsimApplication(context, i))];
    this.#dispatcher = new ApduDispatcher((cmd) => this.#execute(cmd), this.#logger);
    this.#selection = { app: this.#isd };
  }

  get image(): CardImage {
    return this.#image;
  }

  get isd(): IssuerSecurityDomain {
    return this.#isd;
  }

  /** Power cycle: selections, sessions, chains and pending responses are gone; the ISD is selected (GPC 2.3 9.3). */
  reset(): Uint8Array {
    this.#selection.app?.deselect();
    this.#dispatcher.reset();
    this.#selection = { app: this.#isd };
    return this.atr;
  }

  /** Any bytes in, a response APDU out; never throws. */
  processApdu(command: Uint8Array): Uint8Array {
    return this.#dispatcher.process(command);
  }

  async transmit(command: CommandApdu): Promise<ResponseApdu> {
    return decodeResponse(this.processApdu(encodeCommand(command)));
  }

  /** Lets go of the image (releases the image file's lock); later changes cannot be stored (6581). */
  close(): void {
    this.#store.close?.();
  }

  #commit(next: CardImage): void {
    try {
      this.#store.save(next);
    } catch (e) {
      this.#logger.error({ error: (e as Error)?.name }, 'card image could not be stored');
      throw new StatusWordError(SW_MEMORY_FAILURE, 'card image could not be stored');
    }
    this.#image = next;
  }

  #execute(cmd: CommandApdu): ResponseApdu {
    switch (cmd.ins) {
      case INS_SELECT:
        return this.#select(cmd);
      case INS_READ_BINARY:
        if (this.#selection.app === this.#isd) break;
        return this.#readBinary(cmd);
      case INS_READ_RECORD:
        if (this.#selection.app === this.#isd) break;
        return this.#readRecord(cmd);
    }
    const app = this.#selection.app;
    if (app === undefined) throw new StatusWordError(SW_INS_NOT_SUPPORTED, 'no application selected');
    return app.process(cmd);
  }

  // ------------------------------------------------------------------------------------------------ files

  #mfFiles(): ElementaryFile[] {
    const usims = this.#applications.filter((a) => a !== this.#isd);
    return [
      {
        fid: FID_EF_DIR,
        name: 'EF.DIR',
        structure: 'linear-fixed',
        recordLength: EF_DIR_RECORD_LENGTH,
        records: usims.map((a, i) => efDirRecord(a.aid, `USIM ${i + 1}`)),
      },
      {
        fid: FID_EF_ICCID,
        name: 'EF.ICCID',
        structure: 'transparent',
        // TS 102 221 13.2: the ICCID of the card; with several profiles, that of the first (or the selected USIM's)
        data: iccidBytes(this.#iccidProfile().iccid),
      },
    ];
  }

  #iccidProfile() {
    const app = this.#selection.app;
    const index = app instanceof UsimApplication ? this.#applications.indexOf(app) - 1 : 0;
    return this.#image.profiles[Math.max(0, index)] ?? { iccid: '0'.repeat(20) };
  }

  #findFile(fid: number): ElementaryFile | undefined {
    return (
      this.#selection.app?.files().find((f) => f.fid === fid) ?? this.#mfFiles().find((f) => f.fid === fid)
    );
  }

  #selectResponse(p2: number, fcp: Uint8Array): ResponseApdu {
    return { data: (p2 & P2_RESPONSE_MASK) === P2_NO_RESPONSE ? new Uint8Array(0) : fcp, sw: SW_OK };
  }

  // ISO/IEC 7816-4 11.1.1, TS 102 221 11.1.1
  #select(cmd: CommandApdu): ResponseApdu {
    switch (cmd.p1) {
      case P1_SELECT_BY_DF_NAME:
        return this.#selectByAid(cmd);
      case P1_SELECT_BY_FID:
        if (cmd.data.length !== 2) throw new StatusWordError(SW_WRONG_DATA, 'SELECT by FID needs 2 bytes');
        return this.#selectResponse(cmd.p2, this.#selectFid((cmd.data[0] << 8) | cmd.data[1]));
      case P1_SELECT_PATH_FROM_MF:
      case P1_SELECT_PATH_FROM_CURRENT: {
        if (cmd.data.length === 0 || cmd.data.length % 2 !== 0) {
          throw new StatusWordError(SW_WRONG_DATA, 'SELECT by path needs pairs of FID bytes');
        }
        if (cmd.p1 === P1_SELECT_PATH_FROM_MF) this.#selectFid(FID_MF);
        let fcp: Uint8Array = new Uint8Array(0);
        for (let i = 0; i < cmd.data.length; i += 2)
          fcp = this.#selectFid((cmd.data[i] << 8) | cmd.data[i + 1]);
        return this.#selectResponse(cmd.p2, fcp);
      }
      default:
        throw new StatusWordError(SW_INCORRECT_P1P2, `SELECT P1 ${cmd.p1.toString(16)} not supported`);
    }
  }

  #selectFid(fid: number): Uint8Array {
    if (fid === FID_MF) {
      this.#selection.app?.deselect();
      this.#selection = {};
      return fcpOfMf();
    }
    const app = this.#selection.app;
    if (fid === FID_CURRENT_ADF) {
      if (app === undefined || app === this.#isd)
        throw new StatusWordError(SW_FILE_NOT_FOUND, 'no ADF selected');
      this.#selection = { app };
      return app.select();
    }
    const ef = this.#findFile(fid);
    if (ef === undefined) throw new StatusWordError(SW_FILE_NOT_FOUND, `no file ${fid.toString(16)}`);
    this.#selection = { ...(app === undefined || app === this.#isd ? {} : { app }), ef };
    if (app === this.#isd) app.deselect();
    return fcpOfEf(ef);
  }

  // By full or right-truncated AID; P2 b2 = next occurrence; no data = the ISD (GPC 2.3 11.9.2.2)
  #selectByAid(cmd: CommandApdu): ResponseApdu {
    const occurrence = cmd.p2 & P2_OCCURRENCE_MASK;
    if (occurrence !== P2_FIRST && occurrence !== P2_NEXT) {
      throw new StatusWordError(SW_INCORRECT_P1P2, 'SELECT: only first and next occurrence are supported');
    }
    if (cmd.data.length > MAX_AID_LENGTH)
      throw new StatusWordError(SW_WRONG_DATA, 'SELECT: AID longer than 16 bytes');
    const matches =
      cmd.data.length === 0 ? [this.#isd] : this.#applications.filter((a) => startsWith(a.aid, cmd.data));
    const current = this.#selection.app;
    const at = occurrence === P2_NEXT && current !== undefined ? matches.indexOf(current) + 1 : 0;
    const app = matches[at];
    if (app === undefined) throw new StatusWordError(SW_FILE_NOT_FOUND, 'SELECT: no such application');
    if (current !== undefined && current !== app) current.deselect();
    this.#selection = { app };
    return this.#selectResponse(cmd.p2, app.select());
  }

  // ISO/IEC 7816-4 11.2.3 READ BINARY: offset in P1 (b7-b1) P2; SFI addressing not supported
  #readBinary(cmd: CommandApdu): ResponseApdu {
    const ef = this.#selection.ef;
    if (ef === undefined)
      throw new StatusWordError(SW_COMMAND_NOT_ALLOWED_NO_EF, 'READ BINARY: no EF selected');
    if (ef.structure !== 'transparent')
      throw new StatusWordError(SW_INCOMPATIBLE_FILE_STRUCTURE, 'READ BINARY: not a transparent EF');
    if ((cmd.p1 & 0x80) !== 0) throw new StatusWordError(SW_INCORRECT_P1P2, 'READ BINARY: SFI not supported');
    const offset = (cmd.p1 << 8) | cmd.p2;
    if (offset > ef.data.length)
      throw new StatusWordError(SW_WRONG_P1P2, 'READ BINARY: offset beyond the end');
    const ne = cmd.ne ?? 256;
    const data = ef.data.subarray(offset, offset + ne);
    return { data, sw: data.length < ne && cmd.ne !== undefined && cmd.ne !== 256 ? SW_END_OF_FILE : SW_OK };
  }

  // ISO/IEC 7816-4 11.3.3 READ RECORD, absolute mode (P2 = 04) of the current EF
  #readRecord(cmd: CommandApdu): ResponseApdu {
    const ef = this.#selection.ef;
    if (ef === undefined)
      throw new StatusWordError(SW_COMMAND_NOT_ALLOWED_NO_EF, 'READ RECORD: no EF selected');
    if (ef.structure !== 'linear-fixed')
      throw new StatusWordError(SW_INCOMPATIBLE_FILE_STRUCTURE, 'READ RECORD: not a record EF');
    if (cmd.p2 !== P2_RECORD_ABSOLUTE)
      throw new StatusWordError(SW_INCORRECT_P1P2, 'READ RECORD: only P2 04 is supported');
    const record = ef.records[cmd.p1 - 1];
    if (cmd.p1 === 0 || record === undefined)
      throw new StatusWordError(SW_RECORD_NOT_FOUND, 'READ RECORD: no such record');
    return { data: record, sw: SW_OK };
  }
}
