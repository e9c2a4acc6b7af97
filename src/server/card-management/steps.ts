// Issue 13: what one card-management job does inside an open SCP11a channel, decided only by answers under R-MAC
// (a 9000 the secure channel verified). Recovery as BF72 does it for key updates: a CA-KLOC rotation first reads
// the card's CA-KLOC keys (GET DATA FF33 inside the channel: KVN and key id of each) and does only what is
// missing, so a retry after a lost answer or a crash neither repeats a step that took effect nor ever leaves the
// card without a CA-KLOC (the new key is confirmed before any DELETE). The card has no GET DATA for its deny list
// or allowlists; both STORE DATA updates are idempotent (add: a union; replace: the same list), so a session
// resends the job's current payload until the card confirms it.
import { fromHex, toHex } from '../../bytes/index.js';
import { curveByName } from '../../crypto/index.js';
import {
  INS_STORE_DATA,
  KID_CA_KLOC,
  P1_STORE_DATA_LAST_BERTLV,
  TAG_CA_KLOC_IDS,
  decodeCaKlocIdentifiers,
  deleteKey,
  encodeOceAllowlist,
  getDataCommand,
  putCaKlocKey,
  updateDenyList,
  type Scp11Channel,
} from '../../gp/index.js';
import { CLA_GP, SW_OK, command, describeSw } from '../../iso7816/index.js';
import { SessionError } from '../errors.js';
import type {
  CaKlocRotationPayload,
  CardJobRecord,
  CardJobState,
  DenyListPayload,
  OceAllowlistPayload,
} from './job.js';

/** What a step may do with its job: read it, and move it by compare-and-set. */
export interface CardStepContext {
  readonly channel: Scp11Channel;
  /** The job as stored now. */
  job(): Promise<CardJobRecord>;
  /**
   * Moves the job from one of `from` (and, when given, still at `generation`) to `to`, with a history entry;
   * undefined when the job is no longer in `from` or at that generation (changed by someone else meanwhile).
   */
  move(
    from: readonly CardJobState[],
    to: CardJobState,
    detail: string,
    generation?: number,
  ): Promise<CardJobRecord | undefined>;
}

/** A rotation never needs more than this many passes (read, PUT KEY, DELETE per old key, re-read). */
const MAX_PASSES = 8;

function changed(job: CardJobRecord | undefined): never {
  throw new SessionError('job', `the job changed meanwhile${job === undefined ? '' : ` (${job.state})`}`);
}

// GPC Amd F 7.4.2: FF33 inside the channel, so the answer is under R-MAC; only the CA-KLOC (KID 10) entries.
async function readCaKlocIds(channel: Scp11Channel) {
  const r = await channel.transmit(getDataCommand(TAG_CA_KLOC_IDS));
  if (r.sw !== SW_OK)
    throw new SessionError('card-answer', `GET DATA FF33: card answered ${describeSw(r.sw)}`);
  return decodeCaKlocIdentifiers(r.data).filter((i) => i.kid === KID_CA_KLOC);
}

const OPEN_ROTATION: readonly CardJobState[] = ['pending', 'installing', 'installed', 'deleting'];

