// DESIGN.md 8 / issue 11: campaigns as the operator drives them: created from a selection (nothing created when
// a line is bad), started, paused, resumed, cancelled, read (status, report). The feeder (feeder.ts) does the
// work; every member ends rotated exactly once or with a named reason.
import { toHex } from '../../bytes/index.js';
import type { RandomSource } from '../../crypto/index.js';
import { JobError } from '../errors.js';
import type { Inventory } from '../inventory.js';
import {
  DEFAULT_CAMPAIGN_OPTIONS,
  type CampaignOptions,
  type CampaignRecord,
  type CampaignState,
  type MemberCounts,
} from './campaign.js';
import { campaignRecord, changeCampaign } from './change.js';
import { CampaignFeeder, type CampaignFeederDeps } from './feeder.js';
import { resolveSelection, type Selection } from './selection.js';
import { campaignStatus, memberReport, type CampaignStatus, type MemberReport } from './view.js';

export interface CampaignServiceDeps extends CampaignFeederDeps {
  readonly inventory: Inventory;
  /** Campaign ids. */
  readonly rng: RandomSource;
}

/** What a server instance gives its feeder (the rest comes from the server: jobs, inventory, clock, logger). */
export type CampaignFeederOptions = Pick<
  CampaignServiceDeps,
  'store' | 'instance' | 'tickMs' | 'leaseMs' | 'parallel'
>;

export interface CreateCampaign {
  readonly name?: string;
  readonly selection: Selection;
  readonly options?: Partial<CampaignOptions>;
  /** Start feeding at once (default: created, started by `start`). */
  readonly start?: boolean;
}

/** The campaigns whose members the metrics report (a finished campaign's counts no longer change). */
const UNFINISHED_STATES: readonly CampaignState[] = ['created', 'running', 'paused'];

function checkOptions(o: CampaignOptions): void {
  if (!(o.rate > 0) || !Number.isFinite(o.rate))
    throw new JobError('invalid', 'rate must be a positive number of updates per second');
  if (!Number.isInteger(o.concurrency) || o.concurrency < 1)
    throw new JobError('invalid', 'concurrency must be a whole number of at least 1');
  if (!Number.isInteger(o.maxAttempts) || o.maxAttempts < 1)
    throw new JobError('invalid', 'maxAttempts must be a whole number of at least 1');
}

export class CampaignService {
  readonly #d: CampaignServiceDeps;
  readonly #feeder: CampaignFeeder;

  constructor(deps: CampaignServiceDeps) {
    this.#d = deps;
    this.#feeder = new CampaignFeeder(deps);
  }

