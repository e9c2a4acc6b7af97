// DESIGN.md 8 / issue 11: campaigns as the operator drives them: created from a selection (nothing created when
// a line is bad), started, paused, resumed, cancelled, read (status, report). The feeder (feeder.ts) does the
// work; every member ends rotated exactly once or with a named reason.
import { toHex } from '../../bytes/index.js';
import type { RandomSource } from '../../crypto/index.js';
import { JobError } from '../errors.js';
import type { Inventory } from '../inventory.js';
import {
  DEFAULT_CAMPAIGN_OPTIONS,
  MAX_NAMED_PROBLEMS,
  type CampaignOptions,
  type CampaignRecord,
  type CampaignState,
  type MemberCounts,
  type SelectionSpec,
  type UploadProgress,
} from './campaign.js';
import { campaignRecord, changeCampaign } from './change.js';
import { DRAFT_GONE, discardedWhy } from './draft-sweep.js';
import { CampaignFeeder, type CampaignFeederDeps } from './feeder.js';
import {
  NOTHING_SELECTED,
  SelectionError,
  resolveLines,
  resolveSelection,
  type Selection,
} from './selection.js';
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

/** Issue 11: a campaign whose file selection follows in chunks (a draft until sealed). */
export interface CreateDraft {
  readonly name?: string;
  readonly options?: Partial<CampaignOptions>;
}

/** One chunk of a draft's file: `lines` are the file's lines from `firstLine` (1-based) on. */
export interface SelectionChunk {
  /** 0-based; chunk n is appended once, after chunk n - 1 (a replay is answered, not appended again). */
  readonly chunk: number;
  readonly firstLine: number;
  readonly lines: readonly string[];
}

/** What an append answers: the draft's upload so far. */
export interface AppendAnswer {
  readonly id: string;
  readonly state: CampaignState;
  /** Chunks taken: the next chunk's number. */
  readonly chunks: number;
  readonly lines: number;
  /** Members so far. */
  readonly total: number;
  readonly duplicates: number;
  /** Bad lines so far: any, and the draft cannot be sealed. */
  readonly problems: number;
  /** This chunk had been taken before (a retry after a lost answer): nothing appended now. */
  readonly replayed: boolean;
}

/** Compare-and-set retries of an append or a seal while only the revision moved (another chunk, a feeder). */
const UPLOAD_TRIES = 8;
const DRAFT_HINT = ' (a draft is sealed once its whole file came, or deleted)';
/** The draft is refused, nothing is started; the operator deletes it (or the CLI does). */
const DRAFT_REFUSED = 'nothing started';

