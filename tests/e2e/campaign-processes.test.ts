// Issue 11, DESIGN.md 8, with real processes: a campaign of a few hundred simulated cards across two
// `ltku server serve` processes on one PostgreSQL schema (the HSS on a schema of its own), the fleet as its own
// `ltku fleet run --no-order` process polling both instances. Mid-campaign instance A is killed with SIGKILL,
// B goes on alone, A starts again with the same arguments on the same database; the campaign completes. Then:
// the report lists every subscriber once, rotated to key version 2; one completed job per ICCID; the fleet's own
// check (card keys = HSS keys, attach with the new keys) passed.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import {
  BIN,
  background,
  freePorts,
  kill,
  serve,
  stop,
  tail,
  type Background,
  type Service,
} from './support/services.js';
import { dropSchemas, PG_BASE, pgReachable, pgUrl, schemaName } from './support/postgres.js';
import { cliArgs, fleetCreateArgs, oceIssueArgs } from '../helpers/cli-args.js';

const run = promisify(execFile);

/** The campaign feeder's lease on a claimed member (server/campaign/feeder.ts, default). */
const FEEDER_LEASE_MS = 60_000;

/** One statement on the test database (the schemas are named in the query). */
async function sql(query: string, params: unknown[]): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: PG_BASE });
  await client.connect();
  try {
    return (await client.query(query, params)).rows;
  } finally {
    await client.end();
  }
}

const CARDS = 200;
/** New key updates per second across both instances: the campaign lasts long enough for a crash mid-way. */
const RATE = 20;
const CAMPAIGN_CONCURRENCY = 40;
const FLEET_CONCURRENCY = 48;
const URL_LINE = /(http:\/\/127\.0\.0\.1:[0-9]+)/;
const SERVER_LINE = /RAM (http:\/\/127\.0\.0\.1:[0-9]+)\/ram\/v1, admin (http:\/\/127\.0\.0\.1:[0-9]+)/;

interface CampaignStatus {
  id: string;
  state: string;
  total: number;
  done: number;
  counts: Record<string, number>;
}

interface Job {
  id: string;
  iccid: string;
  state: string;
}

/** `ltku ARGS` as a process to its end; a non-zero exit is a failure naming what it printed. */
async function ltku(args: string[]): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(process.execPath, [BIN, ...args], { timeout: 60_000, maxBuffer: 64 * 2 ** 20 });
  } catch (e) {
    const x = e as { code?: number; stderr?: string };
    throw new Error(
      `ltku ${args.slice(0, 2).join(' ')} exited ${x.code}: ${x.stderr ?? (e as Error).message}`,
    );
  }
}

/** Polls `check` every 500 ms until it holds; fails naming `what` after `ms`. */
async function until(what: string, check: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms / 1000} s`);
    await sleep(500);
  }
}

/** `p`, or a failure naming `what` when it has not settled within `ms` (the timer cleared either way). */
async function within<T>(p: Promise<T>, what: string, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: not within ${ms / 1000} s`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

