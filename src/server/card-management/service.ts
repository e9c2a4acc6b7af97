// Issue 13, DESIGN.md 7: card-management jobs and their life around the card session. A job is created per EID
// (a batch of up to MAX_CARD_JOB_BATCH at once, for campaigns); a RAM session with no key update ready claims the
// card's oldest open job; only the card's answers under R-MAC move it (steps.ts); every other failure counts an
// attempt with backoff and an alarm, and leaves the job where it was. Every write is compare-and-set.
import { fromHex, toHex } from '../../bytes/index.js';
import { curveByName, decodePoint, type RandomSource } from '../../crypto/index.js';
import { canonicalSerial, type DenyListMode } from '../../gp/index.js';
import { caKeyId } from '../../pki/index.js';
import type { Clock, Logger } from '../../ports/index.js';
import { DEFAULT_ATTEMPT_POLICY, attemptDue, failedAttempt, type AttemptPolicy } from '../attempt-backoff.js';
import { JobError, SessionError } from '../errors.js';
import { JOB_ERROR_STATUS } from '../problem.js';
import { CAS_TRIES, compareAndSet, type Change as RevisionChange } from '../revision.js';
import type { CardAuthenticated } from '../card-authentication.js';
import {
  CARD_JOB_STATES,
  OPEN_CARD_JOB_STATES,
  cardJobView,
  slotOf,
  type CardJobKind,
  type CardJobPayload,
  type CardJobRecord,
  type CardJobState,
  type CardJobView,
} from './job.js';
import { lockoutOf, type OceChainSerials } from './lockout.js';
import { publishDenyList, publishOceAllowlist, rotateCaKloc, type CardStepContext } from './steps.js';
import type { CardJobCount, CardJobFilter, CardJobStore } from './store.js';
import type { CardSessionOutcome } from './session.js';
import type { Scp11Channel } from '../../gp/index.js';

/** One batch at most (a campaign feeds larger selections in waves, DESIGN.md 8). */
export const MAX_CARD_JOB_BATCH = 10_000;
const EID_PATTERN = /^[0-9]{32}$/;

/** What an operator asks for, per EID (public material only: a CA public key, certificate serials). */
export type CardJobOrder =
  | { kind: 'ca-kloc-rotation'; kvn: number; curve: string; publicKey: string }
  | { kind: 'deny-list'; mode: DenyListMode; serials: readonly string[] }
  | { kind: 'oce-allowlist'; kid: number; kvn: number; serials: readonly string[] };

export interface CardManagementDeps {
  readonly store: CardJobStore;
  readonly rng: RandomSource;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly attempts?: Partial<AttemptPolicy>;
  /** The serials of the server's own OCE chains: an order that would lock the server out of cards is refused. */
  readonly oceChains?: readonly OceChainSerials[];
  /** The key ids (hex) of the CA-KLOCs that issued the server's OCE chains: a rotation to any other is refused. */
  readonly oceCaKlocKeyIds?: readonly string[];
  /** The EIDs the server knows (the inventory); absent: any 32-digit EID. */
  readonly knownEid?: (eid: string) => boolean;
  /** Every card of the inventory, or of one manufacturing batch (for `cards` selections). */
  readonly inventoryEids?: (batch?: string) => readonly string[];
}

/** Which cards get a job: listed EIDs, or every card of the inventory (or of one manufacturing batch). */
export type CardSelection = { eids: readonly string[] } | { cards: 'all' } | { cards: { batch: string } };

/** Jobs listed in an answer at most (the count is always given). */
export const MAX_LISTED_CARD_JOBS = 1000;

/** A job handed to one RAM session. */
export interface ClaimedCardJob {
  readonly job: CardJobView;
  /** DESIGN.md 7: the card authenticated; the run of failed attempts ends. */
  authenticated(info: CardAuthenticated): Promise<void>;
  /** The job's steps inside the open channel; the state the job reached. */
  run(channel: Scp11Channel): Promise<CardJobState>;
  /** The session ended, with its outcome or 'released' (superseded, or a failure not of the card's doing). */
  finish(o: CardSessionOutcome | 'released'): Promise<CardJobView>;
}

