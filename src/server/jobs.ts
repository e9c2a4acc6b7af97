// DESIGN.md 6: key-update jobs and the key transition around the card session. The HSS candidate is staged
// before BF70 travels and committed once BF71 (or BF73 on resume) says applied; a refusal aborts it.
import { concatBytes, equalBytes, fromHex, toHex } from '../bytes/index.js';
import { aesGcmOpen, aesGcmSeal, type RandomSource } from '../crypto/index.js';
import { OUTCOME_NEGOTIATION_MISMATCH, describeOutcome } from '../gp/index.js';
import { HssClientError, type HssClient } from '../hss/client/index.js';
import type { Clock, Logger } from '../ports/index.js';
import { JobError } from './errors.js';
import { ACTIVE_STATES, CARD_STATES, jobView, type JobRecord, type JobState, type JobView } from './job.js';
import type { JobStore } from './job-store.js';
import type { Inventory } from './inventory.js';
import type { KeyUpdateOrder, SessionHooks, SessionOutcome } from './session.js';

export interface JobServiceDeps {
  readonly store: JobStore;
  readonly inventory: Inventory;
  readonly hss: HssClient;
  /** 32-byte key-encryption key of the keys at rest. */
  readonly kek: Uint8Array;
  /** New keys and transaction ids (a CSPRNG in production). */
  readonly rng: RandomSource;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Told about each new job (e.g. to push it to the UE through the core). */
  readonly onJobCreated?: (job: JobView) => Promise<void>;
}

export interface JobTarget {
  readonly iccid?: string;
  readonly imsi?: string;
  /** Keys the operator supplies instead of fresh ones from the CSPRNG (OPc, or TOPc for TUAK). */
  readonly keys?: { readonly k: Uint8Array; readonly opc: Uint8Array };
}

/** DESIGN.md 4.5: lengths by algorithm, and the card's policy (check 8) refused up front. */
function checkSuppliedKeys(algorithm: 'milenage' | 'tuak', k: Uint8Array, opc: Uint8Array): void {
  const kOk = algorithm === 'milenage' ? k.length === 16 : k.length === 16 || k.length === 32;
  const opcOk = opc.length === (algorithm === 'milenage' ? 16 : 32);
  const name = algorithm === 'milenage' ? 'opc' : 'topc';
  if (!kOk) throw new JobError(400, `k: ${k.length} bytes is not a ${algorithm} key length`);
  if (!opcOk) throw new JobError(400, `${name}: ${opc.length} bytes is not a ${algorithm} ${name} length`);
  const uniform = (b: Uint8Array) => b.every((x) => x === b[0]);
  if (uniform(k) || uniform(opc))
    throw new JobError(400, `k or ${name} is one byte value repeated (card policy)`);
  if (k.length === opc.length && equalBytes(k, opc))
    throw new JobError(400, `k equals ${name} (card policy)`);
}

const TRANSACTION_ID_LENGTH = 16;
const MILENAGE_KEY_LENGTH = 16;
const TUAK_KEY_LENGTH = 32;
const MAX_KEY_VERSION = 255;

function aadOf(id: string): Uint8Array {
  return new TextEncoder().encode(`ltku-job:${id}`);
}

export class JobService {
  readonly #d: JobServiceDeps;
  /** Outcome 06 reports since start (DESIGN.md 4.4 security alarm). */
  securityAlarms = 0;

  constructor(deps: JobServiceDeps) {
    this.#d = deps;
  }

