// The UE's attach and detach (TS 33.501 6.1.3.2, ME and USIM side of 5G AKA) against the core's JSON API: the
// USIM answers the challenge, the ME turns RES into RES* and derives KAUSF/KSEAF; a MAC failure or a sync
// failure (AUTS) is reported the way a UE sends AUTHENTICATION FAILURE (TS 24.501 5.4.1.3.5), and the core
// answers with a new challenge or a reject.
import { equalBytes } from '../bytes/index.js';
import { sha256 } from '../crypto/index.js';
import { kausf, kseaf, resStar } from '../aka/index.js';
import type { CardChannel } from '../iso7816/index.js';
import { CoreClient, type CoreAnswer, type CoreClientOptions } from './core-client.js';

import { authenticate, selectUsim } from './usim.js';

export const DEFAULT_SERVING_NETWORK_NAME = '5G:mnc001.mcc001.3gppnetwork.org';
/** A real UE gives up after a few failed rounds (TS 24.501 5.4.1.3.7: counter of 3); so does this one. */
export const MAX_AUTH_ROUNDS = 3;
const SQN_XOR_AK_LENGTH = 6;
const KSEAF_DIGEST_LENGTH = 8;

export interface AttachOptions extends CoreClientOptions {
  readonly iccid: string;
  readonly coreUrl: string;
  readonly servingNetworkName?: string;
}

export type AuthRound = 'success' | 'mac-failure' | 'sync-failure';

export interface AttachResult {
  readonly iccid: string;
  readonly imsi: string;
  readonly state: 'attached' | 'rejected';
  readonly reason?: string;
  /** What the USIM answered to each challenge, in order. */
  readonly rounds: readonly AuthRound[];
  /** Whether the core's KSEAF digest matched the one the ME derived (absent if the core sent none). */
  readonly kseafConfirmed?: boolean;
  /** DESIGN.md 7: the token of this attach, needed to detach and to open the event stream. */
  readonly attachToken?: string;
}

/** The digest the core sends with "attached": the first 8 bytes of SHA-256(KSEAF); never KSEAF itself. */
export function kseafDigest(kseafKey: Uint8Array): Uint8Array {
  return sha256(kseafKey).slice(0, KSEAF_DIGEST_LENGTH);
}

export async function attach(channel: CardChannel, options: AttachOptions): Promise<AttachResult> {
  const snn = options.servingNetworkName ?? DEFAULT_SERVING_NETWORK_NAME;
  const usim = await selectUsim(channel, options.iccid);
  const core = new CoreClient(options.coreUrl, options);
  const rounds: AuthRound[] = [];
  let answer: CoreAnswer = await core.attach(usim.imsi, snn);
  let expectedDigest: Uint8Array | undefined;
  const done = (state: 'attached' | 'rejected', extra: Partial<AttachResult> = {}): AttachResult => ({
    iccid: usim.iccid,
    imsi: usim.imsi,
    state,
    rounds,
    ...extra,
  });
  for (;;) {
    if (answer.state === 'rejected') return done('rejected', { reason: answer.reason });
    if (answer.state === 'attached') {
      const token = answer.attachToken === undefined ? {} : { attachToken: answer.attachToken };
      if (answer.kseafDigest === undefined || expectedDigest === undefined) return done('attached', token);
      return done('attached', { kseafConfirmed: equalBytes(answer.kseafDigest, expectedDigest), ...token });
    }
    if (rounds.length >= MAX_AUTH_ROUNDS) {
      return done('rejected', { reason: `gave up after ${rounds.length} authentication rounds` });
    }
    const { attachId, rand, autn } = answer;
    const result = await authenticate(channel, rand, autn);
    switch (result.kind) {
      case 'success': {
        rounds.push('success');
        // TS 33.501 A.4 RES*, A.2 KAUSF, A.6 KSEAF (ME side)
        const resStarValue = resStar(result.ck, result.ik, snn, rand, result.res);
        const kausfKey = kausf(result.ck, result.ik, snn, autn.subarray(0, SQN_XOR_AK_LENGTH));
        expectedDigest = kseafDigest(kseaf(kausfKey, snn));
        kausfKey.fill(0);
        result.ck.fill(0);
        result.ik.fill(0);
        answer = await core.respond(attachId, { res: resStarValue });
        break;
      }
      case 'sync-failure':
        rounds.push('sync-failure');
        answer = await core.respond(attachId, { failure: 'SYNCH_FAILURE', auts: result.auts });
        break;
      case 'mac-failure':
        rounds.push('mac-failure');
        answer = await core.respond(attachId, { failure: 'MAC_FAILURE' });
        break;
    }
  }
}

export interface DetachOptions extends CoreClientOptions {
  readonly iccid: string;
  readonly coreUrl: string;
  /** The token the attach being ended returned (DESIGN.md 7). */
  readonly attachToken: string;
}

// TS 24.501 5.5.2.2: UE-originating deregistration (the IMSI read from the card)
export async function detach(
  channel: CardChannel,
  options: DetachOptions,
): Promise<{ iccid: string; imsi: string; state: 'detached' }> {
  const usim = await selectUsim(channel, options.iccid);
  await new CoreClient(options.coreUrl, options).detach(usim.imsi, options.attachToken);
  return { iccid: usim.iccid, imsi: usim.imsi, state: 'detached' };
}
