// generate-auth-data requests per second over HTTP: real loopback socket, keep-alive connections, SQN stored
// before every answer; SQLite (file, WAL) and PostgreSQL. The load generator runs in a worker thread so the
// server has the main event loop to itself. For scale: osmo-hlr (C, SQLite) answers about 3,000/s here.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { DEFAULT_PRINCIPALS, issueCredentials, PrincipalTable } from '../src/auth/index.js';
import { cryptoRandom } from '../src/crypto/index.js';
import { silentLogger } from '../src/ports/index.js';
import { Hss, KeyVault, KEK_LENGTH, openHssRuntime, listenHss } from '../src/hss/index.js';
import { PostgresSubscriberStore } from '../src/hss/store/index.js';
import { HssClient } from '../src/hss/client/index.js';
import { formatRate, type BenchSuite } from './harness.js';

const SUBSCRIBERS = Number(process.env.HSS_BENCH_SUBSCRIBERS ?? 100);
const CONNECTIONS = Number(process.env.HSS_BENCH_CONNECTIONS ?? 16);
const SECONDS = 3;
const SNN = '5G:mnc001.mcc001.3gppnetwork.org';
const PG_BASE = process.env.LTKU_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

// Plain JS for the worker, a minimal keep-alive HTTP/1.1 client on raw sockets (like wrk: prebuilt requests, one
// in flight per connection, responses framed by Content-Length) so the load generator costs little CPU.
const LOAD = `
const net = require('node:net');
const { workerData, parentPort } = require('node:worker_threads');
const { url, imsis, connections, warmupMs, seconds, body, token } = workerData;
const target = new URL(url);
const requests = imsis.map((imsi) => Buffer.from(
  'POST /nudm-ueau/v1/imsi-' + imsi + '/security-information/generate-auth-data HTTP/1.1\\r\\n' +
  'Host: ' + target.host + '\\r\\nAuthorization: Bearer ' + token +
  '\\r\\nContent-Type: application/json\\r\\nContent-Length: ' + Buffer.byteLength(body) +
  '\\r\\nConnection: keep-alive\\r\\n\\r\\n' + body));
let ok = 0, failed = 0, counting = false, stop = false, n = 0;
const sockets = [];
function connection() {
  const socket = net.connect({ host: target.hostname, port: Number(target.port), noDelay: true });
  sockets.push(socket);
  let buffer = Buffer.alloc(0);
  const send = () => { if (!stop) socket.write(requests[n++ % requests.length]); };
  socket.on('connect', send);
  socket.on('error', () => { failed++; });
  socket.on('data', (chunk) => {
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    for (;;) {
      const end = buffer.indexOf('\\r\\n\\r\\n');
      if (end < 0) return;
      const head = buffer.subarray(0, end).toString('latin1');
      const m = /content-length: *([0-9]+)/i.exec(head);
      const total = end + 4 + (m ? Number(m[1]) : 0);
      if (buffer.length < total) return;
      if (counting) { if (head.startsWith('HTTP/1.1 200')) ok++; else failed++; }
      buffer = buffer.subarray(total);
      send();
    }
  });
}
for (let i = 0; i < connections; i++) connection();
setTimeout(() => { counting = true; const t0 = performance.now();
  setTimeout(() => { counting = false; stop = true; const ms = performance.now() - t0;
    for (const s of sockets) s.destroy();
    parentPort.postMessage({ ok, failed, ms }); }, seconds * 1000);
}, warmupMs);
`;

export function runLoad(
  url: string,
  imsis: string[],
  token: string,
): Promise<{ ok: number; failed: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const w = new Worker(LOAD, {
      eval: true,
      workerData: {
        url,
        imsis,
        connections: CONNECTIONS,
        warmupMs: 500,
        seconds: SECONDS,
        body: JSON.stringify({ servingNetworkName: SNN }),
        token,
      },
    });
    w.once('message', (m) => {
      resolve(m);
      void w.terminate();
    });
    w.once('error', reject);
  });
}

async function pgReachable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: PG_BASE, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => {});
  }
}

