// generate-auth-data requests per second over HTTP: real loopback socket, keep-alive connections, SQN stored
// before every answer; SQLite (file, WAL) and PostgreSQL. The load generator runs in a worker thread so the
// server has the main event loop to itself. For scale: osmo-hlr (C, SQLite) answers about 3,000/s here.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { DEFAULT_PRINCIPALS, issueCredentials, PrincipalTable } from '../src/auth/index.js';
import { cryptoRandom } from '../src/crypto/index.js';
import { openHssRuntime, listenHss } from '../src/hss/index.js';
import { PostgresSubscriberStore } from '../src/hss/store/index.js';
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

export const suite: BenchSuite = {
  title: 'HSS/AuC (hss/): 5G HE AKA vectors over HTTP with SQN stored',
  async run(print) {
    const dir = mkdtempSync(join(tmpdir(), 'ltku-hss-bench-'));
    try {
      await benchBackend('SQLite (WAL, synchronous=NORMAL)', join(dir, 'hss.sqlite'), dir, print);
      if (await pgReachable()) {
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