describe('a campaign across two server processes on PostgreSQL, one killed with SIGKILL', () => {
  const schemas: string[] = [];
  after(() => dropSchemas(schemas));

  it('rotates every subscriber exactly once; the report is complete', { timeout: 180_000 }, async (t) => {
    if (!(await pgReachable())) {
      t.skip(`PostgreSQL at ${PG_BASE} unreachable`);
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'ltku-e2e-campaign-'));
    const serverSchema = schemaName('ltku_e2e_campaign');
    const hssSchema = schemaName('ltku_e2e_campaign_hss');
    schemas.push(serverSchema, hssSchema);
    const serverDb = pgUrl(serverSchema);
    const hssDb = pgUrl(hssSchema);
    const services: Service[] = [];
    /** Every output of a server process, its earlier lives included. */
    const outputs = new Map<string, () => string>();
    let fleet: Background | undefined;
    let adminUrl = '';
    let operatorToken = '';
    let campaignId = '';
    let step = 'setup';
    const status = async (admin: string): Promise<CampaignStatus> => {
      const r = await fetch(`${admin}/admin/v1/campaigns/${campaignId}`, {
        headers: { authorization: `Bearer ${operatorToken}` },
      });
      if (r.status !== 200) throw new Error(`GET campaign: ${r.status} ${await r.text()}`);
      return (await r.json()) as CampaignStatus;
    };
    try {
      const pki = join(dir, 'pki');
      const fleetFile = join(dir, 'fleet.sqlite');
      const inventory = join(dir, 'fleet.jsonl');
      await ltku(['pki', 'init', '--dir', pki]);
      await ltku(oceIssueArgs(pki));
      await ltku(['auth', 'init', '--data-dir', dir]);
      operatorToken = readFileSync(join(dir, 'credentials', 'operator.token'), 'utf8').trim();
      await ltku(fleetCreateArgs(pki, CARDS, fleetFile, inventory));
      const subscribers = readFileSync(inventory, 'utf8')
        .trim()
        .split('\n')
        .flatMap((l) => (JSON.parse(l) as { subscribers: { iccid: string; imsi: string }[] }).subscribers);
      assert.equal(subscribers.length, CARDS);
      const imsis = subscribers.map((s) => s.imsi).sort();
      await ltku(['hss', 'import', inventory, '--data-dir', dir, '--db', hssDb]);

      const hss = await serve(
        ['hss', 'serve', '--listen', '127.0.0.1:0', '--data-dir', dir, '--db', hssDb, '--log-level', 'warn'],
        URL_LINE,
      );
      services.push(hss);
      outputs.set('hss', hss.output);
      const core = await serve(
        ['core', 'serve', '--listen', '127.0.0.1:0', '--hss', hss.address, '--data-dir', dir],
        URL_LINE,
      );
      services.push(core);
      outputs.set('core', core.output);

      // Fixed ports, so that A starts again with the very same arguments (its advertised URL included).
      const [ramA, adminA, ramB, adminB] = await freePorts(4);
      const serverArgs = (ram: number, admin: number) =>
        cliArgs(['server', 'serve'], {
          listen: `127.0.0.1:${ram}`,
          'admin-listen': `127.0.0.1:${admin}`,
          'advertise-url': `http://127.0.0.1:${ram}/`,
          pki,
          hss: hss.address,
          inventory,
          'data-dir': dir,
          db: serverDb,
        });
      const startServer = async (name: string, args: string[]) => {
        const s = await serve(args, SERVER_LINE);
        services.push(s);
        const earlier = outputs.get(name);
        outputs.set(
          name,
          earlier === undefined ? s.output : () => `${earlier()}\n--- restart ---\n${s.output()}`,
        );
        return s;
      };
      // One after the other: the first creates the KEK file both read (the jobs' keys are sealed under it).
      const argsA = serverArgs(ramA, adminA);
      const instanceA = `http://127.0.0.1:${ramA}/`;
      let a = await startServer('A', argsA);
      const b = await startServer('B', serverArgs(ramB, adminB));
      adminUrl = b.groups[0];

      step = 'campaign create';
      const created = await ltku(
        cliArgs(['campaign', 'create'], {
          'imsi-range': `${imsis[0]}-${imsis[imsis.length - 1]}`,
          name: 'crash test',
          rate: RATE,
          concurrency: CAMPAIGN_CONCURRENCY,
          delivery: 'poll',
          start: true,
          server: a.groups[0],
          'data-dir': dir,
          json: true,
        }),
      );
      const c = JSON.parse(created.stdout) as CampaignStatus;
      campaignId = c.id;
      assert.deepEqual([c.state, c.total], ['running', CARDS]);

      step = 'fleet run';
      fleet = background(
        cliArgs(['fleet', 'run'], {
          fleet: fleetFile,
          server: [a.address, b.address],
          admin: adminUrl,
          core: core.address,
          'hss-db': hssDb,
          'hss-data-dir': dir,
          'data-dir': dir,
          'no-order': true,
          concurrency: FLEET_CONCURRENCY,
          'poll-ms': 1000,
          timeout: 100,
          faults: 'none',
          json: true,
        }),
      );

      step = 'a third done';
      await until(
        'a third of the campaign done',
        async () => (await status(adminUrl)).done >= CARDS / 3,
        40_000,
      );
      step = 'kill -9 A';
      await kill(a);
      const atKill = await status(adminUrl);
      assert.ok(atKill.done < CARDS, `the kill came mid-campaign (${atKill.done}/${CARDS} done)`);
      assert.match(outputs.get('A')!(), /"event":"ram-session"/, 'A served RAM sessions before it died');
      // What a kill in the middle of a wave leaves behind, whether or not this kill landed in one: a member
      // claimed under A's name (its advertised URL), its job not yet created. The last waiting one, set as
      // claimWave sets it (the feeder's lease: 60 s).
      const membersTable = `"${serverSchema}".campaign_members`;
      const claimed = await sql(
        `UPDATE ${membersTable} SET state = 'feeding', lease_by = $2, lease_until = $3
          WHERE campaign_id = $1 AND state = 'waiting'
            AND seq = (SELECT max(seq) FROM ${membersTable} WHERE campaign_id = $1 AND state = 'waiting')
          RETURNING seq`,
        [campaignId, instanceA, Date.now() + FEEDER_LEASE_MS],
      );
      assert.equal(claimed.length, 1, 'a waiting member left to claim');

      step = 'B alone';
      // B goes on alone: the feeding and the sessions of the cards that poll it.
      await until(
        'progress on B alone',
        async () => (await status(adminUrl)).done >= atKill.done + 10,
        20_000,
      );
      const viaCli = JSON.parse(
        (
          await ltku(
            cliArgs(['campaign', 'status'], {
              id: campaignId,
              server: adminUrl,
              'data-dir': dir,
              json: true,
            }),
          )
        ).stdout,
      ) as CampaignStatus;
      assert.equal(viaCli.state, 'running');
      assert.ok(
        viaCli.done > atKill.done,
        `B made progress after the kill (${atKill.done} -> ${viaCli.done})`,
      );

      step = 'restart A';
      a = await startServer('A', argsA);
      const restartedAt = Date.now();
      // Issue 11: A, under the same name again, feeds what its killed process had claimed at once, not when the
      // lease runs out (B would take those members over only then).
      await until(
        "A takes back its killed process's claims",
        async () =>
          (
            await sql(
              `SELECT seq FROM ${membersTable} WHERE campaign_id = $1 AND state = 'feeding' AND lease_by = $2
                AND lease_until < $3`,
              [campaignId, instanceA, restartedAt + FEEDER_LEASE_MS],
            )
          ).length === 0,
        FEEDER_LEASE_MS / 4,
      );
      step = 'completion';
      await until(
        'the campaign completes',
        async () => (await status(a.groups[0])).state === 'completed',
        60_000,
      );

      step = 'report';
      const csv = await ltku(
        cliArgs(['campaign', 'report'], { id: campaignId, server: adminUrl, 'data-dir': dir, format: 'csv' }),
      );
      const rows = csv.stdout.trim().split('\n');
      assert.equal(rows[0], 'iccid,imsi,state,key_version,attempts,reason,detail');
      const members = rows.slice(1).map((r) => r.split(','));
      assert.equal(members.length, CARDS, 'one row per subscriber');
      assert.deepEqual(
        members.map((m) => m[0]).sort(),
        subscribers.map((s) => s.iccid).sort(),
        'every subscriber exactly once',
      );
      for (const m of members) assert.deepEqual([m[2], m[3]], ['rotated', '2'], m[0]);
      assert.match(csv.stderr, new RegExp(`${CARDS} subscribers, campaign completed: rotated ${CARDS}`));

      step = 'jobs';
      const jobs: Job[] = [];
      for (let offset = 0; ; offset += 1000) {
        const r = await fetch(`${adminUrl}/admin/v1/jobs?limit=1000&offset=${offset}`, {
          headers: { authorization: `Bearer ${operatorToken}` },
        });
        assert.equal(r.status, 200);
        const page = ((await r.json()) as { jobs: Job[] }).jobs;
        jobs.push(...page);
        if (page.length < 1000) break;
      }
      assert.equal(jobs.length, CARDS, 'one job per subscriber, whatever was killed');
      assert.equal(new Set(jobs.map((j) => j.iccid)).size, CARDS);
      for (const j of jobs) assert.equal(j.state, 'completed', `${j.iccid}: job ${j.id}`);

      step = 'fleet result';
      const finished = await within(
        fleet.finished,
        'ltku fleet run ends after the campaign completed',
        60_000,
      );
      const r = JSON.parse(finished.stdout) as {
        cards: number;
        rotated: number;
        failed: unknown[];
        verified?: { ok: boolean; profiles: number; keysCompared: boolean; problems: unknown[] };
      };
      assert.deepEqual([r.cards, r.rotated, r.failed], [CARDS, CARDS, []]);
      assert.deepEqual(
        r.verified && [r.verified.ok, r.verified.profiles, r.verified.keysCompared, r.verified.problems],
        [true, CARDS, true, []],
      );
      assert.equal(finished.code, 0, tail(finished.stderr));
    } catch (e) {
      const view =
        campaignId === '' ? 'none' : await status(adminUrl).then(JSON.stringify, (x: Error) => x.message);
      const rows = await sql(
        `SELECT state, lease_by, count(*)::int AS n FROM "${serverSchema}".campaign_members GROUP BY 1, 2`,
        [],
      ).then(JSON.stringify, (x: Error) => x.message);
      const logs = [...outputs].map(([name, out]) => `--- ${name} (last lines)\n${tail(out())}`);
      if (fleet) logs.push(`--- fleet run stderr\n${tail(fleet.stderr())}`);
      const where = `at step "${step}"; campaign ${view}; members ${rows}`;
      throw new Error(`${(e as Error).message}\n${where}\n${logs.join('\n')}`, { cause: e });
    } finally {
      if (fleet && fleet.child.exitCode === null) fleet.child.kill('SIGKILL');
      for (const s of services.reverse()) await stop(s);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
