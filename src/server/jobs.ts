// DESIGN.md 6, 7: key-update jobs and the key transition around the card session. The HSS candidate is staged
// before BF70 travels and committed once BF71 (or BF73 on resume) says applied; a refusal aborts it. With a
// backend without candidates (DESIGN.md 8, osmo-hlr: HssRole.hasCandidates false) staging only checks the
// subscriber and the commit writes the keys; a job whose commit failed stays applied and is retried (the
// reconciler's pass, the card's next session), never reported completed. Only the card's answers inside the
// secure channel decide a job; every other failure counts an attempt (with backoff and an alarm) and leaves the
// job where it was. Every write is compare-and-set on the record's revision. Issue 11: a session writes its job
// twice (sent, with staged and the card's authentication; completed, with applied), and campaign waves create
// their jobs in one batch (createMany).
import { MAX_KEY_VERSION, akaKeyLengths, opcName, type AkaAlgorithm } from '../aka/params/index.js';
import { concatBytes, equalBytes, toHex } from '../bytes/index.js';
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
import {
  HssRoleError,
  PERSONALISED_KEY_VERSION,
  subscribersOf,
  type HssRole,
  type HssSubscriber,
  type KeyTransition,
} from './hss-role.js';
import { hssRoleOf } from './ltku-hss.js';
import {
  ACTIVE_STATES,
  CARD_STATES,
  ALL_JOB_STATES,
  jobView,
  type JobRecord,
  type JobState,
  type JobView,
} from './job.js';
import type { JobCursor, JobStore } from './job-store.js';
import { CAS_TRIES, changed, compareAndSet, type Change as RevisionChange } from './revision.js';
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

/** One target's answer from JobService.createMany: its new job, or why it got none. */
export type CreateResult =
  | { readonly target: JobTarget; readonly job: JobView }
  | { readonly target: JobTarget; readonly error: JobError };

/** New-job notifications (onJobCreated, e.g. a push through the core) under way at once for a batch. */
const NOTIFY_PARALLEL = 16;
/** Applied jobs whose HSS commit one reconciler pass retries. */
const RETRY_COMMITS_BATCH = 1000;
/** A sent job written this recently may still have its session: completeCommitted leaves it alone. */
const SENT_QUIET_MS = 60_000;
/** Pages of sent jobs one reconciler pass reads at most (RETRY_COMMITS_BATCH each). */
const SENT_PAGES_PER_PASS = 10;

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

function keysNotAccepted(): JobError {
  return new JobError(
    'invalid',
    'new keys come only from the server CSPRNG; supplied keys are imported (importKeys)',
  );
}

/** Issue 11: a campaign creates one job per ICCID, ever (its unique index refused a second one). */
function campaignJob(campaign: string, job: JobRecord): JobError {
  return new JobError(
    'conflict',
    `campaign ${campaign} already created job ${job.id} (${job.state}) for ICCID ${job.iccid}`,
  );
}

/** DESIGN.md 7: one open job per ICCID. */
function openJob(iccid: string): JobError {
  return new JobError('conflict', `ICCID ${iccid} already has a key update in progress`);
}

function aadOf(id: string): Uint8Array {
  return new TextEncoder().encode(`ltku-job:${id}`);
}

type Change = RevisionChange<JobRecord, JobState>;

/** DESIGN.md 7: the card proved itself in a session: one more session, and the run of failed attempts ends. */
function authenticatedFields(j: JobRecord): Partial<JobRecord> {
  return { sessions: j.sessions + 1, consecutiveFailures: 0, nextAttemptAt: undefined };
}

/**
 * What one RAM session knows of its job: the last copy it read or wrote (the first compare-and-set of each
 * write tries it), and whether the card's authentication is still to be written (issue 11: it rides on the
 * session's next write rather than costing one of its own). The session's writes run one at a time.
 */
interface SessionJob {
  latest: JobRecord;
  authenticationUnwritten: boolean;
  serialised<T>(write: () => Promise<T>): Promise<T>;
  wrote(j: JobRecord): void;
}

function sessionJob(job: JobRecord): SessionJob {
  let queue: Promise<unknown> = Promise.resolve();
  const s: SessionJob = {
    latest: job,
    authenticationUnwritten: false,
    serialised<T>(write: () => Promise<T>): Promise<T> {
      const run = queue.then(write);
      queue = run.catch(() => undefined);
      return run;
    },
    wrote(j) {
      s.latest = j;
      s.authenticationUnwritten = false;
    },
  };
  return s;
}

