// DESIGN.md 6 invariants across separate processes, with crashes: `ltku hss serve`, `ltku core serve`,
// `ltku server serve` and `ltku card serve --tcp` as child processes on one data directory, the UE as
// `ltku ue attach|sync` processes. Each seeded scenario kills one process with SIGKILL at a chosen point of the
// key update (through proxies on loopback: before or after a given RAM POST, around a given C-APDU), restarts it
// on the same data directory / card image, and checks by attaching and reading state:
//   (a) once the HSS committed or promoted the new keys, a clone holding the old keys never attaches;
//   (b) the real card attaches whenever every process is up;
//   (c) after recovery the job is completed and the HSS's active version is the card's;
//   (d) key versions only increase (HSS active version and audit trail, card image file).
// One scenario of each kind on SQLite, then LTKU_FAULTS_RUNS (default 1) of random kind on PostgreSQL when it is
// reachable (SQLite otherwise). LTKU_FAULTS_SEED replays a run (the seed is printed, and repeated in a failure).
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import { promisify } from 'node:util';
import { runCli } from '../helpers/cli.js';
import { BIN, kill, serve, stop, type Service } from './support/services.js';
import { dropSchemas, pgReachable, pgUrl, schemaName } from './support/postgres.js';
import { CardProxy, RamProxy, TcpForwarder, type CardCrashPoint } from './support/fault-proxies.js';

const SEED = Number(process.env.LTKU_FAULTS_SEED ?? randomInt(2 ** 31));
const EXTRA_RUNS = Number(process.env.LTKU_FAULTS_RUNS ?? 1);
const URL_LINE = /(http:\/\/127\.0\.0\.1:[0-9]+)/;
const SERVER_LINE = /RAM (http:\/\/127\.0\.0\.1:[0-9]+)\/ram\/v1, admin (http:\/\/127\.0\.0\.1:[0-9]+)/;
/** GPC 2.3 11.11 STORE DATA (BF70/BF72 travel in it); TS 31.102 7.1.2 AUTHENTICATE. */
const INS_STORE_DATA = 0xe2;
const INS_AUTHENTICATE = 0x88;
/** The RAM POSTs of one key update (ram-endpoint.ts): 0 opens, 2 answers MUTUAL AUTH (BF70 comes back), 3 BF71. */
const POST_AUTHENTICATED = 2;
const POST_BF71 = 3;
/** Rounds of "sync, then look at the job" before recovery is declared stuck. */
const RECOVERY_SYNCS = 4;
const MAX_BACKOFF_WAIT_MS = 3_000;

/** mulberry32: a small seeded PRNG, so that a scenario's choices replay from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const run = promisify(execFile);
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Cli {
  code: number;
  stdout: string;
  stderr: string;
}

async function ltku(args: string[]): Promise<Cli> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: typeof x.code === 'number' ? x.code : -1, stdout: x.stdout ?? '', stderr: x.stderr ?? '' };
  }
}

interface AttachResult {
  state: 'attached' | 'rejected';
  rounds: string[];
}

interface SubscriberJson {
  activeVersion: number;
  candidate?: { version: number; transactionId: string };
}

interface JobJson {
  id: string;
  state: string;
  keyVersion: number;
  history: { state: string; detail?: string }[];
  nextAttemptAt?: string;
}

/** One data directory with its four services, the proxies between them, and what was observed. */
class World {
  readonly trace: string[] = [];
  readonly dir = mkdtempSync(join(tmpdir(), 'ltku-faults-'));
  readonly pki = join(this.dir, 'pki');
  readonly card = join(this.dir, 'card.json');
  readonly clone = join(this.dir, 'clone.json');
  readonly subscribers = join(this.dir, 'subscribers.json');
  eid = '';
  iccid = '';
  imsi = '';
  operatorToken = '';
  /** The key version the card was personalised with (the old keys). */
  oldVersion = 0;
  hss: Service | undefined;
  core: Service | undefined;
  server: Service | undefined;
  cardService: Service | undefined;
  admin = '';
  readonly hssFront: TcpForwarder;
  readonly ram: RamProxy;
  readonly cardFront: CardProxy;
  #cardVersions: number[] = [];
  #activeVersions: number[] = [];

  /** `--db URL` for the HSS and the server (PostgreSQL), or nothing (SQLite files in the data directory). */
  readonly db: string[];