// GPC 2.3 11.8 then 11.2 (issue 13): PUT KEY the new CA-KLOC key if FF33 lacks it, then DELETE every other.
export async function rotateCaKloc(ctx: CardStepContext, p: CaKlocRotationPayload): Promise<CardJobState> {
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const ids = await readCaKlocIds(ctx.channel);
    const held = ids.find((i) => toHex(i.keyId) === p.keyId);
    const squatter = ids.find((i) => i.kvn === p.kvn && toHex(i.keyId) !== p.keyId);
    if (held === undefined && squatter !== undefined) {
      const detail = `FF33: KVN ${p.kvn} holds another CA-KLOC key (key id ${toHex(squatter.keyId)})`;
      return (await ctx.move(OPEN_ROTATION, 'failed', detail)) === undefined ? changed(undefined) : 'failed';
    }
    const others = ids.filter((i) => i !== held);
    if (held === undefined) {
      if ((await ctx.move(OPEN_ROTATION, 'installing', `PUT KEY CA-KLOC KVN ${p.kvn} sent`)) === undefined)
        changed(await ctx.job());
      await putCaKlocKey(ctx.channel, {
        kvn: p.kvn,
        curve: curveByName(p.curve),
        publicKey: fromHex(p.publicKey, 'publicKey'),
      });
      if (
        (await ctx.move(['installing'], 'installed', 'PUT KEY: the card holds the new CA-KLOC key')) ===
        undefined
      )
        changed(await ctx.job());
    } else if (others.length > 0 && !['installed', 'deleting'].includes((await ctx.job()).state)) {
      if (
        (await ctx.move(OPEN_ROTATION, 'installed', 'FF33: the card holds the new CA-KLOC key')) === undefined
      )
        changed(await ctx.job());
    }
    if (others.length === 0) {
      const done = await ctx.move(
        OPEN_ROTATION,
        'completed',
        'FF33: the card trusts the new CA-KLOC key only',
      );
      return done === undefined ? changed(await ctx.job()) : 'completed';
    }
    // The new key is confirmed under R-MAC: deleting the others can never leave the card without a CA-KLOC.
    for (const old of others) {
      if (
        (await ctx.move(['installed', 'deleting'], 'deleting', `DELETE CA-KLOC KVN ${old.kvn} sent`)) ===
        undefined
      )
        changed(await ctx.job());
      await deleteKey(ctx.channel, { kid: KID_CA_KLOC, kvn: old.kvn });
    }
    const done = await ctx.move(
      ['deleting'],
      'completed',
      'DELETE: the card trusts the new CA-KLOC key only',
    );
    return done === undefined ? changed(await ctx.job()) : 'completed';
  }
  throw new SessionError('card-answer', 'the CA-KLOC rotation did not settle');
}

/** Sends the job's current payload until the card has confirmed the payload of the job's current generation. */
async function publish(
  ctx: CardStepContext,
  what: (job: CardJobRecord) => string,
  send: (job: CardJobRecord) => Promise<void>,
): Promise<CardJobState> {
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    let job = await ctx.job();
    if (job.state !== 'sent') {
      const sent = await ctx.move(['pending'], 'sent', `${what(job)} sent`, job.generation);
      if (sent === undefined) continue; // merged or ended meanwhile: read again
      job = sent;
    }
    await send(job);
    const done = await ctx.move(['sent'], 'completed', `${what(job)}: stored by the card`, job.generation);
    if (done !== undefined) return 'completed';
    const now = await ctx.job();
    if (now.state !== 'sent') changed(now);
    // a newer publication was merged into the job while this one travelled: send that one too
  }
  throw new SessionError('job', 'the job kept changing while it was published');
}

// Issue 13 / gp/constants.ts BF74: STORE DATA BF74{81 mode, 93 serial...}
export function publishDenyList(ctx: CardStepContext): Promise<CardJobState> {
  const payload = (j: CardJobRecord) => j.payload as DenyListPayload;
  return publish(
    ctx,
    (j) => `STORE DATA BF74 (${payload(j).mode}, ${payload(j).serials.length} serials)`,
    (j) =>
      updateDenyList(
        ctx.channel,
        payload(j).serials.map((s) => fromHex(s, 'serial')),
        payload(j).mode,
      ),
  );
}

// GPC Amd F 7.5: STORE DATA A6{83 KID KVN} 70{93 serial...} replaces the key reference's list
export function publishOceAllowlist(ctx: CardStepContext): Promise<CardJobState> {
  const payload = (j: CardJobRecord) => j.payload as OceAllowlistPayload;
  return publish(
    ctx,
    (j) =>
      `STORE DATA allowlist of ${payload(j).kid.toString(16)}/${payload(j).kvn.toString(16)} (${payload(j).serials.length} serials)`,
    async (j) => {
      const p = payload(j);
      const data = encodeOceAllowlist({
        keyReference: { kid: p.kid, kvn: p.kvn },
        serials: p.serials.map((s) => fromHex(s, 'serial')),
      });
      const r = await ctx.channel.transmit(
        command(CLA_GP, INS_STORE_DATA, P1_STORE_DATA_LAST_BERTLV, 0x00, data),
      );
      if (r.sw !== SW_OK)
        throw new SessionError('card-answer', `STORE DATA allowlist: card answered ${describeSw(r.sw)}`);
    },
  );
}