/** The generate-auth-data rate over HTTP of an ltku HSS on `db` (SUBSCRIBERS Milenage subscribers), and what it stored. */
export async function hssHttpRate(
  db: string,
  dataDir: string,
): Promise<{ opsPerSecond: number; ok: number; failed: number; storedSeqs: bigint }> {
  const rt = await openHssRuntime({ db, dataDir });
  const imsis = Array.from({ length: SUBSCRIBERS }, (_, i) => `00101${String(i).padStart(10, '0')}`);
  for (const imsi of imsis) {
    await rt.hss.create(
      { imsi, keys: { algorithm: 'milenage', k: randomBytes(16), opc: randomBytes(16) } },
      'bench',
    );
  }
  // DESIGN.md 7: every request carries the core's bearer token (one SHA-256 and compare per request)
  const credentials = issueCredentials(DEFAULT_PRINCIPALS, cryptoRandom, new Date().toISOString());
  const authenticator = new PrincipalTable(credentials.records);
  const running = await listenHss({ hss: rt.hss, auc: rt.auc, logger: rt.logger, authenticator });
  try {
    const r = await runLoad(running.url, imsis, credentials.tokens.get('core') as string);
    let storedSeqs = 0n;
    for (const imsi of imsis) storedSeqs += (await rt.store.get(imsi))!.sqn >> 5n;
    return { opsPerSecond: (r.ok * 1000) / r.ms, ok: r.ok, failed: r.failed, storedSeqs };
  } finally {
    await running.close();
    await rt.close();
  }
}

async function benchBackend(
  name: string,
  db: string,
  dataDir: string,
  print: (line: string) => void,
): Promise<void> {
  const r = await hssHttpRate(db, dataDir);
  print(
    formatRate({
      name: `generate-auth-data over HTTP, ${name}`,
      opsPerSecond: r.opsPerSecond,
      iterations: r.ok,
    }),
  );
  if (r.failed > 0) print(`  ${r.failed} requests failed`);
  print(
    `  ${r.storedSeqs} SQNs stored (${r.ok} counted answers + warm-up), ${CONNECTIONS} keep-alive connections, ${SUBSCRIBERS} subscribers, Milenage`,
  );
}

// Issue 11: the Provisioning Server's HSS calls (GET subscriber, stage, commit per key update) cost CPU on both
// sides. The HSS runs in a child process (SQLite) so each side's CPU time is measured apart: the client's with
// process.cpuUsage, the HSS's from inside the child.
const CLIENT_CALLS = Number(process.env.HSS_BENCH_CLIENT_CALLS ?? 3000);
const CLIENT_CONCURRENCY = 8;
const LOOKUP_SUBSCRIBERS = 1000;

const SERVE_CHILD = `
const { openHssRuntime, listenHss } = await import(process.env.HSS_MODULE);
const { PrincipalTable } = await import(process.env.AUTH_MODULE);
process.once('message', async ({ dataDir, records, imsis }) => {
  const rt = await openHssRuntime({ dataDir });
  const keys = () => ({ algorithm: 'milenage', k: new Uint8Array(16).fill(1), opc: new Uint8Array(16).fill(2) });
  await rt.hss.createMany(imsis.map((imsi) => ({ imsi, keys: keys() })), 'bench');
  const running = await listenHss({ hss: rt.hss, auc: rt.auc, logger: rt.logger, authenticator: new PrincipalTable(records) });
  process.on('message', async (m) => {
    if (m === 'cpu') process.send(process.cpuUsage());
    else { await running.close(); await rt.close(); process.exit(0); }
  });
  process.send({ url: running.url });
});
`;

function nextMessage<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    const exited = (code: number | null) => reject(new Error(`HSS child exited (${code})`));
    child.once('exit', exited);
    child.once('message', (m) => {
      child.off('exit', exited);
      resolve(m as T);
    });
  });
}

const cpuMicros = (u: NodeJS.CpuUsage) => u.user + u.system;