/** `change` carrying the session's unwritten authentication; `change` sees the job as it becomes with it. */
function carried(s: SessionJob, change: (j: JobRecord) => Change): (j: JobRecord) => Change {
  return (j) => {
    if (!s.authenticationUnwritten) return change(j);
    const authenticated = authenticatedFields(j);
    const c = change({ ...j, ...authenticated });
    return { ...c, fields: { ...authenticated, ...c.fields } };
  };
}

export class JobService implements OpenTransactions {
  readonly #d: JobServiceDeps;
  readonly #hss: HssRole;
  readonly #policy: AttemptPolicy;
  /** Where the reconciler's reading of sent jobs stopped (completeCommitted); undefined: from the oldest. */
  #sentCursor: JobCursor | undefined;
  /** Security alarms since start: outcome 06 reports (DESIGN.md 4.4) and runs of failed attempts (7). */
  securityAlarms = 0;

  constructor(deps: JobServiceDeps) {
    this.#d = deps;
    this.#hss = hssRoleOf(deps.hss);
    this.#policy = { ...DEFAULT_ATTEMPT_POLICY, ...deps.attempts };
  }

  /** DESIGN.md 7: the backoff and alarm this service counts failed attempts with (the campaigns read its alarm). */
  get attemptPolicy(): AttemptPolicy {
    return this.#policy;
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
    const { before, after, change: c } = done;
    for (const step of c.via ?? []) this.#logState(after, step.state, step.detail);
    if (after.state !== before.state) this.#logState(after, after.state, c.detail);
    return after;
  }

