// `ltku fleet run`: the load generator (issue 11, DESIGN.md 8). Orders one key-update job per profile of the
// fleet at the server's admin API, runs every card's UE agent against the RAM endpoint (`--concurrency` at once,
// with the faults asked for), attaches each profile through the core afterwards, prints updates/s, latency
// percentiles and memory, and checks at the end that every profile was rotated exactly once and that the HSS
// holds the card's keys.
import { setTimeout as sleep } from 'node:timers/promises';
import { ROLE_OPERATOR } from '../../../auth/index.js';
import { cryptoRandom } from '../../../crypto/index.js';
import {
  checkFaultSettings,
  FAULT_KINDS,
  FleetConfigError,
  runFleet,
  verifyFleet,
  type FaultKind,
  type FaultSettings,
} from '../../../fleet/index.js';
import { StaticSecretCache } from '../../../gp/index.js';
import { VerifiedCertificateCache } from '../../../pki/index.js';
import type { Command } from '../../command.js';
import { readTokenFile, tokenFileOf } from '../../credentials.js';
import { UsageError } from '../../errors.js';
import { optionalHttpUrl, optionalInt, optionalString, parseHttpUrl, requireString } from '../../options.js';
import { printJson } from '../../output.js';
import { KEK_ENV } from '../hss/lib/store-options.js';
import type { AdminTarget } from '../server/support/admin-client.js';
import { allJobs, jobState, orderJobs, type Ordered } from './support/fleet-admin.js';
import { FleetDb } from './support/fleet-db.js';
import { fleetReport, fleetReportText } from './support/fleet-report.js';
import { hssCheckInDatabase, hssCheckOverApi, type HssCheck } from './support/hss-check.js';

const RAM_PATH = '/ram/v1';
const DEFAULT_CONCURRENCY = 32;
const DEFAULT_TIMEOUT_S = 120;
const DEFAULT_POLL_MS = 250;
const DEFAULT_PUSH_WAIT_MS = 10_000;
const MEMORY_SAMPLE_MS = 250;

/** --fault-rate: a probability 0..1 (or a percentage with %). */
function parseRate(text: string | undefined): number {
  if (text === undefined) return 0;
  const m = /^([0-9]*\.?[0-9]+)(%?)$/.exec(text.trim());
  if (m === null) throw new UsageError(`--fault-rate: ${JSON.stringify(text)} is not a number (0.05 or 5%)`);
  const rate = Number(m[1]) / (m[2] === '%' ? 100 : 1);
  if (rate > 1) throw new UsageError(`--fault-rate: ${text} is above 1 (100%)`);
  return rate;
}

function parseKinds(text: string | undefined): FaultKind[] {
  if (text === undefined || text === 'all') return [...FAULT_KINDS];
  if (text === 'none') return [];
  return text.split(',').map((k) => {
    const kind = k.trim();
    if (!(FAULT_KINDS as readonly string[]).includes(kind))
      throw new UsageError(
        `--faults: ${JSON.stringify(kind)} is not one of ${FAULT_KINDS.join(', ')}, all, none`,
      );
    return kind as FaultKind;
  });
}

