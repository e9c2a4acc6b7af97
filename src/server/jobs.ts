// DESIGN.md 6, 7: key-update jobs and the key transition around the card session. The HSS candidate is staged
// before BF70 travels and committed once BF71 (or BF73 on resume) says applied; a refusal aborts it. With a
// backend without candidates (DESIGN.md 8, osmo-hlr: HssRole.hasCandidates false) staging only checks the
// subscriber and the commit writes the keys; a job whose commit failed stays applied and is retried (the
// reconciler's pass, the card's next session), never reported completed. Only the card's answers inside the
// secure channel decide a job; every other failure counts an attempt (with backoff and an alarm) and leaves the
// job where it was. Every write is compare-and-set on the record's revision.
import { MAX_KEY_VERSION, akaKeyLengths, opcName, type AkaAlgorithm } from '../aka/params/index.js';
import { concatBytes, toHex } from '../bytes/index.js';
import { aesGcmOpen, aesGcmSeal, type RandomSource } from '../crypto/index.js';
import {
  OUTCOME_NEGOTIATION_MISMATCH,
  TRANSACTION_ID_LENGTH,
  describeOutcome,
  keyPolicyViolation,
} from '../gp/index.js';
import type { HssClient } from '../hss/client/index.js';
import type { Clock, Logger } from '../ports/index.js';
import { JobError, SessionError } from './errors.js';
import { HssRoleError, PERSONALISED_KEY_VERSION, type HssRole, type KeyTransition } from './hss-role.js';
import { hssRoleOf } from './ltku-hss.js';
import { ACTIVE_STATES, CARD_STATES, jobView, type JobRecord, type JobState, type JobView } from './job.js';
import type { JobStore } from './job-store.js';
import { CAS_TRIES, compareAndSet, type Change as RevisionChange } from './revision.js';
import type { Inventory, InventoryEntry } from './inventory.js';
import { DEFAULT_ATTEMPT_POLICY, attemptDue, failedAttempt, type AttemptPolicy } from './attempt-backoff.js';
import { abortOrphans, type OpenTransactions } from './reconciler.js';
import type { KeyUpdateOrder, PlainKeys, RequestDecision, SessionHooks, SessionOutcome } from './session.js';

export { DEFAULT_ATTEMPT_POLICY, type AttemptPolicy } from './attempt-backoff.js';

export interface JobServiceDeps {
  readonly store: JobStore;
  readonly inventory: Inventory;
  /** The HSS role (an HssClient is ltku's HSS). */
  readonly hss: HssRole | HssClient;
  /** 32-byte key-encryption key of the keys at rest. */
  readonly kek: Uint8Array;
  /** New keys and transaction ids (a CSPRNG in production). */
  readonly rng: RandomSource;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly attempts?: Partial<AttemptPolicy>;
  /** Told about each new job (e.g. to push it to the UE through the core). */
  readonly onJobCreated?: (job: JobView) => Promise<void>;
}

/** The profile a job is for: exactly one of ICCID, IMSI. */
export interface JobTarget {
  readonly iccid?: string;
  readonly imsi?: string;
}

/** Keys an operator imports (a vendor's key file): K and OPc, or TOPc for TUAK. */
export interface ImportedKeys {
  readonly k: Uint8Array;
  readonly opc: Uint8Array;
}

/** A job handed to one RAM session (JobService.claim). */
export interface ClaimedJob {
  readonly order: KeyUpdateOrder;
  readonly hooks: SessionHooks;
  /**
   * The session ended: with its outcome, or 'released' when it ends with no finding about the job (superseded
   * by a session in which the card authenticated, or stopped by a failure not of the card's doing).
   */
  finish(o: SessionOutcome | 'released'): Promise<JobView>;
}

/** DESIGN.md 4.5: lengths by algorithm, and the card's policy (check 8) refused up front. */
function checkImportedKeys(algorithm: AkaAlgorithm, k: Uint8Array, opc: Uint8Array): void {
  const lengths = akaKeyLengths(algorithm);
  const name = opcName(algorithm);
  if (!lengths.k.includes(k.length))
    throw new JobError('invalid', `k: ${k.length} bytes is not a ${algorithm} key length`);
  if (!lengths.opc.includes(opc.length))
    throw new JobError('invalid', `${name}: ${opc.length} bytes is not a ${algorithm} ${name} length`);
  const violation = keyPolicyViolation(k, opc);
  if (violation === 'one-byte-value')
    throw new JobError('invalid', `k or ${name} is one byte value repeated (card policy)`);
  if (violation === 'k-equals-opc') throw new JobError('invalid', `k equals ${name} (card policy)`);
}

