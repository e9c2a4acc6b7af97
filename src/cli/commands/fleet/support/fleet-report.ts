// What `ltku fleet run` prints: rates, latency percentiles, memory, faults, and the end-of-run check.
import { summarise, type FleetRunResult, type FleetVerification } from '../../../../fleet/index.js';

export interface FleetReportInput {
  readonly run: FleetRunResult;
  readonly verification?: FleetVerification;
  readonly peakRssBytes: number;
  /** CPU seconds this process (the fleet) used. */
  readonly cpuSeconds: number;
  readonly ordered?: { jobs: number; refused: number };
  /** Push mode: the cards whose UE got the push. */
  readonly pushed?: number;
}

const round = (x: number, digits = 1) => (Number.isFinite(x) ? Number(x.toFixed(digits)) : null);

export function fleetReport(i: FleetReportInput) {
  const cards = i.run.cards;
  const rotated = cards.filter((c) => c.outcome === 'rotated');
  const profiles = rotated.reduce((n, c) => n + c.profiles.length, 0);
  const latency = summarise(rotated.map((c) => c.updateMs));
  const attach = summarise(rotated.flatMap((c) => (c.attachMs === undefined ? [] : [c.attachMs])));
  const faults: Record<string, number> = {};
  for (const c of cards) for (const f of c.faults) faults[f] = (faults[f] ?? 0) + 1;
  return {
    cards: cards.length,
    rotated: rotated.length,
    failed: cards
      .filter((c) => c.outcome === 'failed')
      .map((c) => ({ card: c.card, eid: c.eid, reason: c.reason })),
    ...(i.ordered ? { ordered: i.ordered } : {}),
    ...(i.pushed === undefined ? {} : { pushed: i.pushed }),
    updatesPerSecond: round((profiles * 1000) / Math.max(i.run.updatesMs, 1e-9)),
    updatesSeconds: round(i.run.updatesMs / 1000, 2),
    updateLatencyMs: {
      p50: round(latency.p50),
      p95: round(latency.p95),
      p99: round(latency.p99),
      max: round(latency.max),
    },
    ...(attach.count > 0
      ? {
          attachesPerSecond: round((profiles * 1000) / Math.max(i.run.attachesMs, 1e-9)),
          attachLatencyMs: { p50: round(attach.p50), p95: round(attach.p95), p99: round(attach.p99) },
        }
      : {}),
    sessions: cards.reduce((n, c) => n + c.sessions, 0),
    resumes: cards.reduce((n, c) => n + c.resumes, 0),
    powerLosses: cards.reduce((n, c) => n + c.powerLosses, 0),
    faults,
    peakRssMiB: round(i.peakRssBytes / 2 ** 20),
    fleetCpuSeconds: round(i.cpuSeconds, 2),
    ...(i.verification
      ? {
          verified: {
            profiles: i.verification.profiles,
            keysCompared: i.verification.keysCompared,
            ok: i.verification.problems.length === 0,
            problems: i.verification.problems.slice(0, 50),
          },
        }
      : {}),
  };
}

export type FleetReport = ReturnType<typeof fleetReport>;

export function fleetReportText(r: FleetReport): string {
  const lines = [
    `cards ${r.cards}: ${r.rotated} rotated, ${r.failed.length} failed` +
      (r.ordered ? ` (jobs ordered ${r.ordered.jobs}, refused ${r.ordered.refused})` : '') +
      (r.pushed === undefined ? '' : `; ${r.pushed} UEs started on a push`),
    `key updates: ${r.updatesPerSecond}/s over ${r.updatesSeconds} s; latency p50 ${r.updateLatencyMs.p50} ms, ` +
      `p95 ${r.updateLatencyMs.p95} ms, p99 ${r.updateLatencyMs.p99} ms`,
    ...(r.attachLatencyMs
      ? [
          `attaches: ${r.attachesPerSecond}/s; latency p50 ${r.attachLatencyMs.p50} ms, p95 ${r.attachLatencyMs.p95} ms, p99 ${r.attachLatencyMs.p99} ms`,
        ]
      : []),
    `sessions ${r.sessions}, resumed connections ${r.resumes}, card power losses ${r.powerLosses}; faults ${JSON.stringify(r.faults)}`,
    `fleet process: peak RSS ${r.peakRssMiB} MiB, CPU ${r.fleetCpuSeconds} s`,
    ...r.failed.slice(0, 20).map((f) => `failed card ${f.card} (EID ${f.eid}): ${f.reason}`),
    ...(r.verified
      ? [
          r.verified.ok
            ? `verified ${r.verified.profiles} profiles: each rotated exactly once, ` +
              (r.verified.keysCompared
                ? 'card keys = HSS keys (compared in the HSS)'
                : 'HSS versions = card versions (keys not compared: give --hss-db)') +
              (r.attachLatencyMs ? ', each attach with the new keys ok' : ', no attach (give --core)')
            : `VERIFICATION FAILED for ${r.verified.problems.length}+ profiles:`,
          ...r.verified.problems.map((p) => `  card ${p.card} ${p.iccid ?? ''}: ${p.problem}`),
        ]
      : []),
  ];
  return lines.join('\n') + '\n';
}
