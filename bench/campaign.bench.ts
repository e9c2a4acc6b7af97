// Issue 11 scale target: a campaign's bookkeeping at 10k, 100k (and 1M with LTKU_BENCH_CAMPAIGN_MAX=1000000)
// subscribers with the card crypto out of the loop: the selection resolved against an indexed inventory,
// members stored, claimed in waves, a real key-update job created per member through JobService (keys drawn
// and sealed), driven through its states (claim, stage, BF70 claimed, applied, committed) as a session would,
// and the member reconciled from the job. SQLite files (job store and campaign store), an HSS role that
// answers at once. Prints time per phase, µs per member, and RSS sampled as the campaign progresses.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { cryptoRandom } from '../src/crypto/index.js';
import { silentLogger } from '../src/ports/index.js';
import {
  Inventory,
  JobService,
  SqliteJobStore,
  type InventoryEntry,
  type Suite,
} from '../src/server/index.js';
import { CampaignService, SqliteCampaignStore } from '../src/server/campaign/index.js';
import type { BenchSuite } from './harness.js';
import { instantHss } from '../tests/helpers/instant-hss.js';

/**
 * A full garbage collection before each memory sample, so that the heap figures are what the run holds, not the
 * garbage it has not yet collected: node's own gc() when run with --expose-gc, else V8's, exposed for this.
 */
function collectGarbage(): void {
  if (global.gc === undefined) {
    setFlagsFromString('--expose-gc');
    global.gc = runInNewContext('gc') as typeof global.gc;
  }
  global.gc!();
}

const PROFILES_PER_CARD = 4;
const CONCURRENCY = 1_000;
const MAX = Number(process.env.LTKU_BENCH_CAMPAIGN_MAX ?? 100_000);
const SIZES = [10_000, 100_000, 1_000_000].filter((n) => n <= MAX);
const SAMPLES = 4;
/** The databases' directory: LTKU_BENCH_DIR, else tmpfs when there is one (fsync is then free: bookkeeping only). */
const DIR = process.env.LTKU_BENCH_DIR ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir());

const SUITE = { kvn: 1, aesKeyLength: 16, curve: { name: 'P-256' } } as unknown as Suite;

function entries(n: number): InventoryEntry[] {
  const out: InventoryEntry[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      eid: `89049032${String(Math.floor(i / PROFILES_PER_CARD)).padStart(24, '0')}`,
      iccid: `8949${String(i).padStart(15, '0')}`,
      imsi: `00101${String(i).padStart(10, '0')}`,
      algorithm: 'milenage',
      batch: 'bench',
    });
  }
  return out;
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;

async function run(n: number, print: (line: string) => void): Promise<void> {
  const dir = mkdtempSync(join(DIR, 'ltku-bench-campaign-'));
  const db = join(dir, 'server.sqlite');
  const jobStore = new SqliteJobStore(db);
  const campaignStore = new SqliteCampaignStore(db);
  try {
    const inventory = new Inventory(entries(n));
    const clock = { now: () => new Date() };
    const jobs = new JobService({
      store: jobStore,
      inventory,
      hss: instantHss,
      kek: new Uint8Array(32).fill(7),
      rng: cryptoRandom,
      clock,
      logger: silentLogger,
    });
    const campaigns = new CampaignService({
      store: campaignStore,
      jobs,
      jobStore,
      inventory,
      rng: cryptoRandom,
      clock,
      logger: silentLogger,
      instance: 'bench',
    });
    collectGarbage();
    const baseline = process.memoryUsage();
    let t = performance.now();
    const c = await campaigns.create(
      {
        selection: { batch: 'bench' },
        options: { rate: 1e9, concurrency: CONCURRENCY, delivery: 'poll' },
        start: true,
      },
      'bench',
    );
    const createS = (performance.now() - t) / 1000;
    t = performance.now();
    const rss: string[] = [];
    let nextSample = n / SAMPLES;
    let sessions = 0;
    for (;;) {
      await campaigns.tick();
      const open = await campaignStore.members(c.id, ['open'], CONCURRENCY);
      if (open.length === 0 && (await campaignStore.get(c.id))?.state === 'completed') break;
      // What a RAM session does to the job, without the card: claim, BF70 claimed, BF71 applied, commit.
      for (const m of open) {
        const eid = inventory.byIccid(m.iccid)!.eid;
        const claim = await jobs.claim(eid, `bench-${sessions++}`);
        if (claim === undefined) continue;
        await claim.hooks.beforeRequest({ suite: SUITE, afterStatus: false } as Parameters<
          typeof claim.hooks.beforeRequest
        >[0]);
        await claim.finish({ kind: 'applied', viaStatus: false } as Parameters<typeof claim.finish>[0]);
      }
      if (sessions >= nextSample) {
        collectGarbage();
        const m = process.memoryUsage();
        rss.push(`${Math.round((sessions / n) * 100)}%: ${mb(m.rss)} (heap ${mb(m.heapUsed)})`);
        nextSample += n / SAMPLES;
      }
    }
    const runS = (performance.now() - t) / 1000;
    const s = await campaigns.status(c.id);
    if (s.counts.rotated !== n) throw new Error(`${s.counts.rotated} of ${n} rotated`);
    print(
      `${String(n).padStart(9)} subscribers: create ${createS.toFixed(1)} s, feed+complete ${runS.toFixed(1)} s ` +
        `(${((runS * 1e6) / n).toFixed(0)} µs/member); RSS before ${mb(baseline.rss)} (heap ${mb(baseline.heapUsed)}), ${rss.join(', ')}`,
    );
  } finally {
    await campaignStore.close();
    await jobStore.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const suite: BenchSuite = {
  title: `Campaign bookkeeping (create, claim, job through its states, reconcile), SQLite in ${DIR}, concurrency ${CONCURRENCY}, no card crypto`,
  async run(print) {
    for (const n of SIZES) await run(n, print);
  },
};
