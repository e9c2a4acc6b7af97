// `npm run bench:fleet` (issue 11): the fleet benchmarks, never timed tests.
//   1. HSS bulk import (`ltku hss import` of a bulk file) of LTKU_BENCH_IMPORT subscribers (default 1M) into
//      PostgreSQL and into SQLite: subscribers/s.
//   2. End to end over HTTP with real crypto: `ltku fleet create` of LTKU_BENCH_CARDS cards (default 10k), HSS,
//      core and 1, then 2, `ltku server serve` processes on PostgreSQL (credentials of `ltku auth init`, one KEK
//      file), `ltku fleet run` as its own process:
//      key updates/s, latency percentiles, memory, and the ratio to the crypto floor of the server's share
//      (fleet/floor.ts, measured in this run) per server core: by wall time, and by the servers' CPU time.
//   3. The fault mode: LTKU_BENCH_FAULT_CARDS cards (default 2000) at 5% faults of each kind, verified.
// LTKU_BENCH_ONLY=import|e2e|faults runs one part; LTKU_BENCH_INSTANCES=1,2; LTKU_BENCH_CONCURRENCY (default 64);
// LTKU_BENCH_CPU_PROF=DIR runs the servers with --cpu-prof into DIR; LTKU_TEST_PG is the PostgreSQL base URL.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BIN, serve, stop, type Service } from '../tests/e2e/support/services.js';
import { dropSchemas, pgReachable, pgUrl, schemaName } from '../tests/e2e/support/postgres.js';
import { cliArgs, fleetCreateArgs, oceIssueArgs } from '../tests/helpers/cli-args.js';
import { measureCryptoFloor, type CryptoFloor } from './fleet/floor.js';

const run = promisify(execFile);
const env = process.env;
const IMPORT = Number(env.LTKU_BENCH_IMPORT ?? 1_000_000);
const CARDS = Number(env.LTKU_BENCH_CARDS ?? 10_000);
const FAULT_CARDS = Number(env.LTKU_BENCH_FAULT_CARDS ?? 2_000);
const FAULT_RATE = '5%';
const CONCURRENCY = env.LTKU_BENCH_CONCURRENCY ?? '64';
const INSTANCES = (env.LTKU_BENCH_INSTANCES ?? '1,2').split(',').map(Number);
const ONLY = env.LTKU_BENCH_ONLY;
const CPU_PROF = env.LTKU_BENCH_CPU_PROF;
const URL_LINE = /(http:\/\/127\.0\.0\.1:[0-9]+)/;
/** `ltku server serve`'s line: its RAM URL and its admin listener. */
const SERVER_LINE = /RAM (http:\/\/127\.0\.0\.1:[0-9]+\/ram\/v1), admin (http:\/\/127\.0\.0\.1:[0-9]+)/;
/** A server reads the whole --inventory before it listens (100k cards: seconds). */
const SERVER_STARTUP_MS = 600_000;
const SUBSCRIBERS_PER_LINE = 1000;
const MAX_BUFFER = 256 * 2 ** 20;
/** Linux: clock ticks per second of /proc/<pid>/stat (sysconf(_SC_CLK_TCK), 100 on every common kernel). */
const CLK_TCK = 100;

const log = (line: string) => console.log(line);

async function ltku(args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [BIN, ...args], {
    maxBuffer: MAX_BUFFER,
    timeout: 3_600_000,
  });
  return stdout;
}

/** User + system CPU seconds of a process so far (/proc/<pid>/stat fields 14 and 15). */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}

// 1 ---------------------------------------------------------------------------------------------- HSS import
function writeBulkSubscribers(path: string, count: number): void {
  const fd = openSync(path, 'w', 0o600);
  try {
    for (let at = 0; at < count; at += SUBSCRIBERS_PER_LINE) {
      const subscribers = [];
      for (let i = at; i < Math.min(count, at + SUBSCRIBERS_PER_LINE); i++) {
        const keys = randomBytes(32).toString('hex');
        subscribers.push({
          imsi: `00102${String(i).padStart(10, '0')}`,
          algorithm: 'milenage',
          k: keys.slice(0, 32),
          opc: keys.slice(32),
          keyVersion: 1,
        });
      }
      writeSync(fd, JSON.stringify({ format: 'ltku-subscribers/1', subscribers }) + '\n');
    }
  } finally {
    closeSync(fd);
  }
}