function appendAnswer(c: CampaignRecord, u: UploadProgress, replayed: boolean): AppendAnswer {
  return {
    id: c.id,
    state: c.state,
    chunks: u.chunks,
    lines: u.lines,
    total: c.total,
    duplicates: u.duplicates,
    problems: u.problemCount,
    replayed,
  };
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

  /** A new campaign record (nothing stored). */
  #record(
    name: string | undefined,
    spec: SelectionSpec,
    options: CampaignOptions,
    fields: Pick<CampaignRecord, 'state' | 'total'> & { upload?: UploadProgress },
    actor: string,
    detail: string,
  ): CampaignRecord {
    const now = this.#now();
    const at = now.toISOString();
    const id = toHex(this.#d.rng.randomBytes(8));
    return {
      id,
      name: name ?? `campaign ${id}`,
      selection: spec,
      options,
      ...fields,
      createdBy: actor,
      createdAt: at,
      activeMs: 0,
      bucket: { tokens: 0, at: now.getTime() },
      history: [{ state: fields.state, at, detail }],
      revision: 0,
      updatedAt: at,
    };
  }

  /** Issue 11: a campaign from a selection; a bad selection creates nothing (SelectionError). */
  async create(input: CreateCampaign, actor: string): Promise<CampaignStatus & { duplicates: number }> {
    const options: CampaignOptions = { ...DEFAULT_CAMPAIGN_OPTIONS, ...input.options };
    checkOptions(options);
    const { spec, members, duplicates } = resolveSelection(input.selection, this.#d.inventory);
    const campaign = this.#record(
      input.name,
      spec,
      options,
      { state: 'created', total: members.length },
      actor,
      `created by ${actor}: ${members.length} subscribers`,
    );
    await this.#d.store.create(campaign, members);
    const { id } = campaign;
    this.#d.logger.info(
      { event: 'campaign-created', campaign: id, total: members.length, selection: spec.kind, actor },
      'campaign created',
    );
    if (input.start) await this.start(id, actor);
    return { ...(await this.status(id)), duplicates };
  }

  /**
   * Issue 11: a draft for a file selection too large for one request; its lines follow in chunks (`append`),
   * then `seal` makes it a created campaign. A draft is never fed and cannot be started.
   */
  async createDraft(input: CreateDraft, actor: string): Promise<CampaignStatus> {
    const options: CampaignOptions = { ...DEFAULT_CAMPAIGN_OPTIONS, ...input.options };
    checkOptions(options);
    const upload: UploadProgress = { chunks: 0, lines: 0, duplicates: 0, problems: [], problemCount: 0 };
    const campaign = this.#record(
      input.name,
      { kind: 'list', count: 0 },
      options,
      { state: 'draft', total: 0, upload },
      actor,
      `draft created by ${actor}: its file follows in chunks`,
    );
    await this.#d.store.create(campaign, []);
    this.#d.logger.info({ event: 'campaign-draft', campaign: campaign.id, actor }, 'campaign draft created');
    return this.status(campaign.id);
  }

  /**
   * Issue 11: one chunk of a draft's file, checked against the inventory and appended in one transaction with the
   * draft's compare-and-set, so a chunk retried after a lost answer is never appended twice; a profile the draft
   * already holds is kept once. A chunk with a bad line appends nothing and refuses the draft for good; the
   * chunks after it are only checked (every bad line of the file is counted, the first ones named).
   */
  async append(id: string, chunk: SelectionChunk): Promise<AppendAnswer> {
    for (let i = 0; i < UPLOAD_TRIES; i++) {
      const c = await this.#d.store.get(id);
      if (c === undefined)
        throw new JobError(
          'not-found',
          i === 0
            ? `no campaign ${id} (${DRAFT_GONE})`
            : `campaign ${id}: the draft was deleted as this chunk came ` +
                `(${DRAFT_GONE}, or an operator deleted it): nothing appended`,
        );
      const u = c.upload;
      if (u === undefined)
        throw new JobError('conflict', `campaign ${id} is not a draft: its selection came whole`);
      if (chunk.chunk < u.chunks) return appendAnswer(c, u, true);
      if (u.discarded === true)
        throw new JobError('conflict', `campaign ${id}: ${discardedWhy(c)}: no members can be appended`);
      if (c.state !== 'draft')
        throw new JobError('conflict', `campaign ${id} is ${c.state}: no members can be appended`);
      if (chunk.chunk > u.chunks)
        throw new JobError(
          'conflict',
          `campaign ${id}: chunk ${chunk.chunk} before chunk ${u.chunks} (chunks are appended in order)`,
        );
      const r = resolveLines(chunk.lines, this.#d.inventory, chunk.firstLine);
      // A refused draft appends nothing more: its chunks are only checked.
      const refused = u.problemCount > 0 || r.problems.length > 0;
      const at = this.#now().toISOString();
      let written: CampaignRecord | undefined;
      const next = (added: number): CampaignRecord => {
        written = {
          ...c,
          total: c.total + added,
          selection: { kind: 'list', count: c.total + added },
          upload: {
            chunks: u.chunks + 1,
            lines: u.lines + chunk.lines.length,
            duplicates: u.duplicates + r.duplicates + (refused ? 0 : r.members.length - added),
            problems: [...u.problems, ...r.problems].slice(0, MAX_NAMED_PROBLEMS),
            problemCount: u.problemCount + r.problems.length,
          },
          revision: c.revision + 1,
          updatedAt: at,
        };
        return written;
      };
      const applied = refused
        ? await this.#d.store.update(next(0), c.revision)
        : await this.#d.store.appendMembers(c, r.members, at, next);
      if (applied && written !== undefined) {
        if (r.problems.length > 0 && u.problemCount === 0)
          this.#d.logger.info(
            { event: 'campaign-draft-refused', campaign: id, line: r.problems[0].line },
            'campaign draft refused: a bad line',
          );
        return appendAnswer(written, written.upload as UploadProgress, false);
      }
    }
    throw new JobError('conflict', `campaign ${id} kept changing; send the chunk again`);
  }

  /**
   * Issue 11: draft -> created once its `chunks` chunks all came and no line was bad (then `start` starts it); a
   * refused draft answers the SelectionError naming its bad lines and stays a draft, never startable. A seal
   * retried after a lost answer answers the campaign as it is.
   */
  async seal(
    id: string,
    input: { readonly chunks: number; readonly start?: boolean },
    actor: string,
  ): Promise<CampaignStatus & { duplicates: number }> {
    const sealable = (c: CampaignRecord): c is CampaignRecord & { upload: UploadProgress } =>
      c.state === 'draft' &&
      c.upload !== undefined &&
      c.upload.discarded !== true &&
      c.upload.problemCount === 0 &&
      c.upload.chunks === input.chunks &&
      c.total > 0;
    const sealed = await changeCampaign(this.#d, id, sealable, (c) => ({
      state: 'created',
      detail: `sealed by ${actor}: ${c.total} subscribers from ${c.upload?.lines ?? 0} lines`,
    }));
    const c = sealed ?? (await campaignRecord(this.#d.store, id));
    const u = c.upload;
    if (sealed === undefined) {
      if (u === undefined)
        throw new JobError('conflict', `campaign ${id} is not a draft: its selection came whole`);
      if (u.problemCount > 0) throw new SelectionError(u.problems, u.problemCount, DRAFT_REFUSED);
      if (c.state === 'draft' && u.discarded === true)
        throw new JobError('conflict', `campaign ${id}: ${discardedWhy(c)}`);
      if (u.chunks !== input.chunks)
        throw new JobError(
          'conflict',
          `campaign ${id} took ${u.chunks} chunks, not ${input.chunks}: ${c.state === 'draft' ? 'send the missing chunks first' : `it is ${c.state}`}`,
        );
      if (c.state === 'draft') throw new SelectionError([NOTHING_SELECTED], 1, DRAFT_REFUSED);
      // Sealed before: a retry after a lost answer.
    } else
      this.#d.logger.info(
        { event: 'campaign-created', campaign: id, total: c.total, selection: 'list', actor },
        'campaign created',
      );
    if (input.start && c.state !== 'draft') {
      const now = await campaignRecord(this.#d.store, id);
      if (now.state === 'created') await this.start(id, actor);
    }
    return { ...(await this.status(id)), duplicates: u?.duplicates ?? 0 };
  }

  /** Issue 11: a draft (refused, or abandoned mid-upload) and its members are removed; a campaign is cancelled. */
  async deleteDraft(id: string, actor: string): Promise<{ id: string; deleted: number }> {
    const marked = await changeCampaign(
      this.#d,
      id,
      (c) => c.state === 'draft' && c.upload !== undefined,
      (c) => ({
        upload: { ...(c.upload as UploadProgress), discarded: true },
        detail: `deleted by ${actor}`,
      }),
    );
    if (marked === undefined) {
      const c = await campaignRecord(this.#d.store, id);
      throw new JobError(
        'conflict',
        `campaign ${id} is ${c.state}: only a draft is deleted (a campaign is cancelled)`,
      );
    }
    await this.#d.store.deleteDraft(id);
    this.#d.logger.info(
      { event: 'campaign-draft-deleted', campaign: id, members: marked.total, actor },
      'campaign draft deleted',
    );
    return { id, deleted: marked.total };
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
      throw new JobError(
        'conflict',
        `campaign ${id} is ${c.state}: it cannot be ${verb}${c.state === 'draft' ? DRAFT_HINT : ''}`,
      );
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