  #now(): string {
    return this.#d.clock.now().toISOString();
  }

  async #move(
    job: JobRecord,
    state: JobState,
    detail?: string,
    extra: Partial<JobRecord> = {},
  ): Promise<JobRecord> {
    const at = this.#now();
    const next: JobRecord = {
      ...job,
      ...extra,
      state,
      history: [...job.history, { state, at, ...(detail === undefined ? {} : { detail }) }],
      updatedAt: at,
    };
    if (!(await this.#d.store.update(next, job.state))) {
      throw new JobError(409, `job ${job.id} changed meanwhile (now not ${job.state})`);
    }
    this.#d.logger.info({ event: 'job-state', job: job.id, iccid: job.iccid, state, detail }, `job ${state}`);
    return next;
  }

  /** DESIGN.md 6 step 1: new keys from the CSPRNG, sealed at rest; the card must be in the inventory. */
  async create(target: JobTarget): Promise<JobView> {
    const entry =
      target.iccid !== undefined
        ? this.#d.inventory.byIccid(target.iccid)
        : target.imsi !== undefined
          ? this.#d.inventory.byImsi(target.imsi)
          : undefined;
    if (entry === undefined) {
      throw new JobError(
        404,
        `no card in the inventory holds ${target.iccid !== undefined ? `ICCID ${target.iccid}` : `IMSI ${target.imsi}`}`,
      );
    }
    if ((await this.#d.store.byIccids([entry.iccid], ACTIVE_STATES)).length > 0) {
      throw new JobError(409, `ICCID ${entry.iccid} already has a key update in progress`);
    }
    let subscriber;
    try {
      subscriber = await this.#d.hss.getSubscriber(entry.imsi);
    } catch (e) {
      if (e instanceof HssClientError && e.status === 404)
        throw new JobError(404, `the HSS does not know IMSI ${entry.imsi}`);
      throw e;
    }
    const algorithm = subscriber.algorithm ?? entry.algorithm;
    const keyVersion = (subscriber.activeVersion ?? 0) + 1;
    if (keyVersion > MAX_KEY_VERSION)
      throw new JobError(409, `IMSI ${entry.imsi}: key version 255 is the last`);
    if (target.keys !== undefined) checkSuppliedKeys(algorithm, target.keys.k, target.keys.opc);
    const kLength = target.keys?.k.length ?? (algorithm === 'tuak' ? TUAK_KEY_LENGTH : MILENAGE_KEY_LENGTH);
    const k = target.keys?.k.slice() ?? this.#d.rng.randomBytes(kLength);
    const opc =
      target.keys?.opc.slice() ??
      this.#d.rng.randomBytes(algorithm === 'tuak' ? TUAK_KEY_LENGTH : MILENAGE_KEY_LENGTH);
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
      transactionId: toHex(this.#d.rng.randomBytes(TRANSACTION_ID_LENGTH)),
      sealedKeys,
      kLength,
      state: 'pending',
      history: [{ state: 'pending', at }],
      securityAlarm: false,
      sessions: 0,
      createdAt: at,
      updatedAt: at,
    };
    await this.#d.store.insert(job);
    this.#d.logger.info(
      { event: 'job-created', job: id, iccid: entry.iccid, keyVersion },
      'key update job created',
    );
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

  async get(id: string): Promise<JobView> {
    return jobView(await this.#record(id));
  }

  async #record(id: string): Promise<JobRecord> {
    const job = await this.#d.store.get(id);
    if (job === undefined) throw new JobError(404, `no job ${id}`);
    return job;
  }

  async list(page: { limit?: number; offset?: number } = {}): Promise<JobView[]> {
    return (await this.#d.store.list(page)).map(jobView);
  }

  /** Only before BF70 went to the card. */
  async cancel(id: string): Promise<JobView> {
    const job = await this.#record(id);
    if (job.state !== 'pending' && job.state !== 'staged') {
      throw new JobError(
        409,
        `job ${id} is ${job.state}: only a job that has not reached the card can be cancelled`,
      );
    }
    // The state moves first (only from the state read): a session that meanwhile sent BF70 wins the race.
    const cancelled = await this.#move(job, 'cancelled', 'cancelled by the operator');
    await this.#abort(job);
    return jobView(cancelled);
  }

  /** Does this card have work? (for polling UEs and pushes) */
  async pendingFor(eid: string): Promise<JobView[]> {
    const iccids = this.#d.inventory.byEid(eid).map((e) => e.iccid);
    return (await this.#d.store.byIccids(iccids, ACTIVE_STATES)).map(jobView);
  }

  /** The next job of the card with the EID, as an order for a session; commits left over are retried first. */
  async claim(eid: string): Promise<
    | {
        order: KeyUpdateOrder;
        hooks: SessionHooks;
        finish(o: SessionOutcome | 'abandoned'): Promise<JobView>;
      }
    | undefined
  > {
    const iccids = this.#d.inventory.byEid(eid).map((e) => e.iccid);
    for (const job of await this.#d.store.byIccids(iccids, ['applied'])) await this.#commit(job);
    let job = (await this.#d.store.byIccids(iccids, CARD_STATES))[0];
    if (job === undefined) return undefined;
    job = { ...job, sessions: job.sessions + 1 };
    await this.#d.store.update(job, job.state);
    const plain = aesGcmOpen(this.#d.kek, job.sealedKeys, aadOf(job.id));
    const order: KeyUpdateOrder = {
      iccid: job.iccid,
      algorithm: job.algorithm,
      keyVersion: job.keyVersion,
      transactionId: fromHex(job.transactionId, 'transactionId', TRANSACTION_ID_LENGTH),
      k: plain.slice(0, job.kLength),
      opc: plain.slice(job.kLength),
      recover: job.state === 'sent',
    };
    plain.fill(0);
    let current = job;
    const hooks: SessionHooks = {
      beforeRequest: async ({ suite }) => {
        if (current.state === 'pending') {
          await this.#d.hss.stageCandidate(current.imsi, {
            algorithm: current.algorithm,
            k: order.k,
            ...(current.algorithm === 'tuak' ? { topc: order.opc } : { opc: order.opc }),
            keyVersion: current.keyVersion,
            transactionId: order.transactionId,
          });
          current = await this.#move(current, 'staged', 'candidate staged at the HSS');
        }
        if (current.state === 'staged') {
          current = await this.#move(
            current,
            'sent',
            `BF70 sent over SCP11a key set ${suite.kvn} (${suite.curve.name}, AES-${suite.aesKeyLength * 8})`,
          );
        }
      },
    };
    const finish = async (o: SessionOutcome | 'abandoned'): Promise<JobView> => {
      order.k.fill(0);
      order.opc.fill(0);
      current = (await this.#d.store.get(current.id)) ?? current;
      if (o === 'abandoned') return jobView(current);
      if (o.kind === 'applied') {
        current = await this.#move(
          current,
          'applied',
          o.viaStatus ? 'BF73: the card holds the new keys' : 'BF71: applied',
        );
        return jobView(await this.#commit(current));
      }
      if (o.kind === 'refused') {
        const alarm = o.outcome === OUTCOME_NEGOTIATION_MISMATCH;
        if (alarm) {
          this.securityAlarms++;
          this.#d.logger.error(
            { event: 'security-alarm', job: current.id, eid, iccid: current.iccid },
            'card reports negotiation mismatch (outcome 06): an on-path party edited what the server read',
          );
        }
        await this.#abort(current);
        return jobView(
          await this.#move(current, 'failed', `card refused: outcome ${describeOutcome(o.outcome)}`, {
            error: `card refused: outcome ${describeOutcome(o.outcome)}`,
            securityAlarm: alarm,
          }),
        );
      }
      // A failure after BF70 left: the card may have applied it; the next session asks BF72.
      if (o.requestSent || current.state === 'sent') {
        current = {
          ...current,
          history: [
            ...current.history,
            { state: current.state, at: this.#now(), detail: `session failed: ${o.error.message}` },
          ],
        };
        await this.#d.store.update(current, current.state);
        return jobView(current);
      }
      await this.#abort(current);
      return jobView(
        await this.#move(current, 'failed', o.error.message, {
          error: `${o.error.failure}: ${o.error.message}`,
        }),
      );
    };
    return { order, hooks, finish };
  }

  async #abort(job: JobRecord): Promise<void> {
    if (job.state !== 'staged' && job.state !== 'sent') return;
    try {
      await this.#d.hss.abortCandidate(job.imsi, job.transactionId);
    } catch (e) {
      this.#d.logger.warn(
        { event: 'hss-abort-failed', job: job.id, error: (e as Error).message },
        'HSS abort failed',
      );
    }
  }

  // DESIGN.md 6 step 2: the candidate becomes active (idempotent at the HSS).
  async #commit(job: JobRecord): Promise<JobRecord> {
    try {
      await this.#d.hss.commitCandidate(job.imsi, job.transactionId);
    } catch (e) {
      this.#d.logger.warn(
        { event: 'hss-commit-failed', job: job.id, error: (e as Error).message },
        'HSS commit failed; retried at the next session or `retryCommits`',
      );
      return job;
    }
    return this.#move(job, 'completed', 'committed at the HSS');
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