export interface CardJobBatchResult {
  /** Jobs created or merged into. */
  readonly created: number;
  /** The first MAX_LISTED_CARD_JOBS of them. */
  readonly jobs: CardJobView[];
  readonly refused: { eid: string; status: number; detail: string }[];
}

/** A write: a new state (default unchanged), a history entry when `detail` is given, other fields. */
type Change = RevisionChange<CardJobRecord, CardJobState>;

const SERIAL = /^[0-9a-fA-F]{2,42}$/;

function canonicalHex(serials: readonly string[]): string[] {
  const out: string[] = [];
  for (const s of serials) {
    if (!SERIAL.test(s) || s.length % 2 !== 0)
      throw new JobError('invalid', `serial ${JSON.stringify(s)}: 1 to 21 bytes of hex expected`);
    const c = toHex(canonicalSerial(fromHex(s, 'serial')));
    if (!out.includes(c)) out.push(c);
  }
  return out;
}

/** Checks an order and makes it a payload (the CA key's id computed here, serials canonical). */
export function cardJobPayloadOf(order: CardJobOrder): CardJobPayload {
  switch (order.kind) {
    case 'ca-kloc-rotation': {
      if (!Number.isInteger(order.kvn) || order.kvn < 1 || order.kvn > 0xfe)
        throw new JobError('invalid', 'kvn: 1 to 254 (GPC 2.3 11.1.8)');
      let curve;
      try {
        curve = curveByName(order.curve);
        decodePoint(curve, fromHex(order.publicKey, 'publicKey'));
      } catch (e) {
        throw new JobError('invalid', `CA-KLOC public key: ${(e as Error).message}`);
      }
      const publicKey = order.publicKey.toLowerCase();
      return {
        kind: order.kind,
        kvn: order.kvn,
        curve: curve.name,
        publicKey,
        keyId: toHex(caKeyId(fromHex(publicKey, 'publicKey'))),
      };
    }
    case 'deny-list': {
      const serials = canonicalHex(order.serials);
      if (serials.length === 0 && order.mode === 'add')
        throw new JobError('invalid', 'serials: adding nothing to a deny list');
      return { kind: order.kind, mode: order.mode, serials };
    }
    case 'oce-allowlist':
      if (![0x10, 0x11, 0x15].includes(order.kid))
        throw new JobError('invalid', 'kid: 10 (a CA-KLOC key), 11 or 15 (an SCP11a/c key set)');
      if (!Number.isInteger(order.kvn) || order.kvn < 1 || order.kvn > 0xfe)
        throw new JobError('invalid', 'kvn: 1 to 254');
      return { kind: order.kind, kid: order.kid, kvn: order.kvn, serials: canonicalHex(order.serials) };
  }
}

/**
 * A newer publication for the slot of an open job: the deny list adds up (a replace replaces), an allowlist is
 * replaced, a CA-KLOC rotation is not merged (undefined: refused). Every result is safe to send again.
 */
function merged(open: CardJobPayload, next: CardJobPayload): CardJobPayload | undefined {
  if (open.kind === 'deny-list' && next.kind === 'deny-list') {
    if (next.mode === 'replace') return next;
    return { ...open, serials: [...open.serials, ...next.serials.filter((s) => !open.serials.includes(s))] };
  }
  if (open.kind === 'oce-allowlist' && next.kind === 'oce-allowlist') return next;
  return undefined;
}