/** CPU µs of each side per call of `call`, CLIENT_CALLS calls, CLIENT_CONCURRENCY in flight. */
async function cpuPerCall(
  child: ChildProcess,
  calls: number,
  call: (i: number) => Promise<unknown>,
): Promise<{ client: number; server: number; perSecond: number }> {
  for (let i = 0; i < Math.min(300, calls); i++) await call(i);
  child.send('cpu');
  const server0 = cpuMicros(await nextMessage<NodeJS.CpuUsage>(child));
  const client0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < calls) await call(next++);
  };
  await Promise.all(Array.from({ length: CLIENT_CONCURRENCY }, lane));
  const ms = performance.now() - t0;
  const client = cpuMicros(process.cpuUsage(client0));
  child.send('cpu');
  const server = cpuMicros(await nextMessage<NodeJS.CpuUsage>(child)) - server0;
  return { client: client / calls, server: server / calls, perSecond: (calls * 1000) / ms };
}

export async function benchClient(dir: string, print: (line: string) => void): Promise<void> {
  const credentials = issueCredentials(DEFAULT_PRINCIPALS, cryptoRandom, new Date().toISOString());
  const imsis = Array.from({ length: LOOKUP_SUBSCRIBERS }, (_, i) => `00101${String(i).padStart(10, '0')}`);
  const child = spawn(process.execPath, [...process.execArgv, '--input-type=module', '-e', SERVE_CHILD], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
    env: {
      ...process.env,
      HSS_MODULE: new URL('../src/hss/index.js', import.meta.url).href,
      AUTH_MODULE: new URL('../src/auth/index.js', import.meta.url).href,
    },
  });
  try {
    child.send({ dataDir: join(dir, 'client'), records: credentials.records, imsis });
    const { url } = await nextMessage<{ url: string }>(child);
    const token = credentials.tokens.get('provisioner') as string;
    // The same calls over fetch (undici, the transport before issue 11) and over the client's own kept-alive
    // node:http connections, alternated so both see the same machine load.
    const transports: [string, HssClient][] = [
      ['fetch', new HssClient(url, { token, fetch })],
      ['node:http keep-alive', new HssClient(url, { token })],
    ];
    try {
      for (let round = 0; round < 2; round++) {
        for (const [name, client] of transports) {
          const one = await cpuPerCall(child, CLIENT_CALLS, (i) =>
            client.getSubscriber(imsis[i % imsis.length]),
          );
          print(
            `HssClient.getSubscriber over ${name}, SQLite: ${one.perSecond.toFixed(0)} /s; CPU per call: client ${one.client.toFixed(0)} µs, HSS ${one.server.toFixed(0)} µs`,
          );
        }
      }
      const client = transports[1][1];
      const many = await cpuPerCall(child, 20, () => client.getSubscribers(imsis));
      print(
        `HssClient.getSubscribers (${LOOKUP_SUBSCRIBERS} IMSIs a call), SQLite: CPU per subscriber: client ${(many.client / LOOKUP_SUBSCRIBERS).toFixed(1)} µs, HSS ${(many.server / LOOKUP_SUBSCRIBERS).toFixed(1)} µs`,
      );
      print(`  ${CLIENT_CALLS} calls per line, ${CLIENT_CONCURRENCY} in flight, the HSS in its own process`);
    } finally {
      for (const [, client] of transports) client.close();
    }
    child.send('stop');
    await new Promise((resolve) => child.once('exit', resolve));
  } finally {
    if (child.exitCode === null) child.kill();
  }
}

// Issue 11: the HSS side of a key update is a stage and a commit (DESIGN.md 6 steps 1-2). Measured in process on
// PostgreSQL: transitions per second with TRANSITION_LANES in flight, and CPU per stage + commit of this process
// and of the pool's PostgreSQL backends (found by application_name, read from /proc: same machine only).
const TRANSITIONS = Number(process.env.HSS_BENCH_TRANSITIONS ?? 2000);
const TRANSITION_LANES = 8;
const TRANSITION_SUBSCRIBERS = 200;
const APPLICATION_NAME = 'ltku-bench-transitions';
const CLOCK_TICK_US = 10_000; // /proc/<pid>/stat utime and stime are in 1/100 s

