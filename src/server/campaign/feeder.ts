// DESIGN.md 8 / issue 11: the feeder each server instance runs. Per campaign with work, once a tick: members of
// a dead instance (lease run out) are taken over, open members are reconciled from their jobs' states by polling
// (no callback to lose in a crash), a wave of waiting members is claimed (the rate bucket and the in-flight count
// read under the campaign's lock, members with SKIP LOCKED) and their jobs created through JobService. A member
// gets one job, ever: before creating, the feeder adopts the job this campaign already created for the ICCID (a
// crash between the job and the member's write), or any open job of the ICCID.
import type { Clock, Logger } from '../../ports/index.js';
import type { AttemptPolicy } from '../attempt-backoff.js';
import { JobError } from '../errors.js';
import { HssRoleError } from '../hss-role.js';
import { ACTIVE_STATES, ALL_JOB_STATES, type JobRecord } from '../job.js';
import type { JobStore } from '../job-store.js';
import type { JobService } from '../jobs.js';
import {
  REASON_CANCELLED,
  REASON_CARD_REFUSED,
  REASON_JOB_FAILED,
  REASON_UNKNOWN_SUBSCRIBER,
  REASON_UNREACHABLE,
  UNFINISHED_MEMBER_STATES,
  WITH_JOB_STATES,
  campaignActor,
  fed,
  inWindow,
  refill,
  type CampaignRecord,
  type MemberRecord,
} from './campaign.js';
import { changeCampaign } from './change.js';
import { sweepAbandonedDrafts } from './draft-sweep.js';
import type { CampaignStore, MemberChange } from './store.js';

/** Members reconciled per query. */
const RECONCILE_PAGE = 500;
/** Members claimed per wave at most (a large rate takes several ticks' waves). */
const MAX_WAVE = 1_000;
/** Before a member whose job could not be created (HSS unreachable) is tried again. */
const RETRY_MS = 30_000;
/** The job's detail when the feeder cancels it as unreachable (read back after a crash). */
const UNREACHABLE_MARK = 'unreachable after';

/**
 * DESIGN.md 7: a member gives up after `maxAttempts` sessions in which its card authenticated and the key update
 * still did not go out. Failures before the card authenticated never count here (they back the job off and raise
 * the alarm): anyone who knows an EID can cause them, and one who holds a stolen key batch would use them to
 * keep the stolen keys in service. Such members stay open until the card answers or the operator cancels.
 */
function unreachable(job: JobRecord, maxAttempts: number): boolean {
  return job.sessions >= maxAttempts;
}

/**
 * Issue 11 F2, DESIGN.md 7: a member whose job raised the alarm for failed attempts before authentication (at
 * least `alarmAfter` in a row since the card last authenticated) is stalled: it stays with its job (which stays
 * open for the real card), but holds no slot of the campaign's concurrency, so that whoever knows a few EIDs
 * cannot stop a whole campaign by failing their sessions. The alarm is DESIGN.md 7's own line between a card's
 * bad moment and an attack (or a card that cannot authenticate), and the run it counts ends when the card
 * authenticates: the member then holds a slot again. (A bound on the backoff would say the same less plainly: the
 * backoff reaches its 5 min cap before the first alarm.)
 */
function stalled(job: JobRecord, policy: AttemptPolicy): boolean {
  return ACTIVE_STATES.includes(job.state) && job.consecutiveFailures >= policy.alarmAfter;
}

/** The detail of a stalled member (report, status): what holds its job up. */
function stalledDetail(job: JobRecord): string {
  return (
    `${job.consecutiveFailures} failed sessions before authentication in a row (security alarm): ` +
    `the job waits for the card, outside the campaign's concurrency`
  );
}
/** The prefix of a job's error when the card refused (JobService: `card refused: outcome ...`). */
const CARD_REFUSED_PREFIX = 'card refused';

