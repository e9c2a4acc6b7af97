// The whole key update across separate processes on loopback, as an operator would run it: `ltku hss serve`,
// `ltku core serve`, `ltku server serve`, `ltku card serve --tcp`, and the UE as `ltku ue attach|sync --tcp`
// processes, on SQLite and on PostgreSQL (in a schema of its own, dropped at the end).
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import pg from 'pg';
import { ROOT } from '../helpers/vectors.js';
import { runCli } from '../helpers/cli.js';

const BIN = join(ROOT, 'bin', 'ltku.js');
const PG_BASE = process.env.LTKU_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const STARTUP_MS = 20_000;

interface Service {
  readonly child: ChildProcess;
  readonly address: string;
  output(): string;
}

/** Starts `ltku ARGS` and waits for the line that says where it listens. */
function serve(args: string[], pattern: RegExp): Promise<Service> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ltku ${args.slice(0, 2).join(' ')} did not start: ${out}`));
    }, STARTUP_MS);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = pattern.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, address: m[1], output: () => out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`ltku ${args.slice(0, 2).join(' ')} exited ${code}: ${out}`));
    });
  });
}

/** Stops a service with SIGTERM and returns its exit code. */
function stop(s: Service): Promise<number | null> {
  if (s.child.exitCode !== null) return Promise.resolve(s.child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => s.child.kill('SIGKILL'), 10_000);
    s.child.removeAllListeners('exit');
    s.child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    s.child.kill('SIGTERM');
  });
}

const run = promisify(execFile);

async function ltkuJson(args: string[]): Promise<any> {
  const { stdout } = await run(process.execPath, [BIN, ...args, '--json'], { timeout: 60_000 });
  return JSON.parse(stdout);
}

async function pgReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_BASE, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

const URL_LINE = /(http:\/\/127\.0\.0\.1:[0-9]+)/;

async function keyUpdateAcrossProcesses(db: (dir: string) => string[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ltku-e2e-'));
  const services: Service[] = [];
  try {
    const pki = join(dir, 'pki');
    const card = join(dir, 'card.json');
    const subscribers = join(dir, 'subscribers.json');
    for (const args of [
      ['pki', 'init', '--dir', pki],
      ['pki', 'issue', '--dir', pki, '--role', 'oce', '--format', 'gp', '--out', join(pki, 'oce')],
      ['card', 'create', '--pki', pki, '--out', card, '--profiles', '2', '--subscribers-out', subscribers],
      ['hss', 'import', subscribers, '--data-dir', dir, ...db(dir)],
    ]) {
      const r = await runCli(args);
      assert.equal(r.code, 0, `ltku ${args.slice(0, 2).join(' ')}: ${r.stderr}`);
    }
    const { eid, subscribers: profiles } = JSON.parse(readFileSync(subscribers, 'utf8')) as {
      eid: string;
      subscribers: { iccid: string; imsi: string }[];
    };
    const iccid = profiles[0].iccid;

    const hss = await serve(
      ['hss', 'serve', '--listen', '127.0.0.1:0', '--data-dir', dir, ...db(dir)],
      URL_LINE,
    );
    services.push(hss);
    const core = await serve(['core', 'serve', '--listen', '127.0.0.1:0', '--hss', hss.address], URL_LINE);
    services.push(core);
    const server = await serve(
      [
        'server',
        'serve',
        '--listen',
        '127.0.0.1:0',
        '--pki',
        pki,
        '--hss',
        hss.address,
        '--core',
        core.address,
        '--inventory',
        subscribers,
        '--data-dir',
        dir,
        ...db(dir),
      ],
      URL_LINE,
    );
    services.push(server);
    const cardService = await serve(
      ['card', 'serve', card, '--tcp', '127.0.0.1:0'],
      /listening on tcp (\S+)/,
    );
    services.push(cardService);
    const tcp = cardService.address;

    const before = await ltkuJson(['ue', 'attach', '--tcp', tcp, '--iccid', iccid, '--core', core.address]);
    assert.equal(before.state, 'attached', 'attach with the old keys');

    const job = await ltkuJson(['server', 'update', '--server', server.address, '--iccid', iccid]);
    const jobId = job.id ?? job.jobs?.[0]?.id;
    assert.ok(jobId, `a job was created: ${JSON.stringify(job)}`);

    // The UE runs the session, then detaches and attaches again with the new keys (step 7).
    const sync = await ltkuJson([
      'ue',
      'sync',
      '--tcp',
      tcp,
      '--server',
      server.address,
      '--eid',
      eid,
      '--core',
      core.address,
      '--iccid',
      iccid,
    ]);
    assert.ok(sync.posts <= 4, `at most 3 POSTs after the first (${sync.posts})`);
    assert.deepEqual(sync.reattached, [{ iccid, state: 'attached' }], 'attach with the new keys');

    const jobs = await ltkuJson(['server', 'jobs', '--server', server.address]);
    const done = (jobs.jobs ?? jobs).find((j: { id: string }) => j.id === jobId);
    assert.equal(done.state, 'completed', JSON.stringify(done));

    const other = await ltkuJson([
      'ue',
      'attach',
      '--tcp',
      tcp,
      '--iccid',
      profiles[1].iccid,
      '--core',
      core.address,
    ]);
    assert.equal(other.state, 'attached', 'the other profile keeps its keys');

    const subscriber = (await (
      await fetch(`${hss.address}/admin/v1/subscribers/${profiles[0].imsi}`)
    ).json()) as {
      activeVersion: number;
    };
    assert.equal(subscriber.activeVersion, 2, 'the HSS holds version 2 as active');
  } finally {
    const codes = [];
    for (const s of services.reverse()) codes.push(await stop(s));
    rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(
      codes,
      codes.map(() => 0),
      'every service stops cleanly on SIGTERM',
    );
  }
}

describe('key update across separate processes', { timeout: 180_000 }, () => {
  it('on SQLite', async () => {
    await keyUpdateAcrossProcesses(() => []);
  });

  const schemas: string[] = [];
  after(async () => {
    if (schemas.length === 0) return;
    const client = new pg.Client({ connectionString: PG_BASE });
    await client.connect();
    for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
    await client.end();
  });

  it('on PostgreSQL', async (t) => {
    if (!(await pgReachable())) {
      t.skip(`PostgreSQL at ${PG_BASE} unreachable`);
      return;
    }
    const schema = `ltku_e2e_${process.pid}_${randomBytes(4).toString('hex')}`;
    schemas.push(schema);
    await keyUpdateAcrossProcesses(() => ['--db', `${PG_BASE}?schema=${schema}`]);
  });
});