async function backendCpuMicros(admin: pg.Client): Promise<number | undefined> {
  const r = await admin.query('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [
    APPLICATION_NAME,
  ]);
  let ticks = 0;
  for (const { pid } of r.rows) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
    } catch {
      return undefined;
    }
  }
  return ticks * CLOCK_TICK_US;
}

export async function benchTransitions(print: (line: string) => void): Promise<void> {
  const url = `${PG_BASE}?schema=hss_bench_tx_${process.pid}&application_name=${APPLICATION_NAME}`;
  const store = new PostgresSubscriberStore(url);
  const admin = new pg.Client({ connectionString: PG_BASE });
  await admin.connect();
  try {
    await store.migrate();
    const hss = new Hss({
      store,
      vault: new KeyVault(randomBytes(KEK_LENGTH), cryptoRandom),
      clock: { now: () => new Date() },
      logger: silentLogger,
    });
    const keys = () => ({ algorithm: 'milenage' as const, k: randomBytes(16), opc: randomBytes(16) });
    const imsis = Array.from(
      { length: TRANSITION_SUBSCRIBERS },
      (_, i) => `00101${String(i).padStart(10, '0')}`,
    );
    await hss.createMany(
      imsis.map((imsi) => ({ imsi, keys: keys() })),
      'bench',
    );
    const versions = new Map(imsis.map((imsi) => [imsi, 1]));
    // One lane per IMSI residue: never two transitions of one subscriber at once (they would conflict).
    const transition = async (i: number) => {
      const imsi = imsis[i % imsis.length];
      const keyVersion = (versions.get(imsi) as number) + 1;
      versions.set(imsi, keyVersion);
      const transactionId = randomBytes(16);
      await hss.stageCandidate(imsi, { keyVersion, transactionId, keys: keys() }, 'bench');
      await hss.commitCandidate(imsi, transactionId, 'bench');
    };
    let next = 0;
    const run = async (count: number) => {
      const end = next + count;
      const lane = async () => {
        while (next < end) await transition(next++);
      };
      await Promise.all(Array.from({ length: TRANSITION_LANES }, lane));
    };
    await run(TRANSITION_SUBSCRIBERS);
    const backend0 = await backendCpuMicros(admin);
    const node0 = process.cpuUsage();
    const t0 = performance.now();
    await run(TRANSITIONS);
    const ms = performance.now() - t0;
    const node = cpuMicros(process.cpuUsage(node0)) / TRANSITIONS;
    const backend1 = await backendCpuMicros(admin);
    const backend =
      backend0 === undefined || backend1 === undefined
        ? 'n/a'
        : `${((backend1 - backend0) / TRANSITIONS).toFixed(0)} µs`;
    print(
      formatRate({
        name: 'stage + commit, PostgreSQL (in process)',
        opsPerSecond: (TRANSITIONS * 1000) / ms,
        iterations: TRANSITIONS,
      }),
    );
    print(
      `  CPU per stage + commit: HSS process ${node.toFixed(0)} µs, PostgreSQL backends ${backend}; ${TRANSITION_LANES} in flight, ${TRANSITION_SUBSCRIBERS} subscribers`,
    );
  } finally {
    await admin.end();
    await store.dropSchema().catch(() => {});
    await store.close();
  }
}

export const suite: BenchSuite = {
  title: 'HSS/AuC (hss/): 5G HE AKA vectors over HTTP with SQN stored',
  async run(print) {
    const dir = mkdtempSync(join(tmpdir(), 'ltku-hss-bench-'));
    try {
      await benchClient(dir, print);
      await benchBackend('SQLite (WAL, synchronous=NORMAL)', join(dir, 'hss.sqlite'), dir, print);
      if (await pgReachable()) {
        await benchTransitions(print);
        const schema = `hss_bench_${process.pid}`;
        const url = `${PG_BASE}?schema=${schema}`;
        try {
          await benchBackend('PostgreSQL (one UPDATE ... RETURNING)', url, dir, print);
        } finally {
          const s = new PostgresSubscriberStore(url);
          await s.dropSchema();
          await s.close();
        }
      } else {
        print(`PostgreSQL at ${PG_BASE} unreachable: skipped`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