export interface CampaignFeederDeps {
  readonly store: CampaignStore;
  readonly jobs: JobService;
  /** The same job store JobService writes (read only here: the reconciliation). */
  readonly jobStore: JobStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** This instance's name: the holder of its claims (e.g. its advertised URL, or host:pid). */
  readonly instance: string;
  /** The period (default 1 s). */
  readonly tickMs?: number;
  /** A claimed member returns to the others after this long if its instance died (default 60 s). */
  readonly leaseMs?: number;
  /** Unused since a wave's jobs are created as one batch (JobService.createMany); kept for configurations. */
  readonly parallel?: number;
}

export class CampaignFeeder {
  readonly #d: CampaignFeederDeps;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = true;
  #jobsCreated = 0;
  /** When start() ran: members leased under this instance's name before it were leased by an earlier process. */
  #startedAt: number | undefined;
  /** Campaigns whose members of an earlier process of this instance were taken back since start(). */
  readonly #resumed = new Set<string>();

  constructor(deps: CampaignFeederDeps) {
    this.#d = deps;
  }

  #now(): Date {
    return this.#d.clock.now();
  }

  /** Jobs this feeder created since start (adopted ones not counted): the metrics read it when scraped. */
  get jobsCreated(): number {
    return this.#jobsCreated;
  }

  /** Right after an operator's cancel: the jobs not yet at the card are cancelled now, not at the next tick. */
  async settle(c: CampaignRecord): Promise<void> {
    await this.#reconcile(c);
    await this.#finishIfDone(c);
  }

  /**
   * One round over every campaign with work: reclaim, reconcile, feed, finish; then abandoned drafts are swept
   * (after the feeding: deleting a large draft takes seconds).
   */
  async tick(): Promise<void> {
    const campaigns = await this.#d.store.withWork();
    for (const c of campaigns) {
      if (!fed(c)) continue;
      await this.#resumeOwn(c);
      await this.#reclaim(c);
      await this.#reconcile(c);
      if (c.state === 'running' && inWindow(c.options.window, this.#now())) await this.#feed(c);
      await this.#finishIfDone(c);
    }
    await sweepAbandonedDrafts(this.#d, campaigns);
  }

  /** Starts the periodic feeder (one tick at a time). */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#startedAt = this.#now().getTime();
    const loop = () => {
      this.#running = this.tick()
        .catch((e: Error) =>
          this.#d.logger.warn(
            { event: 'campaign-feeder-failed', error: e.message },
            'campaign feeder round failed',
          ),
        )
        .finally(() => {
          this.#running = undefined;
          if (!this.#stopped) {
            this.#timer = setTimeout(loop, this.#d.tickMs ?? 1_000);
            this.#timer.unref();
          }
        });
    };
    loop();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  #lease(): { by: string; until: number } {
    return { by: this.#d.instance, until: this.#now().getTime() + (this.#d.leaseMs ?? 60_000) };
  }

  /**
   * Issue 11: members this instance's name (e.g. its --advertise-url) leased before this process started: the
   * earlier process was killed mid-wave and no one else feeds them until their lease runs out, so they are fed
   * now. Once per campaign after start(); the leases this process gives end at or after start + leaseMs.
   */
  async #resumeOwn(c: CampaignRecord): Promise<void> {
    const started = this.#startedAt;
    if (started === undefined || this.#resumed.has(c.id)) return;
    const before = started + (this.#d.leaseMs ?? 60_000);
    const earlier: MemberRecord[] = [];
    for (let after = -1; ;) {
      const page = await this.#d.store.members(c.id, ['feeding'], RECONCILE_PAGE, after);
      earlier.push(
        ...page.filter(
          (m) => m.leaseBy === this.#d.instance && m.leaseUntil !== undefined && m.leaseUntil < before,
        ),
      );
      if (page.length < RECONCILE_PAGE) break;
      after = page[page.length - 1].seq;
    }
    this.#resumed.add(c.id);
    if (earlier.length === 0) return;
    this.#d.logger.warn(
      { event: 'campaign-lease-resumed', campaign: c.id, members: earlier.length },
      'members this instance claimed before it restarted are fed again (their job is adopted if it exists)',
    );
    await this.#feedAll(c, earlier);
  }

  /** Members of an instance that died while feeding them. */
  async #reclaim(c: CampaignRecord): Promise<void> {
    const now = this.#now().getTime();
    const expired = await this.#d.store.reclaimExpired(c.id, now, this.#lease(), MAX_WAVE);
    if (expired.length === 0) return;
    this.#d.logger.warn(
      { event: 'campaign-lease-expired', campaign: c.id, members: expired.length },
      'members claimed by an instance that stopped are fed again (their job is adopted if it exists)',
    );
    await this.#feedAll(c, expired);
  }

  // DESIGN.md 8: the wave; the bucket and the in-flight count read under the campaign's lock
  async #feed(c: CampaignRecord): Promise<void> {
    const nowMs = this.#now().getTime();
    const at = new Date(nowMs).toISOString();
    const wave = await this.#d.store.claimWave(c.id, nowMs, this.#lease(), (cur, inFlight) => {
      if (cur.state !== 'running') return undefined;
      const tokens = refill(cur.bucket, cur.options.rate, nowMs);
      const take = Math.max(0, Math.min(Math.floor(tokens), cur.options.concurrency - inFlight, MAX_WAVE));
      if (take === 0) return undefined;
      return {
        take,
        campaign: {
          ...cur,
          bucket: { tokens: tokens - take, at: nowMs },
          revision: cur.revision + 1,
          updatedAt: at,
        },
      };
    });
    await this.#feedAll(c, wave);
  }

  /**
   * The members' jobs, adopted or created as one batch (JobService.createMany); the members' writes in one
   * transaction. When feeding throws (this instance's stores failing) the members not yet decided are not
   * written: they stay under the lease, taken over when the lease runs out.
   */
  async #feedAll(c: CampaignRecord, members: readonly MemberRecord[]): Promise<void> {
    if (members.length === 0) return;
    const changes: MemberChange[] = [];
    try {
      await this.#feedWave(c, members, changes);
    } finally {
      await this.#apply(changes);
    }
  }

  /**
   * Each member's one job: adopted when it exists (this campaign's, or any open one of the ICCID: a crash
   * between the job and the member's write, another instance), else created; the jobs of the whole wave read
   * in one query, the campaign's state once, the new jobs created in one batch.
   */
  async #feedWave(c: CampaignRecord, members: readonly MemberRecord[], changes: MemberChange[]) {
    const actor = campaignActor(c);
    const adoptable = async (iccids: readonly string[]) => {
      const byIccid = new Map<string, JobRecord[]>();
      for (const j of await this.#d.jobStore.byIccids(iccids, ALL_JOB_STATES)) {
        byIccid.set(j.iccid, [...(byIccid.get(j.iccid) ?? []), j]);
      }
      return (iccid: string): JobRecord | undefined => {
        const jobs = byIccid.get(iccid) ?? [];
        return jobs.find((j) => j.createdBy === actor) ?? jobs.find((j) => ACTIVE_STATES.includes(j.state));
      };
    };
    const opened = (m: MemberRecord, job: Pick<JobRecord, 'id' | 'attempts'>) =>
      this.#changed(m, { state: 'open', jobId: job.id, attempts: job.attempts });
    const existing = await adoptable(members.map((m) => m.iccid));
    const fresh: MemberRecord[] = [];
    for (const m of members) {
      const job = existing(m.iccid);
      if (job === undefined) fresh.push(m);
      else changes.push(opened(m, job));
    }
    if (fresh.length === 0) return;
    const current = await this.#d.store.get(c.id);
    if (current?.state === 'cancelled') {
      for (const m of fresh)
        changes.push(
          this.#settled(m, 'cancelled', { reason: REASON_CANCELLED, detail: 'campaign cancelled' }),
        );
      return;
    }
    let results;
    try {
      // The jobs carry the campaign: the store takes one job per (campaign, ICCID), ever.
      results = await this.#d.jobs.createMany(
        fresh.map((m) => ({ iccid: m.iccid })),
        actor,
        c.id,
      );
    } catch (e) {
      // The HSS failing is every member's outcome for now (fed again later); this instance's job store failing
      // (a crash, a close under the feeder) is not: the members stay leased and are fed when the lease runs out.
      if (!(e instanceof HssRoleError)) throw e;
      for (const m of fresh) changes.push(this.#createFailed(m, e));
      return;
    }
    // A conflict: another instance's or the operator's job got the ICCID meanwhile, or this wave came late (its
    // lease ran out while it waited; another instance created the member's job, which may have ended since):
    // this campaign's job, in any state, is adopted; the member's write then fails its compare-and-set if the
    // other instance recorded it first.
    const conflicted = fresh.filter((_, i) => {
      const r = results[i];
      return 'error' in r && r.error.kind === 'conflict';
    });
    const again = conflicted.length === 0 ? () => undefined : await adoptable(conflicted.map((m) => m.iccid));
    fresh.forEach((m, i) => {
      const r = results[i];
      if ('job' in r) {
        this.#jobsCreated++;
        changes.push(opened(m, r.job));
        return;
      }
      const job = r.error.kind === 'conflict' ? again(m.iccid) : undefined;
      changes.push(job === undefined ? this.#createFailed(m, r.error) : opened(m, job));
    });
  }

  /** The job could not be created: a subscriber the server or HSS does not know ends; the HSS failing waits. */
  #createFailed(m: MemberRecord, e: Error): MemberChange {
    if (e instanceof JobError && e.kind === 'not-found')
      return this.#settled(m, 'failed', { reason: REASON_UNKNOWN_SUBSCRIBER, detail: e.message });
    if (e instanceof JobError)
      return this.#settled(m, 'failed', { reason: REASON_JOB_FAILED, detail: e.message });
    this.#d.logger.warn(
      { event: 'campaign-job-create-failed', campaign: m.campaignId, iccid: m.iccid, error: e.message },
      'job creation failed; the member is fed again later',
    );
    return this.#changed(m, {
      state: 'waiting',
      notBefore: this.#now().getTime() + RETRY_MS,
      detail: `job creation failed: ${e.message}`.slice(0, 200),
    });
  }

  /** A compare-and-set write of `m` (from its current state and job), its lease dropped. */
  #changed(m: MemberRecord, fields: Partial<MemberRecord>): MemberChange {
    return {
      next: {
        ...m,
        ...fields,
        leaseBy: undefined,
        leaseUntil: undefined,
        updatedAt: this.#now().toISOString(),
      },
      expected: { state: m.state, jobId: m.jobId },
    };
  }

  #settled(
    m: MemberRecord,
    state: 'rotated' | 'failed' | 'cancelled',
    fields: Partial<MemberRecord>,
  ): MemberChange {
    return this.#changed(m, { ...fields, state });
  }

  /** Writes the changes in one transaction; logs the members that ended without rotation. */
  async #apply(changes: readonly MemberChange[]): Promise<void> {
    if (changes.length === 0) return;
    // In selection order: two instances writing overlapping members lock them in the same order (no deadlock).
    const sorted = [...changes].sort((a, b) => a.next.seq - b.next.seq);
    const applied = await this.#d.store.updateMembers(sorted);
    sorted.forEach(({ next, expected }, i) => {
      if (applied[i] && next.state === 'stalled' && expected.state !== 'stalled')
        this.#d.logger.warn(
          { event: 'campaign-member-stalled', campaign: next.campaignId, iccid: next.iccid, job: next.jobId },
          'campaign member stalled: failures before authentication; its job waits outside the concurrency',
        );
      if (!applied[i] || (next.state !== 'failed' && next.state !== 'cancelled')) return;
      this.#d.logger.info(
        {
          event: 'campaign-member',
          campaign: next.campaignId,
          iccid: next.iccid,
          state: next.state,
          reason: next.reason,
        },
        `campaign member ${next.state}`,
      );
    });
  }

  // Polling, robust to crashes: each open (or stalled) member's job, read back in pages
  async #reconcile(c: CampaignRecord): Promise<void> {
    let after = -1;
    for (;;) {
      const open = await this.#d.store.members(c.id, WITH_JOB_STATES, RECONCILE_PAGE, after);
      if (open.length === 0) return;
      after = open[open.length - 1].seq;
      const jobs = await this.#d.jobStore.byIccids(
        open.map((m) => m.iccid),
        ALL_JOB_STATES,
      );
      const byId = new Map(jobs.map((j) => [j.id, j]));
      const changes: MemberChange[] = [];
      for (const m of open) {
        const change = await this.#reconcileMember(c, m, byId.get(m.jobId as string));
        if (change !== undefined) changes.push(change);
      }
      await this.#apply(changes);
      if (open.length < RECONCILE_PAGE) return;
    }
  }

  async #reconcileMember(
    c: CampaignRecord,
    m: MemberRecord,
    job: JobRecord | undefined,
  ): Promise<MemberChange | undefined> {
    if (job === undefined)
      return this.#settled(m, 'failed', { reason: REASON_JOB_FAILED, detail: `job ${m.jobId} is gone` });
    const attempts = job.attempts;
    switch (job.state) {
      case 'completed':
        return this.#settled(m, 'rotated', { keyVersion: job.keyVersion, attempts });
      case 'failed': {
        const detail = job.error ?? 'the job failed';
        const reason = detail.startsWith(CARD_REFUSED_PREFIX) ? REASON_CARD_REFUSED : REASON_JOB_FAILED;
        return this.#settled(m, 'failed', { reason, detail, attempts });
      }
      case 'cancelled': {
        const detail = job.history[job.history.length - 1]?.detail ?? 'job cancelled';
        return detail.includes(UNREACHABLE_MARK)
          ? this.#settled(m, 'failed', { reason: REASON_UNREACHABLE, detail, attempts })
          : this.#settled(m, 'cancelled', { reason: REASON_CANCELLED, detail, attempts });
      }
      case 'pending':
      case 'staged': {
        const actor = campaignActor(c);
        const why =
          c.state === 'cancelled'
            ? `${actor}: campaign cancelled`
            : unreachable(job, c.options.maxAttempts)
              ? `${actor}: ${UNREACHABLE_MARK} ${job.sessions} sessions in which the card authenticated ` +
                `without the key update (${attempts} failed attempts before authentication)`
              : undefined;
        if (why === undefined) return this.#slot(m, job);
        try {
          const cancelled = await this.#d.jobs.cancel(job.id, why);
          return this.#reconcileMember(c, m, { ...job, state: cancelled.state, history: cancelled.history });
        } catch (e) {
          if (!(e instanceof JobError)) throw e;
          // Another instance cancelled it first (then settle from it), or BF70 went out (it goes to its end).
          const now = await this.#d.jobStore.get(job.id);
          return now === undefined || ACTIVE_STATES.includes(now.state)
            ? undefined
            : this.#reconcileMember(c, m, now);
        }
      }
      default:
        // sent, applied: the card may hold the new keys; BF72 or the commit retry decides
        return this.#slot(m, job);
    }
  }

  /**
   * Issue 11 F2: an open member whose job is stalled (stalled()) gives up its concurrency slot, keeping its job;
   * a stalled one whose card authenticated since takes a slot again (the campaign may then briefly have more than
   * `concurrency` members open). The detail follows the run of failures.
   */
  #slot(m: MemberRecord, job: JobRecord): MemberChange | undefined {
    if (stalled(job, this.#d.jobs.attemptPolicy)) {
      const detail = stalledDetail(job);
      return m.state === 'stalled' && m.detail === detail
        ? undefined
        : this.#changed(m, { state: 'stalled', attempts: job.attempts, detail });
    }
    return m.state === 'stalled'
      ? this.#changed(m, { state: 'open', attempts: job.attempts, detail: undefined })
      : undefined;
  }

  async #finishIfDone(c: CampaignRecord): Promise<void> {
    const left = await this.#d.store.members(c.id, UNFINISHED_MEMBER_STATES, 1);
    if (left.length > 0) return;
    await changeCampaign(
      this.#d,
      c.id,
      (cur) => cur.finishedAt === undefined && ['running', 'paused', 'cancelled'].includes(cur.state),
      (cur, at) => ({
        state: cur.state === 'cancelled' ? 'cancelled' : 'completed',
        finishedAt: at.toISOString(),
        activeMs:
          cur.activeMs + (cur.activeSince === undefined ? 0 : at.getTime() - Date.parse(cur.activeSince)),
        activeSince: undefined,
        detail: 'every member has its final state',
      }),
    );
  }
}