export const command: Command = {
  summary: 'run a fleet of virtual cards and UE agents against the server (load generator, fault injection)',
  usage: [
    'ltku fleet run --fleet FLEET.sqlite --server RAM-URL [--admin ADMIN-URL] [--core URL] [--hss URL | --hss-db DB]',
    '               [--concurrency N] [--fault-rate R] [--faults KIND,...] [--drop-after-post K] [--seed S]',
    '               [--no-order] [--push [--push-wait-ms MS]] [--timeout SECONDS] [--poll-ms MS]',
    '               [--token-file F | --data-dir DIR] [--json]',
    '  --server: a RAM listener (/ram/v1 is added) or a full RAM URL; repeat it for several server instances',
    '    (card i starts at the i-th mod n); --admin: an admin listener, where one',
    '    job per profile is ordered first (unless --no-order) and every job is checked at the end',
    '  --core: each profile attaches after its update; --hss URL checks versions, --hss-db DB (with --hss-data-dir',
    '    or --kek-file, or LTKU_HSS_KEK) also compares the keys inside the HSS',
    `  --fault-rate R (0..1 or N%) per card and kind; --faults ${FAULT_KINDS.join(',')} (default all)`,
    '  --drop-after-post K: the POST (0..3) after which the connection drops (default: drawn per card)',
    '  --push: every UE attaches first and opens its event stream; the jobs are ordered then, and each UE starts',
    "    its session when the core delivers the server's push (it polls after --push-wait-ms without one)",
    '  exit code 1 when a card was not rotated or the check at the end found a problem',
  ].join('\n'),
  options: {
    fleet: { type: 'string' },
    server: { type: 'string', multiple: true },
    admin: { type: 'string' },
    core: { type: 'string' },
    hss: { type: 'string' },
    'hss-db': { type: 'string' },
    'hss-data-dir': { type: 'string' },
    'kek-file': { type: 'string' },
    concurrency: { type: 'string' },
    'fault-rate': { type: 'string' },
    faults: { type: 'string' },
    'drop-after-post': { type: 'string' },
    seed: { type: 'string' },
    'no-order': { type: 'boolean' },
    push: { type: 'boolean' },
    'push-wait-ms': { type: 'string' },
    timeout: { type: 'string' },
    'poll-ms': { type: 'string' },
    'token-file': { type: 'string' },
    'data-dir': { type: 'string' },
    credentials: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(ctx) {
    const v = ctx.values;
    const fleetFile = requireString(v, 'fleet');
    const servers = (v.server ?? []) as string[];
    if (servers.length === 0) throw new UsageError('missing option --server');
    const ramUrls = servers.map((s) => {
      const url = new URL(parseHttpUrl(s, 'server'));
      return (url.pathname === '/' || url.pathname === '' ? new URL(RAM_PATH, url) : url).toString();
    });
    const adminUrl = optionalHttpUrl(v, 'admin');
    const coreUrl = optionalHttpUrl(v, 'core');
    const hssUrl = optionalHttpUrl(v, 'hss');
    const hssDb = optionalString(v, 'hss-db');
    if (hssUrl !== undefined && hssDb !== undefined) throw new UsageError('--hss and --hss-db: give one');
    const concurrency = optionalInt(v, 'concurrency', undefined, [1, 100_000]) ?? DEFAULT_CONCURRENCY;
    const timeoutS = optionalInt(v, 'timeout', undefined, [1, 86_400]) ?? DEFAULT_TIMEOUT_S;
    const pollMs = optionalInt(v, 'poll-ms', undefined, [1, 60_000]) ?? DEFAULT_POLL_MS;
    const order = v['no-order'] !== true;
    const push = v.push === true;
    if (push && coreUrl === undefined)
      throw new UsageError('--push needs --core (the core delivers the pushes)');
    const pushWaitMs = optionalInt(v, 'push-wait-ms', undefined, [1, 600_000]) ?? DEFAULT_PUSH_WAIT_MS;
    if (order && adminUrl === undefined)
      throw new UsageError('--admin is needed to order the jobs (or --no-order when they exist already)');
    let faults: FaultSettings;
    try {
      faults = checkFaultSettings({
        kinds: parseKinds(optionalString(v, 'faults')),
        rate: parseRate(optionalString(v, 'fault-rate')),
        ...(optionalInt(v, 'drop-after-post') === undefined
          ? {}
          : { dropAfterPost: optionalInt(v, 'drop-after-post') }),
        seed: optionalString(v, 'seed') ?? String(Date.now()),
      });
    } catch (e) {
      if (e instanceof FleetConfigError) throw new UsageError(e.message);
      throw e;
    }
    const needsToken = adminUrl !== undefined || hssUrl !== undefined;
    const token = needsToken ? readTokenFile(tokenFileOf(v, ROLE_OPERATOR)) : '';
    const admin: AdminTarget | undefined = adminUrl === undefined ? undefined : { server: adminUrl, token };

    const fleet = FleetDb.open(fleetFile);
    let hssCheck: HssCheck | undefined;
    let peakRss = process.memoryUsage().rss;
    const cpuStart = process.cpuUsage();
    const sampler = setInterval(
      () => (peakRss = Math.max(peakRss, process.memoryUsage().rss)),
      MEMORY_SAMPLE_MS,
    );
    try {
      let ordered: Ordered | undefined;
      const orderAll = async () => {
        if (!order || admin === undefined) return;
        ordered = await orderJobs(admin, fleet.iccids());
        if (!v.json)
          ctx.stderr.write(`ordered ${ordered.jobs.size} jobs (${ordered.refused.length} refused)\n`);
      };
      const run = await runFleet({
        source: fleet,
        ramUrls,
        ...(coreUrl === undefined ? {} : { coreUrl }),
        fetch,
        clock: { now: () => new Date() },
        rng: cryptoRandom,
        now: () => performance.now(),
        sleep: (ms) => sleep(ms),
        concurrency,
        faults,
        pollIntervalMs: pollMs,
        timeoutMs: timeoutS * 1000,
        order: orderAll,
        ...(push ? { push: { pushWaitMs } } : {}),
        ...(admin && order
          ? {
              jobState: async (iccid: string) => {
                const id = ordered?.jobs.get(iccid);
                return id === undefined ? undefined : jobState(admin, id);
              },
            }
          : {}),
        staticSecrets: new StaticSecretCache(),
        verifiedCertificates: new VerifiedCertificateCache(),
      });
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      if (hssDb !== undefined) {
        const dataDir = optionalString(v, 'hss-data-dir');
        const kekFile = optionalString(v, 'kek-file');
        const kekHex = ctx.env[KEK_ENV];
        hssCheck = await hssCheckInDatabase({
          db: hssDb,
          ...(dataDir ? { dataDir } : {}),
          ...(kekFile ? { kekFile } : {}),
          ...(kekHex ? { kekHex } : {}),
        });
      } else if (hssUrl !== undefined) hssCheck = hssCheckOverApi(hssUrl, token);
      const check = hssCheck;
      const verification =
        admin === undefined || check === undefined
          ? undefined
          : await verifyFleet(fleet, run, {
              hssProfile: (imsi, card) => check.profile(imsi, card),
              serverJobs: () => allJobs(admin),
            });
      const report = fleetReport({
        run,
        peakRssBytes: peakRss,
        cpuSeconds: (() => {
          const u = process.cpuUsage(cpuStart);
          return (u.user + u.system) / 1e6;
        })(),
        ...(verification ? { verification } : {}),
        ...(ordered ? { ordered: { jobs: ordered.jobs.size, refused: ordered.refused.length } } : {}),
        ...(push ? { pushed: run.cards.filter((c) => c.pushed === true).length } : {}),
      });
      if (v.json === true) printJson(ctx.stdout, { seed: faults.seed, ...report });
      else {
        ctx.stdout.write(fleetReportText(report));
        if (verification === undefined)
          ctx.stdout.write('not verified: give --admin and --hss (or --hss-db) for the end-of-run check\n');
      }
      return report.failed.length === 0 && (verification?.problems.length ?? 0) === 0 ? 0 : 1;
    } finally {
      clearInterval(sampler);
      fleet.close();
      await hssCheck?.close();
    }
  },
};