  #logState(job: JobRecord, state: JobState, detail: string | undefined): void {
    this.#d.logger.info({ event: 'job-state', job: job.id, iccid: job.iccid, state, detail }, `job ${state}`);
  }

  /**
   * A compare-and-set of a session's job from its copy in hand, one write of the session at a time; the card's
   * authentication, while unwritten, rides on it (`change` sees the job as it becomes with it).
   */
  async #sessionChange(
    s: SessionJob,
    accept: (j: JobRecord) => boolean,
    change: (j: JobRecord) => Change,
  ): Promise<JobRecord | undefined> {
    return s.serialised(async () => {
      const after = await this.#change(s.latest.id, accept, carried(s, change), s.latest);
      if (after !== undefined) s.wrote(after);
      return after;
    });
  }

  /**
   * One compare-and-set of a session's job over `from` (read or written just before), not retried: the
   * record written, or undefined when someone wrote since `from`.
   */
  async #sessionWriteOnce(
    s: SessionJob,
    from: JobRecord,
    change: (j: JobRecord) => Change,
  ): Promise<JobRecord | undefined> {
    return s.serialised(async () => {
      const c = carried(s, change)(from);
      const after = changed(from, c, this.#now());
      if (!(await this.#d.store.update(after, from.revision))) return undefined;
      s.wrote(after);
      for (const step of c.via ?? []) this.#logState(after, step.state, step.detail);
      if (after.state !== from.state) this.#logState(after, after.state, c.detail);
      return after;
    });
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
    if (KEY_FIELDS.some((f) => f in target)) throw keysNotAccepted();
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
    if ((await this.#d.store.byIccids([entry.iccid], ACTIVE_STATES)).length > 0) throw openJob(entry.iccid);
    let subscriber;
    try {
      subscriber = await this.#hss.subscriber(entry.imsi);
    } catch (e) {
      if (e instanceof HssRoleError && e.kind === 'unknown-subscriber') throw this.#unknownImsi(entry.imsi);
      throw e;
    }
    const completed =
      subscriber.activeVersion === null ? await this.#lastCompletedVersions([entry.imsi]) : undefined;
    const job = this.#draft(entry, subscriber, completed?.get(entry.imsi), actor, keys);
    // DESIGN.md 7: the unique index decides between creations racing for one ICCID.
    if (!(await this.#d.store.insert(job))) throw openJob(entry.iccid);
    return this.#announce(job, keys !== undefined);
  }

  /**
   * Issue 11 (campaign waves, POST /jobs/batch): a job per target as `create` makes it, in a few round trips
   * whatever the batch size: one read of the open jobs, one HSS lookup, one insert. A target refused (not in the
   * inventory or at the HSS, an open job, named twice in the batch, a unique index) gets its JobError; the
   * others go ahead. Throws when the store or the HSS lookup fails: before the insert having created nothing,
   * after it (naming a conflict) with the jobs stored, which a campaign adopts once its lease runs out. With
   * `campaign` the jobs carry it and the store takes one job per (campaign, ICCID) ever: a creation that comes
   * late (its lease ran out while it waited, another instance created the job and it has ended) is a conflict
   * naming the campaign's job, never a second rotation.
   */
  async createMany(targets: readonly JobTarget[], actor: string, campaign?: string): Promise<CreateResult[]> {
    const results: CreateResult[] = new Array<CreateResult>(targets.length);
    const refuse = (i: number, error: JobError) => (results[i] = { target: targets[i], error });
    const wanted: { i: number; entry: InventoryEntry }[] = [];
    const named = new Set<string>();
    targets.forEach((target, i) => {
      try {
        if (KEY_FIELDS.some((f) => f in target)) throw keysNotAccepted();
        const entry = this.#entry(target);
        if (named.has(entry.iccid)) throw openJob(entry.iccid);
        named.add(entry.iccid);
        wanted.push({ i, entry });
      } catch (e) {
        if (!(e instanceof JobError)) throw e;
        refuse(i, e);
      }
    });
    const open = new Set((await this.#d.store.byIccids([...named], ACTIVE_STATES)).map((j) => j.iccid));
    const fresh = wanted.filter((w) => !open.has(w.entry.iccid));
    for (const w of wanted) if (open.has(w.entry.iccid)) refuse(w.i, openJob(w.entry.iccid));
    const subscribers =
      fresh.length === 0
        ? new Map<string, HssSubscriber>()
        : await subscribersOf(
            this.#hss,
            fresh.map((w) => w.entry.imsi),
          );
    const completed = await this.#lastCompletedVersions(
      fresh.filter((w) => subscribers.get(w.entry.imsi)?.activeVersion === null).map((w) => w.entry.imsi),
    );
    const drafts: { i: number; job: JobRecord }[] = [];
    for (const w of fresh) {
      const subscriber = subscribers.get(w.entry.imsi);
      try {
        if (subscriber === undefined) throw this.#unknownImsi(w.entry.imsi);
        const job = this.#draft(w.entry, subscriber, completed.get(w.entry.imsi), actor, undefined);
        drafts.push({ i: w.i, job: campaign === undefined ? job : { ...job, campaign } });
      } catch (e) {
        if (!(e instanceof JobError)) throw e;
        refuse(w.i, e);
      }
    }
    // DESIGN.md 7: the unique indexes decide, per job, between creations racing for one ICCID.
    const stored = await this.#d.store.insertMany(drafts.map((d) => d.job));
    const refused = drafts.filter((_, k) => !stored[k]);
    const campaignJobs = await this.#campaignJobs(
      campaign,
      refused.map((d) => d.job.iccid),
    );
    for (const d of refused) {
      const held = campaignJobs.get(d.job.iccid);
      refuse(d.i, held === undefined ? openJob(d.job.iccid) : campaignJob(campaign as string, held));
    }
    const created = drafts.filter((_, k) => stored[k]);
    let next = 0;
    const announce = async () => {
      while (next < created.length) {
        const d = created[next++];
        results[d.i] = { target: targets[d.i], job: await this.#announce(d.job, false) };
      }
    };
    await Promise.all(Array.from({ length: Math.min(NOTIFY_PARALLEL, created.length) }, announce));
    return results;
  }

  /** The jobs `campaign` holds for these ICCIDs (read only after a refused insert, to name the conflict). */
  async #campaignJobs(
    campaign: string | undefined,
    iccids: readonly string[],
  ): Promise<Map<string, JobRecord>> {
    if (campaign === undefined || iccids.length === 0) return new Map();
    const jobs = await this.#d.store.byIccids(iccids, ALL_JOB_STATES);
    return new Map(jobs.filter((j) => j.campaign === campaign).map((j) => [j.iccid, j]));
  }

  #unknownImsi(imsi: string): JobError {
    return new JobError('not-found', `the ${this.#hss.name} does not know IMSI ${imsi}`);
  }

  /**
   * DESIGN.md 6 step 1, 7: a new job's record: the version after the subscriber's active one (or after
   * `lastCompleted` for a backend that keeps none), new keys from the CSPRNG (or the imported ones), sealed.
   */
  #draft(
    entry: InventoryEntry,
    subscriber: HssSubscriber,
    lastCompleted: number | undefined,
    actor: string,
    keys: ImportedKeys | undefined,
  ): JobRecord {
    const algorithm = subscriber.algorithm ?? entry.algorithm;
    const keyVersion = (subscriber.activeVersion ?? lastCompleted ?? PERSONALISED_KEY_VERSION) + 1;
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
    return {
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
  }

  /** A stored new job logged (and its import audited) and told to onJobCreated; its view. */
  async #announce(job: JobRecord, imported: boolean): Promise<JobView> {
    const { id, iccid, keyVersion, createdBy: actor } = job;
    this.#d.logger.info(
      { event: 'job-created', job: id, iccid, keyVersion, actor },
      'key update job created',
    );
    if (imported) {
      this.#d.logger.warn(
        { event: 'keys-imported', job: id, iccid, keyVersion, actor },
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
   * completed job of the IMSI committed, or the personalisation version before the first rotation.
   */
  async #lastCompletedVersions(imsis: readonly string[]): Promise<Map<string, number>> {
    const last = new Map<string, number>();
    if (imsis.length === 0) return last;
    for (const imsi of imsis) last.set(imsi, PERSONALISED_KEY_VERSION);
    for (const j of await this.#d.store.byImsis(imsis, ['completed'])) {
      last.set(j.imsi, Math.max(last.get(j.imsi) ?? PERSONALISED_KEY_VERSION, j.keyVersion));
    }
    return last;
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
    const s = sessionJob(job);
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
      // DESIGN.md 7: the card proved itself; the run of failed attempts ends, written with the session's next
      // write (the request phase, or the session's end): an instance dying before that loses bookkeeping only.
      authenticated: async () => {
        s.authenticationUnwritten = true;
      },
      beforeRequest: async ({ suite, afterStatus }) =>
        this.#claimRequest(sessionId, afterStatus, () => ended, s, {
          detail: `BF70 sent over SCP11a key set ${suite.kvn} (${suite.curve.name}, AES-${suite.aesKeyLength * 8})`,
        }),
    };
    const finish = async (o: SessionOutcome | 'released'): Promise<JobView> => {
      ended = true;
      return jobView(await this.#finish(eid, sessionId, o, s));
    };
    return { order, hooks, finish };
  }

  /**
   * Before BF70: stage the candidate at the HSS, then one compare-and-set writes (pending ->) staged -> sent with
   * this session as the request holder (both history entries; staged again before a resend). A job another
   * session already sent asks BF72 first; a job that ended meanwhile (cancelled) stops the session, aborting a
   * candidate it staged (DESIGN.md 6 step 4).
   */
  async #claimRequest(
    sessionId: string,
    afterStatus: boolean,
    ended: () => boolean,
    s: SessionJob,
    sent: { detail: string },
  ): Promise<RequestDecision> {
    const id = s.latest.id;
    // The copy in hand stands in for the first read only where a compare-and-set checks it (pending, staged):
    // a stale copy then fails its write and the job is read. Decisions taken on the state alone read it.
    let hint: JobRecord | undefined =
      s.latest.state === 'pending' || s.latest.state === 'staged' ? s.latest : undefined;
    let stagedHere = false;
    for (let i = 0; i < CAS_TRIES; i++) {
      if (ended()) throw new SessionError('job', 'the session was superseded');
      const job = hint ?? (await this.#record(id));
      hint = undefined;
      if (!CARD_STATES.includes(job.state)) {
        // Ended (cancelled) after this session staged: the candidate must not stay (DESIGN.md 6 step 4).
        if (stagedHere && (job.state === 'cancelled' || job.state === 'failed')) await this.#abort(job);
        throw new SessionError('job', `the job is ${job.state}`);
      }
      if (job.state === 'sent' && !afterStatus && job.requestHolder !== sessionId) return 'status';
      // Staged before every BF70, not only the first (the same transaction is a no-op at the HSS): the card must
      // never get keys the HSS could not commit, e.g. after the candidate was aborted at the HSS meanwhile.
      try {
        await this.#stage(job);
      } catch (e) {
        // The HSS failed, not the card's reach: the session is not counted (a campaign member gives up after
        // maxAttempts counted sessions, and an HSS outage must not use them up).
        s.authenticationUnwritten = false;
        throw e;
      }
      stagedHere = true;
      if (ended()) throw new SessionError('job', 'the session was superseded');
      const via =
        job.state === 'pending'
          ? [
              {
                state: 'staged' as const,
                detail: this.#hss.hasCandidates
                  ? `candidate staged at the ${this.#hss.name}`
                  : `subscriber checked at ${this.#hss.name} (no candidate key set: the keys are written after BF71)`,
              },
            ]
          : [];
      const detail = job.state === 'sent' ? `${sent.detail} again (BF73: not applied)` : sent.detail;
      // The request phase is this session's only if nobody wrote since `job` was read (DESIGN.md 7): the
      // compare-and-set is tried once from it, a lost one reads the job again above.
      const written = await this.#sessionWriteOnce(s, job, () => ({
        state: 'sent',
        via,
        detail,
        fields: { requestHolder: sessionId },
      }));
      if (written !== undefined) return 'update';
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
    eid: string,
    sessionId: string,
    o: SessionOutcome | 'released',
    s: SessionJob,
  ): Promise<JobRecord> {
    // Not a finding about the job: it changed meanwhile, or the UE left after the card authenticated.
    const noFinding =
      o === 'released' ||
      (o.kind === 'failed' &&
        (o.error.failure === 'job' || (o.error.failure === 'abandoned' && o.authenticated)));
    if (noFinding) return this.#withoutFinding(s);
    const id = s.latest.id;
    if (o.kind === 'applied')
      return this.#applied(s, o.viaStatus ? 'BF73: the card holds the new keys' : 'BF71: applied');
    if (o.kind === 'refused') {
      const alarm = o.outcome === OUTCOME_NEGOTIATION_MISMATCH;
      const detail = `card refused: outcome ${describeOutcome(o.outcome)}`;
      // DESIGN.md 7: only the session holding the request phase speaks for the job's last BF70. A refusal held
      // back from an older session (another instance, a UE replaying late) answers a request that a newer
      // session has since resent: it decides nothing, and the newer session's BF71 or BF73 does.
      const failed = await this.#sessionChange(
        s,
        (j) => CARD_STATES.includes(j.state) && j.requestHolder === sessionId,
        (j) => ({
          state: 'failed',
          detail,
          fields: { error: detail, securityAlarm: j.securityAlarm || alarm },
        }),
      );
      if (failed === undefined) {
        const now = await this.#withoutFinding(s);
        if (CARD_STATES.includes(now.state))
          this.#d.logger.warn(
            { event: 'stale-refusal', job: id, eid, session: sessionId, outcome: o.outcome },
            'a card refusal from a session that no longer holds the request phase decides nothing',
          );
        return now;
      }
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
    return this.#countAttempt(eid, sessionId, o.error, s);
  }

  /** The session's end with no finding: its unwritten authentication written (if any), the job as it is. */
  async #withoutFinding(s: SessionJob): Promise<JobRecord> {
    const authenticated = await s.serialised(async () => s.authenticationUnwritten);
    const after = authenticated
      ? await this.#sessionChange(
          s,
          (j) => CARD_STATES.includes(j.state),
          () => ({}),
        )
      : undefined;
    return after ?? this.#record(s.latest.id);
  }

  /**
   * DESIGN.md 6 step 2: the card holds the new keys (verified BF71, or BF73 on resume). With candidates the HSS
   * commit comes first and one write records applied and completed: an instance dying in between leaves the job
   * sent, which the card's next session resolves by BF72 (the commit is idempotent), while the card's attaches
   * promote the candidate meanwhile (DESIGN.md 6 step 3). A commit that fails writes applied, retried later.
   * Without candidates (osmo-hlr: no promotion at attach) applied is written before the keys are.
   */
  async #applied(s: SessionJob, detail: string): Promise<JobRecord> {
    const id = s.latest.id;
    if (this.#hss.hasCandidates) {
      if (await this.#tryCommit(s.latest)) {
        const completed = await this.#sessionChange(
          s,
          (j) => CARD_STATES.includes(j.state) || j.state === 'applied',
          (j) => ({
            state: 'completed',
            detail: this.#committedDetail(),
            via: j.state === 'applied' ? [] : [{ state: 'applied', detail }],
          }),
        );
        return completed ?? this.#record(id);
      }
      return (
        (await this.#sessionChange(
          s,
          (j) => CARD_STATES.includes(j.state),
          () => ({ state: 'applied', detail }),
        )) ?? this.#record(id)
      );
    }
    const applied = await this.#sessionChange(
      s,
      (j) => CARD_STATES.includes(j.state),
      () => ({ state: 'applied', detail }),
    );
    const job = applied ?? (await this.#record(id));
    return job.state === 'applied' ? this.#commit(job) : job;
  }

  /**
   * DESIGN.md 7: a failure nobody authenticated (before the card did, or an SW without R-MAC) counts an attempt:
   * the state stays, the job backs off (1 s doubling to 5 min), and a run of failures raises the alarm.
   */
  async #countAttempt(
    eid: string,
    sessionId: string,
    error: SessionError,
    s: SessionJob,
  ): Promise<JobRecord> {
    const id = s.latest.id;
    const at = this.#now();
    const p = this.#policy;
    // Issue 13: a card certificate that validates but carries another key than the card's pin.
    const pinAlarm = error.failure === 'card-pin';
    const counted = await this.#sessionChange(
      s,
      (j) => CARD_STATES.includes(j.state),
      (j) => {
        const { fields, alarm } = failedAttempt(p, j, at, `${error.failure}: ${error.message}`);
        return { fields: { ...fields, securityAlarm: j.securityAlarm || alarm || pinAlarm } };
      },
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
    if (!(await this.#tryCommit(job))) return job;
    return (
      (await this.#change(
        job.id,
        (j) => j.state === 'applied',
        () => ({ state: 'completed', detail: this.#committedDetail() }),
        job,
      )) ?? (await this.#record(job.id))
    );
  }

  /** The HSS commit of the job's transition; false (logged) when it failed: the job is retried later. */
  async #tryCommit(job: JobRecord): Promise<boolean> {
    try {
      await this.#hss.commit(job.imsi, this.#transition(job));
      return true;
    } catch (e) {
      this.#d.logger.warn(
        { event: 'hss-commit-failed', job: job.id, imsi: job.imsi, error: (e as Error).message },
        `${this.#hss.name} commit failed; the job stays applied and is retried (reconciler, next session)`,
      );
      return false;
    }
  }

  #committedDetail(): string {
    return this.#hss.hasCandidates
      ? `committed at the ${this.#hss.name}`
      : `keys written to ${this.#hss.name} and read back`;
  }

  /**
   * Retries the HSS commit of the jobs the card applied but the HSS has not committed, the oldest
   * RETRY_COMMITS_BATCH per pass (a later pass takes the rest).
   */
  async retryCommits(): Promise<number> {
    let done = 0;
    for (const job of await this.#d.store.inState('applied', { limit: RETRY_COMMITS_BATCH })) {
      if ((await this.#commit(job)).state === 'completed') done++;
    }
    return done;
  }

  /**
   * DESIGN.md 6 step 2: a job left `sent` although the HSS already holds its keys (the instance died between the
   * HSS commit and its own write, or the card's attach promoted the candidate and its session never came back)
   * is completed without waiting for the card: the HSS makes a transaction active only after a verified BF71 or
   * BF73, or an attach that authenticated with its keys, so the card holds them. Jobs written in the last
   * SENT_QUIET_MS are left to their live session; at most SENT_PAGES_PER_PASS pages a pass, the next pass going
   * on where this one stopped (jobs whose card never comes back are not all re-read every pass). Returns how
   * many it completed.
   */
  async completeCommitted(): Promise<number> {
    if (!this.#hss.hasCandidates) return 0; // without candidates the keys are written only after `applied`
    const updatedBefore = new Date(this.#d.clock.now().getTime() - SENT_QUIET_MS).toISOString();
    let done = 0;
    for (let pages = 0; pages < SENT_PAGES_PER_PASS; pages++) {
      const after = this.#sentCursor;
      const page = await this.#d.store.inState('sent', {
        limit: RETRY_COMMITS_BATCH,
        updatedBefore,
        ...(after === undefined ? {} : { after }),
      });
      const last = page[page.length - 1];
      this.#sentCursor =
        page.length < RETRY_COMMITS_BATCH ? undefined : { createdAt: last.createdAt, id: last.id };
      const held = await subscribersOf(this.#hss, [...new Set(page.map((j) => j.imsi))]);
      for (const job of page) {
        const active = held.get(job.imsi)?.activeTransactionId;
        if (active === undefined || !equalBytes(active, job.transactionId)) continue;
        const completed = await this.#change(
          job.id,
          (j) => j.state === 'sent',
          () => ({
            state: 'completed',
            detail: `the ${this.#hss.name} holds this transaction's keys (committed, or promoted at attach)`,
            via: [
              { state: 'applied', detail: "found by the reconciler: the HSS's active keys are this job's" },
            ],
          }),
          job,
        );
        if (completed !== undefined) done++;
      }
      if (this.#sentCursor === undefined) break;
    }
    return done;
  }
}