async function importBench(): Promise<void> {
  log(`\n## HSS bulk import (ltku hss import of a bulk file, ${IMPORT} subscribers)`);
  const dir = mkdtempSync(join(tmpdir(), 'ltku-bench-import-'));
  const schemas: string[] = [];
  try {
    const file = join(dir, 'subscribers.jsonl');
    writeBulkSubscribers(file, IMPORT);
    const targets: [string, string[]][] = [['SQLite', ['--data-dir', join(dir, 'sqlite')]]];
    if (await pgReachable()) {
      const schema = schemaName('ltku_bench_import');
      schemas.push(schema);
      targets.unshift(['PostgreSQL', ['--data-dir', join(dir, 'pg'), '--db', pgUrl(schema)]]);
    } else log('PostgreSQL unreachable: SQLite only');
    for (const [name, args] of targets) {
      const started = performance.now();
      const r = JSON.parse(await ltku(['hss', 'import', file, ...args, '--json'])) as {
        created: number;
        subscribersPerSecond: number;
      };
      const wall = (performance.now() - started) / 1000;
      log(
        `${name.padEnd(10)} ${r.created} subscribers in ${wall.toFixed(1)} s: ${Math.round(r.created / wall)}/s ` +
          `(process start included; import loop alone ${r.subscribersPerSecond}/s)`,
      );
    }
  } finally {
    await dropSchemas(schemas).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

// 2, 3 ------------------------------------------------------------------------------------------- end to end
interface FleetJson {
  rotated: number;
  cards: number;
  updatesPerSecond: number;
  updatesSeconds: number;
  updateLatencyMs: { p50: number; p95: number; p99: number };
  attachesPerSecond?: number;
  peakRssMiB: number;
  fleetCpuSeconds: number;
  faults: Record<string, number>;
  powerLosses: number;
  resumes: number;
  failed: unknown[];
  verified?: { ok: boolean; profiles: number; problems: unknown[] };
}

async function endToEnd(cards: number, instances: number, faultRate: string | undefined, floor: CryptoFloor) {
  const label = `${cards} cards, ${instances} server instance${instances > 1 ? 's' : ''}${faultRate ? `, ${faultRate} faults` : ''}`;
  log(`\n### ${label}`);
  const dir = mkdtempSync(join(tmpdir(), 'ltku-bench-fleet-'));
  const schema = schemaName('ltku_bench_fleet');
  const db = pgUrl(schema);
  const services: Service[] = [];
  try {
    const pki = join(dir, 'pki');
    const fleet = join(dir, 'fleet.sqlite');
    const inventory = join(dir, 'fleet.jsonl');
    await ltku(['pki', 'init', '--dir', pki]);
    await ltku(oceIssueArgs(pki));
    await ltku(['auth', 'init', '--data-dir', dir]);
    let t = performance.now();
    await ltku(fleetCreateArgs(pki, cards, fleet, inventory));
    log(`fleet create: ${((performance.now() - t) / 1000).toFixed(1)} s`);
    t = performance.now();
    await ltku(['hss', 'import', inventory, '--data-dir', dir, '--db', db]);
    log(`hss import: ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const hss = await serve(
      ['hss', 'serve', '--listen', '127.0.0.1:0', '--data-dir', dir, '--db', db],
      URL_LINE,
    );
    services.push(hss);
    const core = await serve(
      ['core', 'serve', '--listen', '127.0.0.1:0', '--hss', hss.address, '--data-dir', dir],
      URL_LINE,
    );
    services.push(core);
    const servers: Service[] = [];
    // One KEK for every instance: the jobs' keys in the shared database are sealed under it.
    const kekFile = join(dir, 'server-kek.hex');
    writeFileSync(kekFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    for (let i = 0; i < instances; i++) {
      const s = await serve(
        [
          ...['server', 'serve', '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--pki', pki],
          ...['--hss', hss.address, '--inventory', inventory, '--db', db, '--data-dir', dir],
          ...['--kek-file', kekFile, '--log-level', 'warn'],
        ],
        SERVER_LINE,
        {
          nodeFlags: CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', CPU_PROF] : [],
          startupMs: SERVER_STARTUP_MS,
        },
      );
      servers.push(s);
      services.push(s);
    }
    const cpuBefore = servers.map((s) => cpuSeconds(s.child.pid));
    const hssBefore = cpuSeconds(hss.child.pid);
    t = performance.now();
    const out = await runFleet(
      cliArgs(['fleet', 'run'], {
        fleet,
        server: servers.map((s) => s.address),
        admin: servers[0].groups[0],
        core: core.address,
        'hss-db': db,
        'hss-data-dir': dir,
        'data-dir': dir,
        concurrency: CONCURRENCY,
        timeout: 900,
        seed: 'bench',
        ...(faultRate ? { 'fault-rate': faultRate } : { faults: 'none' }),
        json: true,
      }),
    );
    const wall = (performance.now() - t) / 1000;
    const r = JSON.parse(out) as FleetJson;
    const serverCpu = servers.reduce((n, s, i) => n + cpuSeconds(s.child.pid) - cpuBefore[i], 0);
    const hssCpu = cpuSeconds(hss.child.pid) - hssBefore;
    const floorWall = floor.updatesPerSecond * instances;
    log(
      `rotated ${r.rotated}/${r.cards}; ${r.updatesPerSecond} key updates/s over ${r.updatesSeconds} s; latency p50 ` +
        `${r.updateLatencyMs.p50} ms, p95 ${r.updateLatencyMs.p95} ms, p99 ${r.updateLatencyMs.p99} ms; ` +
        `attaches ${r.attachesPerSecond ?? '-'}/s; fleet process peak RSS ${r.peakRssMiB} MiB, CPU ${r.fleetCpuSeconds} s; ` +
        `whole fleet run ${wall.toFixed(1)} s`,
    );
    log(
      `ratio to the crypto floor per server core: ${(r.updatesPerSecond / floorWall).toFixed(3)} by wall time ` +
        `(${instances} core${instances > 1 ? 's' : ''} at ${Math.round(floor.updatesPerSecond)}/s); ` +
        `${(r.rotated / serverCpu / floor.updatesPerSecond).toFixed(3)} by the servers' CPU time ` +
        `(${serverCpu.toFixed(1)} CPU s for ${r.rotated} updates incl. ordering and checks; HSS ${hssCpu.toFixed(1)} CPU s)`,
    );
    if (faultRate)
      log(`faults ${JSON.stringify(r.faults)}, power losses ${r.powerLosses}, resumes ${r.resumes}`);
    log(
      r.verified
        ? r.verified.ok
          ? `verified: ${r.verified.profiles} profiles rotated exactly once, card keys = HSS keys, attach ok`
          : `VERIFICATION FAILED: ${JSON.stringify(r.verified.problems.slice(0, 5))}`
        : 'not verified',
    );
  } finally {
    for (const s of services.reverse()) await stop(s).catch(() => {});
    await dropSchemas([schema]).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `ltku fleet run` as its own process; its JSON even when it exits 1 (a failed check is a result). */
async function runFleet(args: string[]): Promise<string> {
  try {
    return await ltku(args);
  } catch (e) {
    const x = e as { stdout?: string; stderr?: string };
    if (x.stdout?.trim().startsWith('{')) return x.stdout;
    throw new Error(`ltku fleet run failed: ${x.stderr ?? (e as Error).message}`);
  }
}

log(
  `ltku fleet benchmarks: Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores`,
);
if (ONLY === undefined || ONLY === 'import') await importBench();
if (ONLY === undefined || ONLY === 'e2e' || ONLY === 'faults') {
  if (!(await pgReachable())) log('\nPostgreSQL unreachable: end-to-end runs skipped');
  else {
    const floor = measureCryptoFloor();
    log(
      `\n## End to end over HTTP (PostgreSQL; concurrency ${CONCURRENCY}); crypto floor of the server's share: ` +
        `${Math.round(floor.updatesPerSecond)} updates/s per core (keygen ${floor.microseconds.keygen.toFixed(0)} µs, ` +
        `ECDH ${floor.microseconds.ecdh.toFixed(0)} µs ×2, verify ${floor.microseconds.verify.toFixed(0)} µs)`,
    );
    if (ONLY !== 'faults') for (const n of INSTANCES) await endToEnd(CARDS, n, undefined, floor);
    if (ONLY !== 'e2e') await endToEnd(FAULT_CARDS, 1, FAULT_RATE, floor);
  }
}