/** Fields of a target that would carry caller-chosen keys (DESIGN.md 7: keys only from the CSPRNG). */
const KEY_FIELDS = ['keys', 'k', 'opc', 'topc'];

function aadOf(id: string): Uint8Array {
  return new TextEncoder().encode(`ltku-job:${id}`);
}

type Change = RevisionChange<JobRecord, JobState>;

export class JobService implements OpenTransactions {
  readonly #d: JobServiceDeps;
  readonly #hss: HssRole;
  readonly #policy: AttemptPolicy;
  /** Security alarms since start: outcome 06 reports (DESIGN.md 4.4) and runs of failed attempts (7). */
  securityAlarms = 0;

  constructor(deps: JobServiceDeps) {
    this.#d = deps;
    this.#hss = hssRoleOf(deps.hss);
    this.#policy = { ...DEFAULT_ATTEMPT_POLICY, ...deps.attempts };
  }

  #now(): string {
    return this.#d.clock.now().toISOString();
  }

  /**
   * Compare-and-set (revision.ts), first from `known` (the copy in hand) when given; undefined when the job is
   * gone or no longer accepted.
   */
  async #change(
    id: string,
    accept: (j: JobRecord) => boolean,
    change: (j: JobRecord) => Change,
    known?: JobRecord,
  ): Promise<JobRecord | undefined> {
    const done = await compareAndSet(
      this.#d.store,
      id,
      () => this.#now(),
      accept,
      change,
      () => new JobError('conflict', `job ${id} kept changing; try again`),
      known,
    );
    if (done === undefined) return undefined;
    const { before, after } = done;
    if (after.state !== before.state) {
      this.#d.logger.info(
        { event: 'job-state', job: id, iccid: before.iccid, state: after.state, detail: done.change.detail },
        `job ${after.state}`,
      );
    }
    return after;
  }

  #entry(target: JobTarget): InventoryEntry {
    if ((target.iccid === undefined) === (target.imsi === undefined))
      throw new JobError('invalid', 'give exactly one of iccid, imsi');
    const entry =
      target.iccid !== undefined
        ? this.#d.inventory.byIccid(target.iccid)
        : this.#d.inventory.byImsi(target.imsi as string);
    if (entry === undefined) {
      throw new JobError(
        'not-found',
        `no card in the inventory holds ${target.iccid !== undefined ? `ICCID ${target.iccid}` : `IMSI ${target.imsi}`}`,
      );
    }
    return entry;
  }

  /** DESIGN.md 6 step 1, 7: a job with new keys drawn from the CSPRNG, sealed at rest. */
  async create(target: JobTarget, actor: string): Promise<JobView> {
    if (KEY_FIELDS.some((f) => f in target)) {
      throw new JobError(
        'invalid',
        'new keys come only from the server CSPRNG; supplied keys are imported (importKeys)',
      );
    }
    return this.#create(target, actor, undefined);
  }

  /**
   * DESIGN.md 7: the explicit path for operator-supplied keys (a vendor's key file), checked against the card's
   * policy, recorded in the job history with the actor and logged as 'keys-imported' (never the keys).
   */
  async importKeys(target: JobTarget, keys: ImportedKeys, actor: string): Promise<JobView> {
    return this.#create(target, actor, keys);
  }

  async #create(target: JobTarget, actor: string, keys: ImportedKeys | undefined): Promise<JobView> {
    const entry = this.#entry(target);
    if ((await this.#d.store.byIccids([entry.iccid], ACTIVE_STATES)).length > 0) {
      throw new JobError('conflict', `ICCID ${entry.iccid} already has a key update in progress`);
    }
    let subscriber;
    try {
      subscriber = await this.#hss.subscriber(entry.imsi);
    } catch (e) {
      if (e instanceof HssRoleError && e.kind === 'unknown-subscriber')
        throw new JobError('not-found', `the ${this.#hss.name} does not know IMSI ${entry.imsi}`);
      throw e;
    }
    const algorithm = subscriber.algorithm ?? entry.algorithm;
    const keyVersion = (subscriber.activeVersion ?? (await this.#lastCompletedVersion(entry.imsi))) + 1;
    if (this.#hss.algorithms !== undefined && !this.#hss.algorithms.includes(algorithm))
      throw new JobError('invalid', `IMSI ${entry.imsi}: ${this.#hss.name} cannot hold ${algorithm} keys`);
    if (keyVersion > MAX_KEY_VERSION)
      throw new JobError('conflict', `IMSI ${entry.imsi}: key version ${MAX_KEY_VERSION} is the last`);
    if (keys !== undefined) checkImportedKeys(algorithm, keys.k, keys.opc);
    // New keys: the longest K the algorithm allows, and its OPc (TOPc).
    const lengths = akaKeyLengths(algorithm);
    const k = keys?.k.slice() ?? this.#d.rng.randomBytes(Math.max(...lengths.k));
    const opc = keys?.opc.slice() ?? this.#d.rng.randomBytes(Math.max(...lengths.opc));
    const id = toHex(this.#d.rng.randomBytes(8));
    const plain = concatBytes(k, opc);
    const sealedKeys = aesGcmSeal(this.#d.kek, plain, aadOf(id), this.#d.rng);
    plain.fill(0);
    k.fill(0);
    opc.fill(0);
    const at = this.#now();
    const job: JobRecord = {
      id,
      iccid: entry.iccid,
      imsi: entry.imsi,
      eid: entry.eid,
      algorithm,
      keyVersion,
      transactionId: this.#d.rng.randomBytes(TRANSACTION_ID_LENGTH),
      sealedKeys,
      kLength: k.length,
      state: 'pending',
      history: [
        {
          state: 'pending',
          at,
          detail:
            keys === undefined
              ? `created by ${actor}: new keys from the CSPRNG`
              : `created by ${actor}: keys imported by ${actor}`,
        },
      ],
      securityAlarm: false,
      sessions: 0,
      createdBy: actor,
      attempts: 0,
      consecutiveFailures: 0,
      revision: 0,
      createdAt: at,
      updatedAt: at,
    };
    // DESIGN.md 7: the unique index decides between creations racing for one ICCID.
    if (!(await this.#d.store.insert(job))) {
      throw new JobError('conflict', `ICCID ${entry.iccid} already has a key update in progress`);
    }
    this.#d.logger.info(
      { event: 'job-created', job: id, iccid: entry.iccid, keyVersion, actor },
      'key update job created',
    );
    if (keys !== undefined) {
      this.#d.logger.warn(
        { event: 'keys-imported', job: id, iccid: entry.iccid, keyVersion, actor },
        'operator-supplied keys imported for a key update',
      );
    }
    const view = jobView(job);
    await this.#d
      .onJobCreated?.(view)
      .catch((e: Error) =>
        this.#d.logger.warn(
          { event: 'job-notify-failed', job: id, error: e.message },
          'job notification failed',
        ),
      );
    return view;
  }

  /**
   * DESIGN.md 6 (d), 8: the active version of a backend that keeps none (osmo-hlr) is the highest version a
   * completed job of this IMSI committed, or the personalisation version before the first rotation.
   */
  async #lastCompletedVersion(imsi: string): Promise<number> {
    const done = await this.#d.store.byImsis([imsi], ['completed']);
    return Math.max(PERSONALISED_KEY_VERSION, ...done.map((j) => j.keyVersion));
  }

  /** The job's keys, opened from their seal; each caller wipes them. */
  #openKeys(job: JobRecord): PlainKeys {
    const plain = aesGcmOpen(this.#d.kek, job.sealedKeys, aadOf(job.id));
    const keys = { k: plain.slice(0, job.kLength), opc: plain.slice(job.kLength) };
    plain.fill(0);
    return keys;
  }

  /** The job's key transition as the HSS role takes it (keys opened only by a backend that needs them). */
  #transition(job: JobRecord): KeyTransition {
    return {
      keyVersion: job.keyVersion,
      transactionId: job.transactionId,
      algorithm: job.algorithm,
      openKeys: () => this.#openKeys(job),
    };
  }

  async get(id: string): Promise<JobView> {
    return jobView(await this.#record(id));
  }

  async #record(id: string): Promise<JobRecord> {
    const job = await this.#d.store.get(id);
    if (job === undefined) throw new JobError('not-found', `no job ${id}`);
    return job;
  }

  async list(page: { limit?: number; offset?: number } = {}): Promise<JobView[]> {
    return (await this.#d.store.list(page)).map(jobView);
  }

  /** Only before BF70 went to the card; the HSS candidate (if any got staged) is aborted. */
  async cancel(id: string, actor: string): Promise<JobView> {
    const cancelled = await this.#change(
      id,
      (j) => j.state === 'pending' || j.state === 'staged',
      () => ({ state: 'cancelled', detail: `cancelled by ${actor}` }),
    );
    if (cancelled === undefined) {
      const job = await this.#record(id);
      throw new JobError(
        'conflict',
        `job ${id} is ${job.state}: only a job that has not reached the card can be cancelled`,
      );
    }
    // Also when it was pending: a session may be staging right now (it aborts too when it sees the cancel).
    await this.#abort(cancelled);
    return jobView(cancelled);
  }

  /** Does this card have work? (for admin views) */
  async pendingFor(eid: string): Promise<JobView[]> {
    const iccids = this.#d.inventory.byEid(eid).map((e) => e.iccid);
    return (await this.#d.store.byIccids(iccids, ACTIVE_STATES)).map(jobView);
  }

  /** The reconciler's question: which of these IMSIs' transactions do open jobs own? */
  async openTransactionIds(imsis: readonly string[]): Promise<readonly Uint8Array[]> {
    const open = await this.#d.store.byImsis(imsis, ACTIVE_STATES);
    return open.map((j) => j.transactionId);
  }

  /**
   * The next job of the card with the EID, as an order for RAM session `sessionId`; commits left over are
   * retried first. A job backing off after failed attempts is not offered before its nextAttemptAt. Claiming
   * writes nothing: an unauthenticated session owns nothing (DESIGN.md 7); the request phase is claimed by
   * compare-and-set in beforeRequest.
   */
  async claim(eid: string, sessionId: string): Promise<ClaimedJob | undefined> {
    const iccids = this.#d.inventory.byEid(eid).map((e) => e.iccid);
    // One query for every open job, split here; the card's jobs are read again only after a commit wrote.
    let open = await this.#d.store.byIccids(iccids, ACTIVE_STATES);
    const applied = open.filter((j) => j.state === 'applied');
    for (const job of applied) await this.#commit(job);
    if (applied.length > 0) open = await this.#d.store.byIccids(iccids, CARD_STATES);
    const now = this.#now();
    const job = open.find((j) => CARD_STATES.includes(j.state) && attemptDue(j, now));
    if (job === undefined) return undefined;
    // The last copy of the job this session read or wrote: the first compare-and-set of each write tries it.
    let latest: JobRecord = job;
    const remember = (j: JobRecord | undefined): JobRecord | undefined => {
      if (j !== undefined) latest = j;
      return j;
    };
    // The keys stay sealed until the session builds BF70 (or the candidate is staged); each opener wipes.
    const openKeys = (): PlainKeys => this.#openKeys(job);
    const order: KeyUpdateOrder = {
      iccid: job.iccid,
      algorithm: job.algorithm,
      keyVersion: job.keyVersion,
      transactionId: job.transactionId,
      openKeys,
      recover: job.state === 'sent',
    };
    let ended = false;
    const hooks: SessionHooks = {
      // DESIGN.md 7: the card proved itself; the run of failed attempts ends.
      authenticated: async () => {
        remember(
          await this.#change(
            job.id,
            (j) => CARD_STATES.includes(j.state),
            (j) => ({
              fields: {
                sessions: j.sessions + 1,
                consecutiveFailures: 0,
                nextAttemptAt: undefined,
              },
            }),
            latest,
          ),
        );
      },
      beforeRequest: async ({ suite, afterStatus }) =>
        this.#claimRequest(
          job.id,
          sessionId,
          afterStatus,
          () => ended,
          {
            detail: `BF70 sent over SCP11a key set ${suite.kvn} (${suite.curve.name}, AES-${suite.aesKeyLength * 8})`,
          },
          latest,
          remember,
        ),
    };
    const finish = async (o: SessionOutcome | 'released'): Promise<JobView> => {
      ended = true;
      return jobView(await this.#finish(job.id, eid, sessionId, o, latest));
    };
    return { order, hooks, finish };
  }

  /**
   * Before BF70: stage the candidate (pending -> staged; staged again before a resend), then take the request
   * phase (-> sent, holder = this session), each a compare-and-set. A job another session already sent asks BF72 first; a job that
   * ended meanwhile (cancelled) stops the session, aborting a candidate it just staged.
   */
  async #claimRequest(
    id: string,
    sessionId: string,
    afterStatus: boolean,
    ended: () => boolean,
    sent: { detail: string },
    known: JobRecord,
    remember: (j: JobRecord | undefined) => void,
  ): Promise<RequestDecision> {
    // The copy in hand stands in for the first read only where a compare-and-set checks it (pending, staged):
    // a stale copy then fails its write and the job is read. Decisions taken on the state alone read it.
    let hint: JobRecord | undefined =
      known.state === 'pending' || known.state === 'staged' ? known : undefined;
    let stagedHere = false;
    for (let i = 0; i < CAS_TRIES; i++) {
      if (ended()) throw new SessionError('job', 'the session was superseded');
      let job = hint ?? (await this.#record(id));
      hint = undefined;
      if (!CARD_STATES.includes(job.state)) {
        // Ended (cancelled) after this session staged from a copy: the candidate must not stay (DESIGN.md 6 step 4).
        if (stagedHere && (job.state === 'cancelled' || job.state === 'failed')) await this.#abort(job);
        throw new SessionError('job', `the job is ${job.state}`);
      }
      if (job.state === 'sent' && !afterStatus && job.requestHolder !== sessionId) return 'status';
      // Staged before every BF70, not only the first (the same transaction is a no-op at the HSS): the card must
      // never get keys the HSS could not commit, e.g. after the candidate was aborted at the HSS meanwhile.
      await this.#stage(job);
      stagedHere = true;
      if (job.state === 'pending') {
        const staged = await this.#change(
          id,
          (j) => j.state === 'pending',
          () => ({
            state: 'staged',
            detail: this.#hss.hasCandidates
              ? `candidate staged at the ${this.#hss.name}`
              : `subscriber checked at ${this.#hss.name} (no candidate key set: the keys are written after BF71)`,
          }),
          job,
        );
        if (staged === undefined) {
          const now = await this.#record(id);
          if (!ACTIVE_STATES.includes(now.state)) {
            // Cancelled while we staged: the candidate must not stay (DESIGN.md 6 step 4).
            await this.#abort(now);
            throw new SessionError('job', `the job was ${now.state} while the candidate was staged`);
          }
          continue;
        }
        job = staged;
      }
      if (ended()) throw new SessionError('job', 'the session was superseded');
      const expected = job.revision;
      const next: JobRecord = {
        ...job,
        state: 'sent',
        requestHolder: sessionId,
        history: [
          ...job.history,
          {
            state: 'sent',
            at: this.#now(),
            detail: job.state === 'sent' ? `${sent.detail} again (BF73: not applied)` : sent.detail,
          },
        ],
        revision: expected + 1,
        updatedAt: this.#now(),
      };
      // The request phase is this session's only if nobody wrote since we read (DESIGN.md 7).
      if (await this.#d.store.update(next, expected)) {
        remember(next);
        if (job.state !== 'sent') {
          this.#d.logger.info(
            { event: 'job-state', job: id, iccid: job.iccid, state: 'sent', detail: sent.detail },
            'job sent',
          );
        }
        return 'update';
      }
    }
    throw new SessionError('job', 'the job kept changing; another session holds it');
  }

  /** Stages the candidate; a conflict with another transaction's candidate reconciles the IMSI and retries once. */
  async #stage(job: JobRecord): Promise<void> {
    const stage = () => this.#hss.stage(job.imsi, this.#transition(job));
    try {
      await stage();
    } catch (e) {
      if (!(e instanceof HssRoleError && e.kind === 'conflict')) throw e;
      const view = await this.#hss.subscriber(job.imsi);
      if ((await abortOrphans([view], this, this.#hss, this.#d.logger)) === 0) throw e;
      await stage();
    }
  }

  async #finish(
    id: string,
    eid: string,
    sessionId: string,
    o: SessionOutcome | 'released',
    known: JobRecord,
  ): Promise<JobRecord> {
    if (o === 'released') return this.#record(id);
    if (o.kind === 'applied') {
      const applied = await this.#change(
        id,
        (j) => CARD_STATES.includes(j.state),
        () => ({
          state: 'applied',
          detail: o.viaStatus ? 'BF73: the card holds the new keys' : 'BF71: applied',
        }),
        known,
      );
      const job = applied ?? (await this.#record(id));
      return job.state === 'applied' ? this.#commit(job) : job;
    }
    if (o.kind === 'refused') {
      const alarm = o.outcome === OUTCOME_NEGOTIATION_MISMATCH;
      const detail = `card refused: outcome ${describeOutcome(o.outcome)}`;
      const failed = await this.#change(
        id,
        (j) => CARD_STATES.includes(j.state),
        (j) => ({
          state: 'failed',
          detail,
          fields: { error: detail, securityAlarm: j.securityAlarm || alarm },
        }),
        known,
      );
      if (failed === undefined) return this.#record(id);
      if (alarm) {
        this.securityAlarms++;
        this.#d.logger.error(
          { event: 'security-alarm', reason: 'negotiation-mismatch', job: id, eid, iccid: failed.iccid },
          'card reports negotiation mismatch (outcome 06): an on-path party edited what the server read',
        );
      }
      await this.#abort(failed);
      return failed;
    }
    const { failure } = o.error;
    // Not a finding about the job: it changed meanwhile, or the UE left after the card authenticated.
    if (failure === 'job' || (failure === 'abandoned' && o.authenticated)) return this.#record(id);
    return this.#countAttempt(id, eid, sessionId, o.error, known);
  }

  /**
   * DESIGN.md 7: a failure nobody authenticated (before the card did, or an SW without R-MAC) counts an attempt:
   * the state stays, the job backs off (1 s doubling to 5 min), and a run of failures raises the alarm.
   */
  async #countAttempt(
    id: string,
    eid: string,
    sessionId: string,
    error: SessionError,
    known: JobRecord,
  ): Promise<JobRecord> {
    const at = this.#now();
    const p = this.#policy;
    // Issue 13: a card certificate that validates but carries another key than the card's pin.
    const pinAlarm = error.failure === 'card-pin';
    const counted = await this.#change(
      id,
      (j) => CARD_STATES.includes(j.state),
      (j) => {
        const { fields, alarm } = failedAttempt(p, j, at, `${error.failure}: ${error.message}`);
        return { fields: { ...fields, securityAlarm: j.securityAlarm || alarm || pinAlarm } };
      },
      known,
    );
    if (counted === undefined) return this.#record(id);
    this.#d.logger.warn(
      {
        event: 'job-attempt-failed',
        job: id,
        eid,
        session: sessionId,
        failure: error.failure,
        attempts: counted.attempts,
        consecutiveFailures: counted.consecutiveFailures,
        nextAttemptAt: counted.nextAttemptAt,
      },
      'key update attempt failed; the job stays as it was',
    );
    if (pinAlarm) {
      this.securityAlarms++;
      this.#d.logger.error(
        {
          event: 'security-alarm',
          reason: 'card-pin-mismatch',
          job: id,
          eid,
          iccid: counted.iccid,
          session: sessionId,
        },
        "a card certificate that validates carries another key than the card's pin (a compromised CA-KLCC?)",
      );
    }
    if (counted.consecutiveFailures % p.alarmAfter === 0) {
      this.securityAlarms++;
      this.#d.logger.error(
        {
          event: 'security-alarm',
          reason: 'failed-attempts',
          job: id,
          eid,
          iccid: counted.iccid,
          consecutiveFailures: counted.consecutiveFailures,
        },
        `${counted.consecutiveFailures} failed key update attempts in a row for this card`,
      );
    }
    return counted;
  }

  /** Aborts the job's candidate at the HSS (a no-op there when none is staged); failures are logged. */
  async #abort(job: JobRecord): Promise<void> {
    try {
      await this.#hss.abort(job.imsi, job.transactionId);
    } catch (e) {
      this.#d.logger.warn(
        { event: 'hss-abort-failed', job: job.id, error: (e as Error).message },
        'HSS abort failed; the reconciler retries',
      );
    }
  }

  // DESIGN.md 6 step 2: the candidate becomes active (idempotent at the HSS); without candidates (DESIGN.md 8)
  // the keys are written now, read back and compared. Completed only once that succeeded.
  async #commit(job: JobRecord): Promise<JobRecord> {
    try {
      await this.#hss.commit(job.imsi, this.#transition(job));
    } catch (e) {
      this.#d.logger.warn(
        { event: 'hss-commit-failed', job: job.id, imsi: job.imsi, error: (e as Error).message },
        `${this.#hss.name} commit failed; the job stays applied and is retried (reconciler, next session)`,
      );
      return job;
    }
    return (
      (await this.#change(
        job.id,
        (j) => j.state === 'applied',
        () => ({
          state: 'completed',
          detail: this.#hss.hasCandidates
            ? `committed at the ${this.#hss.name}`
            : `keys written to ${this.#hss.name} and read back`,
        }),
        job,
      )) ?? (await this.#record(job.id))
    );
  }

  /** Retries the HSS commit of every job the card applied but the HSS has not committed. */
  async retryCommits(): Promise<number> {
    let done = 0;
    for (const job of await this.#d.store.list({ limit: 10_000 })) {
      if (job.state === 'applied' && (await this.#commit(job)).state === 'completed') done++;
    }
    return done;
  }
}