  private constructor(db: string[], hssFront: TcpForwarder, ram: RamProxy, cardFront: CardProxy) {
    this.db = db;
    this.hssFront = hssFront;
    this.ram = ram;
    this.cardFront = cardFront;
  }

  static async create(db: string[]): Promise<World> {
    const w = new World(db, await TcpForwarder.start(), await RamProxy.start(), await CardProxy.start());
    w.cardFront.crash = () => w.crashCard();
    return w;
  }

  log(step: string): void {
    this.trace.push(step);
  }

  async setup(): Promise<void> {
    for (const args of [
      ['pki', 'init', '--dir', this.pki],
      ['pki', 'issue', '--dir', this.pki, '--role', 'oce', '--format', 'gp', '--out', join(this.pki, 'oce')],
      [
        'card',
        'create',
        '--pki',
        this.pki,
        '--out',
        this.card,
        '--profiles',
        '1',
        '--subscribers-out',
        this.subscribers,
      ],
      ['hss', 'import', this.subscribers, '--data-dir', this.dir, ...this.db],
    ]) {
      const r = await runCli(args);
      assert.equal(r.code, 0, `ltku ${args.slice(0, 2).join(' ')}: ${r.stderr}`);
    }
    // The attacker's copy: the card image as it was before any key update.
    copyFileSync(this.card, this.clone);
    mkdirSync(join(this.dir, 'clone-ue'), { mode: 0o700 });
    const inv = JSON.parse(readFileSync(this.subscribers, 'utf8')) as {
      eid: string;
      subscribers: { iccid: string; imsi: string }[];
    };
    this.eid = inv.eid;
    this.iccid = inv.subscribers[0].iccid;
    this.imsi = inv.subscribers[0].imsi;
    this.oldVersion = this.cardVersion();
    await this.startHss();
    this.operatorToken = readFileSync(join(this.dir, 'credentials', 'operator.token'), 'utf8').trim();
    this.core = await serve(
      ['core', 'serve', '--listen', '127.0.0.1:0', '--hss', this.hssFront.url, '--data-dir', this.dir],
      URL_LINE,
    );
    await this.startServer();
    await this.startCard();
  }

  async startHss(): Promise<void> {
    this.hss = await serve(
      ['hss', 'serve', '--listen', '127.0.0.1:0', '--data-dir', this.dir, ...this.db],
      URL_LINE,
    );
    this.hssFront.target = this.hss.address;
    this.log('hss up');
  }

  async startServer(): Promise<void> {
    this.server = await serve(
      [
        'server',
        'serve',
        ...['--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--pki', this.pki],
        ...['--hss', this.hssFront.url, '--inventory', this.subscribers, '--data-dir', this.dir],
        ...this.db,
      ],
      SERVER_LINE,
    );
    this.ram.target = this.server.address;
    this.admin = this.server.groups[0];
    this.log('server up');
  }

  async startCard(): Promise<void> {
    this.cardService = await serve(
      ['card', 'serve', this.card, '--tcp', '127.0.0.1:0'],
      /listening on tcp (\S+)/,
    );
    this.cardFront.target = this.cardService.address;
    this.log('card up');
  }

  async crashHss(): Promise<void> {
    this.hssFront.target = undefined;
    await kill(this.hss!);
    this.log('hss KILLED');
  }

  async crashServer(): Promise<void> {
    await kill(this.server!);
    this.log('server KILLED');
  }

  async crashCard(): Promise<void> {
    this.cardFront.target = undefined;
    await kill(this.cardService!);
    this.log('card KILLED');
  }

  cardVersion(path = this.card): number {
    const image = JSON.parse(readFileSync(path, 'utf8')) as {
      profiles: { iccid: string; keyVersion: number }[];
    };
    return image.profiles.find((p) => p.iccid === this.iccid)!.keyVersion;
  }

  async subscriber(): Promise<SubscriberJson> {
    const r = await fetch(`${this.hssFront.url}/admin/v1/subscribers/${this.imsi}`, {
      headers: { authorization: `Bearer ${this.operatorToken}` },
    });
    assert.equal(r.status, 200, 'HSS subscriber view');
    return (await r.json()) as SubscriberJson;
  }

