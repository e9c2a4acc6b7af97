// TS 31.102: the USIM application of one profile: ADF.USIM with EF.IMSI, and AUTHENTICATE in 3G context
// (7.1.2; DESIGN.md 4.6) with SQN freshness per TS 33.102 Annex C.
import { concatBytes, tlv } from '../../../bytes/index.js';
import { buildAuts, RAND_LENGTH, UsimSqnArray, verifyAutn } from '../../../aka/index.js';
import {
  INS_AUTHENTICATE,
  SW_INCORRECT_P1P2,
  SW_INS_NOT_SUPPORTED,
  SW_AUTH_MAC_FAILURE,
  SW_OK,
  SW_WRONG_DATA,
  StatusWordError,
  type CommandApdu,
  type ResponseApdu,
} from '../../../iso7816/index.js';
import type { CardApplication } from '../../application.js';
import type { CardContext } from '../../context.js';
import { fcpOfAdf, FID_EF_IMSI, type ElementaryFile } from '../../files.js';
import type { CardProfile } from '../../image.js';
import { akaFunctionsOf, efImsi } from '../../profile.js';

/** TS 31.102 7.1.2.1: P2 = 81, authentication context 3G. */
export const P2_CONTEXT_3G = 0x81;
/** Successful 3G authentication. */
export const TAG_AUTH_SUCCESS = 0xdb;
/** Synchronisation failure: AUTS follows. */
export const TAG_SYNC_FAILURE = 0xdc;
const SQN_AK_LENGTH = 6;
const AMF_LENGTH = 2;

/** One length-prefixed field of the AUTHENTICATE data (TS 31.102 7.1.2.1: L RAND L AUTN). */
function readLv(data: Uint8Array, at: number, name: string): [Uint8Array, number] {
  if (at >= data.length) throw new StatusWordError(SW_WRONG_DATA, `AUTHENTICATE: ${name} missing`);
  const length = data[at];
  if (at + 1 + length > data.length)
    throw new StatusWordError(SW_WRONG_DATA, `AUTHENTICATE: ${name} truncated`);
  return [data.subarray(at + 1, at + 1 + length), at + 1 + length];
}

function lv(value: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(value.length), value);
}

export class UsimApplication implements CardApplication {
  readonly label = 'USIM';

  constructor(
    private readonly context: CardContext,
    private readonly index: number,
  ) {}

  get profile(): CardProfile {
    return this.context.image.profiles[this.index];
  }

  get aid(): Uint8Array {
    return this.profile.usimAid;
  }

  files(): readonly ElementaryFile[] {
    return [{ fid: FID_EF_IMSI, name: 'EF.IMSI', structure: 'transparent', data: efImsi(this.profile.imsi) }];
  }

  select(): Uint8Array {
    return fcpOfAdf(this.aid);
  }

  deselect(): void {}

  process(cmd: CommandApdu): ResponseApdu {
    if (cmd.ins !== INS_AUTHENTICATE)
      throw new StatusWordError(SW_INS_NOT_SUPPORTED, 'USIM: instruction not supported');
    return this.#authenticate(cmd);
  }

  // TS 31.102 7.1.2 / TS 33.102 6.3.3: verify MAC-A, then SQN freshness; answer RES, CK, IK or AUTS
  #authenticate(cmd: CommandApdu): ResponseApdu {
    if (cmd.p1 !== 0x00 || cmd.p2 !== P2_CONTEXT_3G) {
      throw new StatusWordError(
        SW_INCORRECT_P1P2,
        'AUTHENTICATE: only the 3G context (P1 00, P2 81) is supported',
      );
    }
    const profile = this.profile;
    const fns = akaFunctionsOf(profile.keys);
    const [rand, next] = readLv(cmd.data, 0, 'RAND');
    const [autn, end] = readLv(cmd.data, next, 'AUTN');
    if (end !== cmd.data.length) throw new StatusWordError(SW_WRONG_DATA, 'AUTHENTICATE: bytes after AUTN');
    if (rand.length !== RAND_LENGTH)
      throw new StatusWordError(SW_WRONG_DATA, `AUTHENTICATE: RAND of ${rand.length} bytes`);
    if (autn.length !== SQN_AK_LENGTH + AMF_LENGTH + fns.macLength) {
      throw new StatusWordError(SW_WRONG_DATA, `AUTHENTICATE: AUTN of ${autn.length} bytes`);
    }
    const check = verifyAutn(fns, rand, autn);
    if (!check.macOk) throw new StatusWordError(SW_AUTH_MAC_FAILURE, 'AUTHENTICATE: MAC-A does not verify');
    const sqnArray = UsimSqnArray.fromJSON(profile.sqn);
    if (sqnArray.check(check.sqn) !== 'fresh') {
      const auts = buildAuts(fns, rand, sqnArray.sqnMs());
      return { data: tlv(TAG_SYNC_FAILURE, auts), sw: SW_OK };
    }
    sqnArray.accept(check.sqn);
    const profiles = [...this.context.image.profiles];
    profiles[this.index] = { ...profile, sqn: sqnArray.toJSON() };
    // The SQN is stored before RES leaves the card (a replay must not succeed after a power cut).
    this.context.commit({ ...this.context.image, profiles });
    return {
      data: concatBytes(Uint8Array.of(TAG_AUTH_SUCCESS), lv(check.res), lv(check.ck), lv(check.ik)),
      sw: SW_OK,
    };
  }
}