  #now(): Date {
    return this.#d.clock.now();
  }

  /** Issue 11: a campaign from a selection; a bad selection creates nothing (SelectionError). */
  async create(input: CreateCampaign, actor: string): Promise<CampaignStatus & { duplicates: number }> {
    const options: CampaignOptions = { ...DEFAULT_CAMPAIGN_OPTIONS, ...input.options };
    checkOptions(options);
    const { spec, members, duplicates } = resolveSelection(input.selection, this.#d.inventory);
    const now = this.#now();
    const at = now.toISOString();
    const id = toHex(this.#d.rng.randomBytes(8));
    const campaign: CampaignRecord = {
      id,
      name: input.name ?? `campaign ${id}`,
      selection: spec,
      options,
      state: 'created',
      total: members.length,
      createdBy: actor,
      createdAt: at,
      activeMs: 0,
      bucket: { tokens: 0, at: now.getTime() },
      history: [{ state: 'created', at, detail: `created by ${actor}: ${members.length} subscribers` }],
      revision: 0,
      updatedAt: at,
    };
    await this.#d.store.create(campaign, members);
    this.#d.logger.info(
      { event: 'campaign-created', campaign: id, total: members.length, selection: spec.kind, actor },
      'campaign created',
    );
    if (input.start) await this.start(id, actor);
    return { ...(await this.status(id)), duplicates };
  }

  async #transition(
    id: string,
    from: readonly CampaignState[],
    to: CampaignState,
    actor: string,
    verb: string,
  ): Promise<CampaignRecord> {
    const changed = await changeCampaign(
      this.#d,
      id,
      (c) => from.includes(c.state),
      (c, at) => {
        const nowMs = at.getTime();
        const wasActive = c.activeSince === undefined ? 0 : nowMs - Date.parse(c.activeSince);
        const running = to === 'running';
        return {
          state: to,
          activeMs: c.activeMs + wasActive,
          activeSince: running ? at.toISOString() : undefined,
          ...(running && c.startedAt === undefined ? { startedAt: at.toISOString() } : {}),
          // The first job of a start or resume goes at once; then the rate.
          ...(running ? { bucket: { tokens: 1, at: nowMs } } : {}),
          detail: `${verb} by ${actor}`,
        };
      },
    );
    if (changed === undefined) {
      const c = await campaignRecord(this.#d.store, id);
      throw new JobError('conflict', `campaign ${id} is ${c.state}: it cannot be ${verb}`);
    }
    return changed;
  }

  async start(id: string, actor: string): Promise<CampaignStatus> {
    await this.#transition(id, ['created'], 'running', actor, 'started');
    return this.status(id);
  }

  /** No new jobs; the jobs already created go on (and are reconciled). */
  async pause(id: string, actor: string): Promise<CampaignStatus> {
    await this.#transition(id, ['running'], 'paused', actor, 'paused');
    return this.status(id);
  }

  async resume(id: string, actor: string): Promise<CampaignStatus> {
    await this.#transition(id, ['paused'], 'running', actor, 'resumed');
    return this.status(id);
  }

  /**
   * Waiting members are cancelled; open jobs that have not reached the card are cancelled (their members too);
   * a job whose BF70 went out goes to its end (the card may hold the new keys) and its member with it.
   */
  async cancel(id: string, actor: string): Promise<CampaignStatus> {
    const c = await this.#transition(id, ['created', 'running', 'paused'], 'cancelled', actor, 'cancelled');
    await this.#d.store.cancelWaiting(id, `campaign cancelled by ${actor}`, this.#now().toISOString());
    await this.#feeder.settle(c);
    return this.status(id);
  }

  async status(id: string): Promise<CampaignStatus> {
    const c = await campaignRecord(this.#d.store, id);
    return campaignStatus(c, await this.#d.store.counts(id), this.#now());
  }

  async list(): Promise<CampaignStatus[]> {
    const now = this.#now();
    const out: CampaignStatus[] = [];
    for (const c of await this.#d.store.list())
      out.push(campaignStatus(c, await this.#d.store.counts(c.id), now));
    return out;
  }

  /** A page of the per-subscriber report, in selection order (after: the last seq of the previous page). */
  async report(id: string, page: { after?: number; limit?: number } = {}): Promise<MemberReport> {
    await campaignRecord(this.#d.store, id);
    const limit = page.limit ?? 1000;
    return memberReport(await this.#d.store.members(id, 'all', limit, page.after ?? -1), limit);
  }
  /** Members by state of each campaign not yet completed or cancelled (the metrics read it when scraped). */
  async unfinishedCounts(): Promise<{ id: string; counts: MemberCounts }[]> {
    const out: { id: string; counts: MemberCounts }[] = [];
    for (const c of await this.#d.store.list())
      if (UNFINISHED_STATES.includes(c.state))
        out.push({ id: c.id, counts: await this.#d.store.counts(c.id) });
    return out;
  }

  /** Jobs this instance's feeder created since start. */
  get jobsCreated(): number {
    return this.#feeder.jobsCreated;
  }

  /** One feeder round (tests and benches drive it; the server runs it periodically). */
  async tick(): Promise<void> {
    await this.#feeder.tick();
  }

  startFeeder(): void {
    this.#feeder.start();
  }

  async stopFeeder(): Promise<void> {
    await this.#feeder.stop();
  }
}