  async createJob(): Promise<JobJson> {
    const r = await fetch(`${this.admin}/admin/v1/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.operatorToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ iccid: this.iccid }),
    });
    assert.equal(r.status, 201, `job created: ${await r.clone().text()}`);
    const job = (await r.json()) as JobJson;
    assert.ok(job.keyVersion > this.oldVersion);
    this.log(`job v${job.keyVersion}`);
    return job;
  }

  async job(id: string): Promise<JobJson> {
    const r = await fetch(`${this.admin}/admin/v1/jobs/${id}`, {
      headers: { authorization: `Bearer ${this.operatorToken}` },
    });
    assert.equal(r.status, 200, 'job view');
    return (await r.json()) as JobJson;
  }

  /** DESIGN.md 6 (d): the card's and (when `hssUp`) the HSS's active versions never went down. */
  async observe(where: string, hssUp = true): Promise<void> {
    const card = this.cardVersion();
    const last = this.#cardVersions[this.#cardVersions.length - 1] ?? card;
    assert.ok(card >= last, `(d) card key version went from ${last} down to ${card} (${where})`);
    this.#cardVersions.push(card);
    if (!hssUp) return;
    const { activeVersion } = await this.subscriber();
    const lastActive = this.#activeVersions[this.#activeVersions.length - 1] ?? activeVersion;
    assert.ok(
      activeVersion >= lastActive,
      `(d) HSS active version went from ${lastActive} down to ${activeVersion}`,
    );
    this.#activeVersions.push(activeVersion);
  }

  /** `ltku ue sync` through the proxies (the RAM proxy's hooks and the card proxy's see it). */
  async sync(): Promise<{ code: number; report?: { resumes: number; reattached?: { state: string }[] } }> {
    const r = await ltku([
      'ue',
      'sync',
      ...['--tcp', this.cardFront.address, '--server', this.ram.url, '--eid', this.eid],
      ...['--core', this.core!.address, '--iccid', this.iccid, '--data-dir', this.dir, '--json'],
    ]);
    this.log(`sync exit ${r.code}`);
    return r.code === 0 ? { code: 0, report: JSON.parse(r.stdout) } : { code: r.code };
  }

  async #attach(card: string[], dataDir: string): Promise<AttachResult> {
    const r = await ltku([
      'ue',
      'attach',
      ...card,
      ...['--iccid', this.iccid, '--core', this.core!.address, '--data-dir', dataDir, '--json'],
    ]);
    assert.ok((r.code === 0 || r.code === 1) && r.stdout !== '', `ue attach ran: ${r.code} ${r.stderr}`);
    return JSON.parse(r.stdout) as AttachResult;
  }

  /** (b): with every process up, the real card attaches, whatever state the transition is in. */
  async realAttaches(where: string): Promise<AttachResult> {
    const r = await this.#attach(['--tcp', this.cardFront.address], this.dir);
    this.log(`real attach ${r.state} [${r.rounds.join(',')}]`);
    assert.equal(r.state, 'attached', `(b) the real card attaches (${where}): ${JSON.stringify(r)}`);
    await this.observe(where);
    return r;
  }

  /**
   * (a): the clone with the old keys tries to attach. Before the HSS committed or promoted the new keys it may
   * (the old keys are still the active ones); after, it must not, and it must not get a vector the USIM accepts.
   */
  async cloneTries(where: string): Promise<AttachResult> {
    const before = await this.subscriber();
    const r = await this.#attach(['--card', this.clone], join(this.dir, 'clone-ue'));
    this.log(`clone attach ${r.state} [${r.rounds.join(',')}] (HSS active v${before.activeVersion})`);
    if (before.activeVersion > this.oldVersion) {
      assert.equal(r.state, 'rejected', `(a) the clone with the old keys is rejected (${where})`);
      assert.equal(r.rounds.includes('success'), false, `(a) no vector of the old keys (${where})`);
    }
    await this.observe(where);
    return r;
  }

  /** Syncs until the job is completed (a job backing off after a failed attempt waits for its time). */
  async recover(jobId: string): Promise<JobJson> {
    let job = await this.job(jobId);
    for (let i = 0; i < RECOVERY_SYNCS && job.state !== 'completed'; i++) {
      if (job.nextAttemptAt !== undefined) {
        await delay(Math.min(MAX_BACKOFF_WAIT_MS, Math.max(0, Date.parse(job.nextAttemptAt) - Date.now())));
      }
      await this.sync();
      job = await this.job(jobId);
      this.log(`job ${job.state}`);
      await this.observe('recovery');
    }
    assert.equal(job.state, 'completed', `the job completes after the crash: ${JSON.stringify(job.history)}`);
    return job;
  }

  /** (a)-(d) once everything has recovered. */
  async checkFinal(job: JobJson): Promise<void> {
    const hss = await this.subscriber();
    assert.equal(hss.candidate, undefined, '(c) no candidate left at the HSS');
    assert.equal(hss.activeVersion, job.keyVersion, '(c) the HSS holds the job version as active');
    assert.equal(this.cardVersion(), job.keyVersion, '(c) the card holds the job version');
    const real = await this.realAttaches('after recovery');
    assert.equal(
      real.rounds.includes('mac-failure'),
      false,
      '(c) HSS and card keys agree on the first vector',
    );
    await this.cloneTries('after recovery');
    await this.realAttaches('after the clone');
    // (d) in the HSS's own record: each key version activated once, in increasing order
    const shown = await ltku([
      'hss',
      'show',
      this.imsi,
      '--audit',
      '--json',
      '--data-dir',
      this.dir,
      ...this.db,
    ]);
    assert.equal(shown.code, 0, shown.stderr);
    const view = JSON.parse(shown.stdout) as {
      activeVersion: number;
      audit: { event: string; keyVersion?: number }[];
    };
    assert.equal(view.activeVersion, job.keyVersion);
    const activated = view.audit
      .filter((e) => e.event === 'candidate-committed' || e.event === 'candidate-promoted')
      .map((e) => e.keyVersion!);
    assert.deepEqual(
      activated,
      [job.keyVersion],
      `(d) one activation, of the new version: ${JSON.stringify(activated)}`,
    );
    const staged = view.audit.filter((e) => e.event === 'candidate-staged').map((e) => e.keyVersion!);
    assert.ok(
      staged.every((v) => v === job.keyVersion),
      `(d) only the new version staged: ${staged}`,
    );
  }

  /** The scenario's steps and the services' last words, for a failure message. */
  report(): string {
    const tail = (s: Service | undefined) => (s === undefined ? '' : s.output().slice(-1500));
    return [
      `trace: ${this.trace.join(' -> ')}`,
      `server log tail:\n${tail(this.server)}`,
      `hss log tail:\n${tail(this.hss)}`,
    ].join('\n');
  }

  async close(): Promise<void> {
    for (const s of [this.cardService, this.server, this.core, this.hss]) if (s !== undefined) await stop(s);
    await this.ram.close();
    await this.cardFront.close();
    await this.hssFront.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

type Kind = 'server' | 'hss' | 'card';
type Attaches = 'none' | 'real' | 'clone' | 'both';
const ATTACHES: readonly Attaches[] = ['none', 'real', 'clone', 'both'];

/** Attack and recovery interleavings while the outcome is unknown: the clone tries, the real card attaches. */
async function interleave(w: World, which: Attaches, where: string): Promise<void> {
  if (which === 'real' || which === 'both') await w.realAttaches(where);
  if (which === 'clone' || which === 'both') await w.cloneTries(where);
}

function pick<T>(random: () => number, choices: readonly T[]): T {
  return choices[Math.floor(random() * choices.length)];
}

/**
 * DESIGN.md 6 step 3: the server dies after BF70 left it (its answer lost, BF71 lost, or BF71 in flight); the
 * same `ue sync` resumes once it is back, or a new one runs. Meanwhile the real card and the clone may attach.
 */
async function serverCrash(w: World, random: () => number): Promise<void> {
  const point = pick(random, ['bf70-answer-lost', 'bf71-lost', 'bf71-in-flight'] as const);
  const sameSync = random() < 0.5;
  const attachFirst = pick(random, ATTACHES);
  const flightMs = Math.floor(random() * 20);
  w.log(`server crash ${point}, ${sameSync ? 'same sync resumes' : 'new sync'}, attaches ${attachFirst}`);
  const job = await w.createJob();
  let crashed: Promise<void> | undefined;
  let inFlight: Promise<void> | undefined;
  const crash = (): Promise<void> => {
    crashed ??= (async () => {
      await w.crashServer();
      if (!sameSync) {
        w.ram.target = undefined;
        return;
      }
      // The UE's resumed POST waits while the card (another process) attaches and the clone tries.
      await interleave(w, attachFirst, 'server down');
      await w.startServer();
    })();
    w.ram.gate = crashed; // a resumed POST waits for the restart
    return crashed;
  };
  w.ram.hook = async (post, when) => {
    if (crashed === undefined && inFlight === undefined) {
      if (point === 'bf70-answer-lost' && post === POST_AUTHENTICATED && when === 'answer')
        return crash().then(() => 'drop');
      if (point === 'bf71-lost' && post === POST_BF71 && when === 'request')
        return crash().then(() => 'drop');
      if (point === 'bf71-in-flight' && post === POST_BF71 && when === 'request') {
        inFlight = delay(flightMs).then(crash);
        return 'forward';
      }
    }
    // BF71 reached the server, maybe its commit too; its answer does not reach the UE
    if (inFlight !== undefined && post === POST_BF71 && when === 'answer') return inFlight.then(() => 'drop');
    return 'forward';
  };
  const first = await w.sync();
  await inFlight;
  assert.ok(crashed !== undefined, 'the crash point was reached');
  await crashed;
  w.ram.hook = async () => 'forward';
  if (sameSync) {
    assert.equal(first.code, 0, 'the same ue sync resumes with the restarted server');
    assert.ok(first.report!.resumes >= 1, 'it resumed');
  } else {
    assert.notEqual(first.code, 0, 'the ue sync cannot reach the killed server');
    await w.observe('server down');
    await interleave(w, attachFirst, 'server down');
    await w.startServer();
  }
  const done = await w.recover(job.id);
  if (point !== 'bf71-in-flight') {
    // The outcome was unknown to the restarted server: it asked BF72 (DESIGN.md 6 step 3).
    assert.ok(
      done.history.some((e) => e.detail?.includes('BF73')),
      `resumed by BF72: ${JSON.stringify(done.history)}`,
    );
  }
  await w.checkFinal(done);
}

/**
 * DESIGN.md 6 steps 1-2: the HSS dies before the stage, or between the stage and the commit; restarted on the
 * same database, the commit is retried (or the real card's attach promotes the candidate first).
 */
async function hssCrash(w: World, random: () => number): Promise<void> {
  const point = pick(random, ['before-stage', 'after-stage', 'before-commit'] as const);
  const realFirst = random() < 0.5;
  w.log(`hss crash ${point}, ${realFirst ? 'real card attaches first' : 'sync first'}`);
  const job = await w.createJob();
  let fired = false;
  w.ram.hook = async (post, when) => {
    if (fired) return 'forward';
    const at =
      (point === 'before-stage' && post === POST_AUTHENTICATED && when === 'request') ||
      (point === 'after-stage' && post === POST_AUTHENTICATED && when === 'answer') ||
      (point === 'before-commit' && post === POST_BF71 && when === 'request');
    if (at) {
      fired = true;
      await w.crashHss();
    }
    return 'forward';
  };
  await w.sync(); // ends in an error or not: the HSS is gone for its re-attach anyway
  assert.ok(fired, 'the crash point was reached');
  w.ram.hook = async () => 'forward';
  await w.observe('hss down', false);
  const during = await w.job(job.id);
  w.log(`job ${during.state}`);
  if (point === 'before-stage') {
    assert.ok(['pending', 'staged'].includes(during.state), `no BF70 without a stage: ${during.state}`);
    assert.equal(w.cardVersion(), w.oldVersion, 'the card did not get keys the HSS may not have');
  } else {
    assert.equal(during.state, 'applied', 'the card applied the keys; the commit is outstanding');
    assert.equal(w.cardVersion(), job.keyVersion);
  }
  await w.startHss();
  await w.observe('hss restarted');
  if (realFirst) {
    await w.realAttaches('hss restarted');
    if (point !== 'before-stage') {
      assert.equal(
        (await w.subscriber()).activeVersion,
        job.keyVersion,
        'the real card promoted the candidate',
      );
    }
    await w.cloneTries('hss restarted');
  }
  await w.checkFinal(await w.recover(job.id));
}

/**
 * The card process dies around one C-APDU of the session (or of the re-attach after it), and is served again
 * from its image file: the image holds the old keys or the new ones, whole; the stale lock is taken over.
 */
async function cardCrash(w: World, random: () => number): Promise<void> {
  const target = pick(random, ['store-data', 'store-data', 'apdu', 'authenticate'] as const);
  const point = pick(random, ['before', 'after-forward', 'after-answer'] as const satisfies CardCrashPoint[]);
  const nth = Math.floor(random() * 6);
  const attachFirst = pick(random, ATTACHES);
  w.log(`card crash at ${target}${target === 'apdu' ? ` #${nth}` : ''} ${point}, attaches ${attachFirst}`);
  const job = await w.createJob();
  let seen = 0;
  let storeSeen = false;
  let fired = false;
  w.cardFront.hook = (apdu) => {
    if (fired) return undefined;
    const ins = apdu[1];
    const at =
      (target === 'store-data' && ins === INS_STORE_DATA) ||
      (target === 'apdu' && seen === nth) ||
      (target === 'authenticate' && storeSeen && ins === INS_AUTHENTICATE);
    seen++;
    if (ins === INS_STORE_DATA) storeSeen = true;
    if (!at) return undefined;
    fired = true;
    return point;
  };
  const first = await w.sync();
  assert.ok(fired, 'the crash point was reached');
  assert.notEqual(first.code, 0, 'the ue sync lost its card');
  w.cardFront.hook = () => undefined;
  await w.observe('card down');
  const during = await w.job(job.id);
  w.log(`job ${during.state}, card v${w.cardVersion()}`);
  assert.notEqual(during.state, 'failed', 'a crash is no refusal by the card');
  if (target === 'store-data') {
    assert.equal(during.state, 'sent', 'BF70 left; its outcome is unknown to the server');
    if (point === 'before') assert.equal(w.cardVersion(), w.oldVersion, 'the card never saw BF70');
    // The card answers BF71 only once the new image is on disk.
    if (point === 'after-answer') assert.equal(w.cardVersion(), job.keyVersion, 'BF71 answered, image saved');
  }
  if (target === 'authenticate') assert.equal(during.state, 'completed');
  await w.startCard();
  await w.observe('card restarted');
  await interleave(w, attachFirst, 'card restarted');
  const done = await w.recover(job.id);
  if (target === 'store-data')
    assert.ok(
      done.history.some((e) => e.detail?.includes('BF73')),
      `resumed by BF72: ${JSON.stringify(done.history)}`,
    );
  await w.checkFinal(done);
}

const SCENARIOS: Record<Kind, (w: World, random: () => number) => Promise<void>> = {
  server: serverCrash,
  hss: hssCrash,
  card: cardCrash,
};

/** The three kinds on SQLite, then LTKU_FAULTS_RUNS of random kind on PostgreSQL (SQLite if unreachable). */
const plan: { kind: Kind; postgres: boolean }[] = (['server', 'hss', 'card'] as const).map((kind) => ({
  kind,
  postgres: false,
}));
{
  const random = prng(SEED);
  for (let i = 0; i < EXTRA_RUNS; i++)
    plan.push({ kind: pick(random, ['server', 'hss', 'card'] as const), postgres: true });
}

describe(`crashes across processes (DESIGN.md 6), seed ${SEED}`, { timeout: 240_000 }, () => {
  const worlds: World[] = [];
  const schemas: string[] = [];
  after(async () => {
    for (const w of worlds) await w.close().catch(() => undefined);
    await dropSchemas(schemas);
  });

  plan.forEach(({ kind, postgres }, i) => {
    const seed = (SEED + i * 0x9e3779b1) >>> 0;
    const backend = postgres ? 'PostgreSQL if reachable' : 'SQLite';
    it(`${kind} killed and restarted, ${backend} (scenario seed ${seed})`, async (t) => {
      t.diagnostic(`LTKU_FAULTS_SEED=${SEED} replays this run`);
      let db: string[] = [];
      if (postgres && (await pgReachable())) {
        const schema = schemaName('ltku_faults');
        schemas.push(schema);
        db = ['--db', pgUrl(schema)];
      }
      const w = await World.create(db);
      worlds.push(w);
      try {
        await w.setup();
        await w.observe('start');
        await w.realAttaches('before the update');
        await SCENARIOS[kind](w, prng(seed));
      } catch (e) {
        const where = `scenario ${i} (${kind}, ${db.length > 0 ? 'PostgreSQL' : 'SQLite'})`;
        const detail = `\n  seed ${SEED} (replay: LTKU_FAULTS_SEED=${SEED}), ${where}\n${w.report()}`;
        if (e instanceof Error) e.message += detail;
        throw e;
      }
      t.diagnostic(`${db.length > 0 ? 'PostgreSQL' : 'SQLite'}: ${w.trace.join(' -> ')}`);
      await w.close();
      worlds.splice(worlds.indexOf(w), 1);
    });
  });
});
