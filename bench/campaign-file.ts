// Issue 11, one-off measurement (not a timed test): `ltku campaign create --file` of a file of N lines (default
// 1M ICCIDs) against a Provisioning Server in this process whose inventory holds them, then `ltku campaign report`
// (CSV and JSON) of the N members to /dev/null. The CLI runs as a child process under /usr/bin/time: its wall time
// and peak RSS are printed, with the server process's RSS.
//   node dist/bench/campaign-file.js [N] [DB]     DB: a SQLite file (default on tmpfs) or postgres://...?schema=...
//   LTKU_BENCH_CLI_HEAP=32: the CLI runs with a 32 MB V8 heap (it fails if its memory grows with N)
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_PRINCIPALS, PrincipalTable, ROLE_OPERATOR, issueCredentials } from '../src/auth/index.js';
import { P256, cryptoRandom } from '../src/crypto/index.js';
import { silentLogger } from '../src/ports/index.js';
import { listenServer, openJobStore, type InventoryEntry } from '../src/server/index.js';
import { openCampaignStore } from '../src/server/campaign/index.js';
import { NOW, makePki } from '../tests/card/support/fixture.js';
import { instantHss } from '../tests/helpers/instant-hss.js';
import { serverSession } from '../tests/helpers/server-session.js';

const N = Number(process.argv[2] ?? 1_000_000);
const DIR = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'ltku-bench-file-'));
const DB = process.argv[3] ?? join(DIR, 'server.sqlite');
const CLI = new URL('../../bin/ltku.js', import.meta.url).pathname;
/** LTKU_BENCH_CLI_HEAP=MB caps the CLI's V8 heap: the runs completing under a small cap show the memory is flat. */
const CLI_HEAP = process.env.LTKU_BENCH_CLI_HEAP;
const CLI_NODE_FLAGS = CLI_HEAP === undefined ? [] : [`--max-old-space-size=${Number(CLI_HEAP)}`];

function entry(i: number): InventoryEntry {
  return {
    eid: `89049032${String(Math.floor(i / 4)).padStart(24, '0')}`,
    iccid: `8949${String(i).padStart(15, '0')}`,
    imsi: `00101${String(i).padStart(10, '0')}`,
    algorithm: 'milenage',
  };
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;

/** Runs the CLI under /usr/bin/time: wall seconds, peak RSS, stdout (to `sink` when given). */
async function cli(
  args: string[],
  sink?: string,
): Promise<{ seconds: number; rssKb: number; stdout: string }> {
  const child = spawn(
    '/usr/bin/time',
    ['-f', 'TIME %e %M', process.execPath, ...CLI_NODE_FLAGS, CLI, ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  if (sink === undefined) child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  else child.stdout.pipe(createWriteStream(sink));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(child, 'exit')) as [number];
  const m = /TIME ([0-9.]+) ([0-9]+)/.exec(stderr);
  if (code !== 0 || m === null) throw new Error(`ltku ${args.join(' ')}: exit ${code}: ${stderr}`);
  return { seconds: Number(m[1]), rssKb: Number(m[2]), stdout };
}

async function main(): Promise<void> {
  const credentials = issueCredentials(DEFAULT_PRINCIPALS, cryptoRandom, NOW.toISOString());
  const tokenFile = join(DIR, 'operator.token');
  writeFileSync(tokenFile, `${credentials.tokens.get(ROLE_OPERATOR)}\n`, { mode: 0o600 });
  const entries = Array.from({ length: N }, (_, i) => entry(i));
  const pki = makePki(cryptoRandom, P256);
  const jobStore = await openJobStore(DB);
  const campaignStore = await openCampaignStore(DB);
  const server = await listenServer({
    store: jobStore,
    hss: instantHss,
    kek: new Uint8Array(32).fill(7),
    authenticator: new PrincipalTable(credentials.records),
    inventory: entries,
    logger: silentLogger,
    reconcileIntervalMs: 0,
    campaigns: { store: campaignStore, instance: 'bench', tickMs: 3_600_000 },
    session: serverSession(pki, { now: () => new Date() }, cryptoRandom),
  });
  try {
    const file = join(DIR, 'selection.csv');
    const out = createWriteStream(file);
    for (let i = 0; i < N; i++) if (!out.write(`${entry(i).iccid},lot 7\n`)) await once(out, 'drain');
    await new Promise((resolve) => out.end(resolve));
    const target = ['--server', server.adminUrl, '--token-file', tokenFile];
    const before = process.memoryUsage().rss;
    const created = await cli(['campaign', 'create', '--file', file, '--name', 'bench', ...target, '--json']);
    const c = JSON.parse(created.stdout) as { id: string; total: number; state: string };
    if (c.total !== N || c.state !== 'created') throw new Error(`created ${c.total} of ${N} (${c.state})`);
    console.log(
      `${DB.startsWith('postgres') ? 'PostgreSQL' : 'SQLite'}, ${N} lines: create ${created.seconds.toFixed(1)} s ` +
        `(${((created.seconds * 1e6) / N).toFixed(0)} µs/line), CLI peak RSS ${(created.rssKb / 1024).toFixed(0)} MB; ` +
        `server RSS ${mb(before)} -> ${mb(process.memoryUsage().rss)}`,
    );
    for (const format of ['csv', 'json']) {
      const r = await cli(['campaign', 'report', '--id', c.id, ...target, '--format', format], '/dev/null');
      console.log(
        `report --format ${format}: ${r.seconds.toFixed(1)} s, CLI peak RSS ${(r.rssKb / 1024).toFixed(0)} MB`,
      );
    }
  } finally {
    await server.close();
    await campaignStore.close();
    await jobStore.close();
    rmSync(DIR, { recursive: true, force: true });
  }
}

await main();