function samePayload(a: CardJobPayload, b: CardJobPayload): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export class CardManagementService {
  readonly #d: CardManagementDeps;
  readonly #policy: AttemptPolicy;
  /** Security alarms since start: runs of failed attempts, card key pin mismatches. */
  securityAlarms = 0;

  constructor(deps: CardManagementDeps) {
    this.#d = deps;
    this.#policy = { ...DEFAULT_ATTEMPT_POLICY, ...deps.attempts };
  }

  #now(): string {
    return this.#d.clock.now().toISOString();
  }

  async #record(id: string): Promise<CardJobRecord> {
    const job = await this.#d.store.get(id);
    if (job === undefined) throw new JobError('not-found', `no card-management job ${id}`);
    return job;
  }

  /** Compare-and-set (revision.ts); undefined when the job is gone or no longer accepted. */
  async #change(
    id: string,
    accept: (j: CardJobRecord) => boolean,
    change: (j: CardJobRecord) => Change,
  ): Promise<CardJobRecord | undefined> {
    const done = await compareAndSet(
      this.#d.store,
      id,
      () => this.#now(),
      accept,
      change,
      () => new JobError('conflict', `card-management job ${id} kept changing; try again`),
    );
    if (done === undefined) return undefined;
    const { before, after } = done;
    if (after.state !== before.state) {
      this.#d.logger.info(
        {
          event: 'card-job-state',
          job: id,
          eid: before.eid,
          kind: before.kind,
          state: after.state,
          detail: done.change.detail,
        },
        `card-management job ${after.state}`,
      );
    }
    return after;
  }

  /** One job per EID for `order`; those refused are listed with the reason (a batch, DESIGN.md 8). */
  async createBatch(
    eids: readonly string[],
    order: CardJobOrder,
    actor: string,
    batch?: string,
  ): Promise<CardJobBatchResult> {
    if (eids.length === 0 || eids.length > MAX_CARD_JOB_BATCH)
      throw new JobError('invalid', `eids: 1 to ${MAX_CARD_JOB_BATCH} per batch`);
    const payload = cardJobPayloadOf(order);
    const lockout = lockoutOf(payload, this.#d.oceChains, this.#d.oceCaKlocKeyIds);
    if (lockout !== undefined) throw new JobError('invalid', lockout);
    const jobs: CardJobView[] = [];
    const refused: CardJobBatchResult['refused'] = [];
    let created = 0;
    for (const eid of new Set(eids)) {
      try {
        const job = await this.#createOne(eid, payload, actor, batch);
        created++;
        if (jobs.length < MAX_LISTED_CARD_JOBS) jobs.push(job);
      } catch (e) {
        if (!(e instanceof JobError)) throw e;
        refused.push({
          eid,
          status: JOB_ERROR_STATUS[e.kind],
          detail: e.message,
        });
      }
    }
    this.#d.logger.info(
      {
        event: 'card-jobs-created',
        kind: payload.kind,
        created: jobs.length,
        refused: refused.length,
        actor,
        batch,
      },
      'card-management jobs created',
    );
    return { created, jobs, refused };
  }

  /** createBatch for a selection; the whole inventory is taken in waves of MAX_CARD_JOB_BATCH. */
  async createFor(
    selection: CardSelection,
    order: CardJobOrder,
    actor: string,
    batch?: string,
  ): Promise<CardJobBatchResult> {
    if ('eids' in selection) return this.createBatch(selection.eids, order, actor, batch);
    const all = this.#d.inventoryEids?.(selection.cards === 'all' ? undefined : selection.cards.batch) ?? [];
    if (all.length === 0) throw new JobError('not-found', 'no card in the inventory matches the selection');
    const out: { created: number; jobs: CardJobView[]; refused: CardJobBatchResult['refused'] } = {
      created: 0,
      jobs: [],
      refused: [],
    };
    for (let i = 0; i < all.length; i += MAX_CARD_JOB_BATCH) {
      const wave = await this.createBatch(all.slice(i, i + MAX_CARD_JOB_BATCH), order, actor, batch);
      out.created += wave.created;
      out.jobs.push(...wave.jobs.slice(0, MAX_LISTED_CARD_JOBS - out.jobs.length));
      out.refused.push(...wave.refused);
    }
    return out;
  }

  async create(eid: string, order: CardJobOrder, actor: string): Promise<CardJobView> {
    const payload = cardJobPayloadOf(order);
    const lockout = lockoutOf(payload, this.#d.oceChains, this.#d.oceCaKlocKeyIds);
    if (lockout !== undefined) throw new JobError('invalid', lockout);
    return this.#createOne(eid, payload, actor);
  }

  async #createOne(
    eid: string,
    payload: CardJobPayload,
    actor: string,
    batch?: string,
  ): Promise<CardJobView> {
    if (!EID_PATTERN.test(eid))
      throw new JobError('invalid', `EID ${JSON.stringify(eid)}: 32 digits expected`);
    if (this.#d.knownEid !== undefined && !this.#d.knownEid(eid))
      throw new JobError('not-found', `no card with EID ${eid} in the inventory`);
    const slot = slotOf(payload);
    for (let i = 0; i < CAS_TRIES; i++) {
      const open = await this.#d.store.openIn(eid, slot);
      if (open !== undefined) {
        if (samePayload(open.payload, payload)) return cardJobView(open);
        const next = merged(open.payload, payload);
        if (next === undefined)
          throw new JobError('conflict', `EID ${eid} already has an open ${open.kind} job (${open.id})`);
        // each order passed alone; the merged list (a union) is what the card gets, so it is checked too
        const lockout = lockoutOf(next, this.#d.oceChains, this.#d.oceCaKlocKeyIds);
        if (lockout !== undefined)
          throw new JobError('conflict', `EID ${eid}: merged into open job ${open.id}, ${lockout}`);
        const updated = await this.#change(
          open.id,
          (j) => j.revision === open.revision,
          (j) => ({
            detail: `merged a newer ${payload.kind} publication by ${actor}`,
            fields: { payload: next, generation: j.generation + 1 },
          }),
        );
        if (updated !== undefined) return cardJobView(updated);
        continue;
      }
      const at = this.#now();
      const job: CardJobRecord = {
        id: toHex(this.#d.rng.randomBytes(8)),
        eid,
        kind: payload.kind,
        slot,
        state: 'pending',
        payload,
        generation: 0,
        ...(batch === undefined ? {} : { batch }),
        history: [{ state: 'pending', at, detail: `created by ${actor}` }],
        securityAlarm: false,
        sessions: 0,
        createdBy: actor,
        attempts: 0,
        consecutiveFailures: 0,
        revision: 0,
        createdAt: at,
        updatedAt: at,
      };
      // DESIGN.md 7: the unique index decides between creations racing for one (EID, slot)
      if (await this.#d.store.insert(job)) return cardJobView(job);
    }
    throw new JobError('conflict', `EID ${eid}: the ${payload.kind} job kept changing; try again`);
  }

  async get(id: string): Promise<CardJobView> {
    return cardJobView(await this.#record(id));
  }

  async list(filter: CardJobFilter = {}, page: { limit?: number; offset?: number } = {}) {
    return (await this.#d.store.list(filter, page)).map(cardJobView);
  }

  /** Jobs per kind and state (every state listed, zeros included), of one batch or of all. */
  async counts(batch?: string): Promise<Record<CardJobKind, Record<CardJobState, number>>> {
    const zero = () => Object.fromEntries(CARD_JOB_STATES.map((s) => [s, 0])) as Record<CardJobState, number>;
    const out = { 'ca-kloc-rotation': zero(), 'deny-list': zero(), 'oce-allowlist': zero() };
    for (const c of (await this.#d.store.counts(batch)) as CardJobCount[]) out[c.kind][c.state] = c.count;
    return out;
  }

  /** Only before anything went to the card (pending). */
  async cancel(id: string, actor: string): Promise<CardJobView> {
    const cancelled = await this.#change(
      id,
      (j) => j.state === 'pending',
      () => ({ state: 'cancelled', detail: `cancelled by ${actor}` }),
    );
    if (cancelled !== undefined) return cardJobView(cancelled);
    const job = await this.#record(id);
    throw new JobError(
      'conflict',
      `card-management job ${id} is ${job.state}: only a job that has not reached the card can be cancelled`,
    );
  }

  /**
   * The card's oldest open job that is not backing off, for RAM session `sessionId`. Claiming writes nothing: an
   * unauthenticated session owns nothing (DESIGN.md 7).
   */
  async claim(eid: string, sessionId: string): Promise<ClaimedCardJob | undefined> {
    const now = this.#now();
    const job = (await this.#d.store.openOf(eid)).find((j) => attemptDue(j, now));
    if (job === undefined) return undefined;
    let ended = false;
    const id = job.id;
    const open = (j: CardJobRecord) => OPEN_CARD_JOB_STATES.includes(j.state);
    const context = (channel: Scp11Channel): CardStepContext => ({
      channel,
      job: () => this.#record(id),
      move: async (from, to, detail, generation) => {
        if (ended) throw new SessionError('job', 'the session was superseded');
        return this.#change(
          id,
          (j) => from.includes(j.state) && (generation === undefined || j.generation === generation),
          () => ({ state: to, detail, ...(to === 'failed' ? { fields: { error: detail } } : {}) }),
        );
      },
    });
    return {
      job: cardJobView(job),
      authenticated: async () => {
        await this.#change(id, open, (j) => ({
          fields: { sessions: j.sessions + 1, consecutiveFailures: 0, nextAttemptAt: undefined },
        }));
      },
      run: async (channel) => {
        const current = await this.#record(id);
        if (!open(current)) throw new SessionError('job', `the job is ${current.state}`);
        const ctx = context(channel);
        switch (current.payload.kind) {
          case 'ca-kloc-rotation':
            return rotateCaKloc(ctx, current.payload);
          case 'deny-list':
            return publishDenyList(ctx);
          case 'oce-allowlist':
            return publishOceAllowlist(ctx);
        }
      },
      finish: async (o) => {
        ended = true;
        return cardJobView(await this.#finish(id, eid, sessionId, o));
      },
    };
  }

  async #finish(
    id: string,
    eid: string,
    sessionId: string,
    o: CardSessionOutcome | 'released',
  ): Promise<CardJobRecord> {
    if (o === 'released' || o.kind === 'done') return this.#record(id);
    const { failure } = o.error;
    // Not a finding about the job: it changed meanwhile, or the UE left after the card authenticated.
    if (failure === 'job' || (failure === 'abandoned' && o.authenticated)) return this.#record(id);
    return this.#countAttempt(id, eid, sessionId, o.error);
  }

  /** DESIGN.md 7: the state stays; the job backs off; a run of failures (or a pin mismatch) raises the alarm. */
  async #countAttempt(
    id: string,
    eid: string,
    sessionId: string,
    error: SessionError,
  ): Promise<CardJobRecord> {
    const pinAlarm = error.failure === 'card-pin';
    let alarm = false;
    const counted = await this.#change(
      id,
      (j) => OPEN_CARD_JOB_STATES.includes(j.state),
      (j) => {
        const next = failedAttempt(this.#policy, j, this.#now(), `${error.failure}: ${error.message}`);
        alarm = next.alarm;
        return { fields: { ...next.fields, securityAlarm: j.securityAlarm || next.alarm || pinAlarm } };
      },
    );
    if (counted === undefined) return this.#record(id);
    this.#d.logger.warn(
      {
        event: 'card-job-attempt-failed',
        job: id,
        eid,
        session: sessionId,
        failure: error.failure,
        attempts: counted.attempts,
        consecutiveFailures: counted.consecutiveFailures,
        nextAttemptAt: counted.nextAttemptAt,
      },
      'card-management attempt failed; the job stays as it was',
    );
    if (alarm || pinAlarm) {
      this.securityAlarms++;
      this.#d.logger.error(
        {
          event: 'security-alarm',
          reason: pinAlarm ? 'card-pin-mismatch' : 'failed-attempts',
          job: id,
          eid,
          consecutiveFailures: counted.consecutiveFailures,
        },
        pinAlarm
          ? "a card certificate that validates carries another key than the card's pin (a compromised CA-KLCC?)"
          : `${counted.consecutiveFailures} failed card-management attempts in a row for this card`,
      );
    }
    return counted;
  }
}
