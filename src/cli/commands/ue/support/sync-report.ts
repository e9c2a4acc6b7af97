// `ltku ue sync --report FILE` (issue 14): the page of one sync as the UE saw it — its APDUs, its POSTs, the
// re-attaches — with the job and key versions the server's closing answer named. The UE never sees the job's
// whole history (the server keeps it: ltku server jobs), nor the HSS calls (the server makes them).
import { writeReport, type RunRecorder } from '../../../report/index.js';
import type { SyncOutcome } from './sync-outcome.js';

export function writeSyncReport(
  path: string,
  recorder: RunRecorder,
  o: {
    server: string;
    eid?: string;
    outcome?: SyncOutcome;
    reattached: readonly { iccid: string; state: string }[];
    error?: string;
  },
): void {
  const job = o.outcome?.job;
  const ok = o.error === undefined && o.reattached.every((r) => r.state === 'attached');
  writeReport(path, {
    title: 'ltku ue sync: remote administration of the card',
    command: `ltku ue sync --server ${o.server}`,
    startedAt: recorder.startedAt.toISOString(),
    totalMs: Math.round(performance.now() - recorder.startedPerf),
    ok,
    ...(o.error === undefined ? {} : { error: o.error }),
    facts: [
      ...(o.eid === undefined ? [] : ([['EID', o.eid]] as const)),
      ...(o.outcome === undefined ? [] : ([['outcome', o.outcome.outcome]] as const)),
      ...(job === undefined ? [] : ([['job', job]] as const)),
      ...o.reattached.map((r) => [`re-attach ${r.iccid}`, r.state] as const),
      [
        'HSS',
        "the server stages and commits the keys at the HSS out of the UE's sight (ltku demo --report shows it)",
      ],
    ],
    steps: [],
    jobHistory:
      job === undefined || o.outcome === undefined
        ? []
        : [
            {
              state: o.outcome.outcome,
              at: new Date().toISOString(),
              detail: 'named by the server as the session ended',
            },
          ],
    jobHistoryNote:
      job === undefined
        ? 'no key-update job ran in this session'
        : 'the UE sees the state the session ended in; the server keeps the whole history (ltku server jobs)',
    keyVersions:
      job === undefined || o.outcome === undefined
        ? []
        : [
            {
              iccid: "the job's profile",
              before: o.outcome.keyVersionBefore,
              after: o.outcome.keyVersionAfter,
            },
          ],
    keyVersionsNote:
      'as the server named them at the end of the session (the profile keys themselves never leave the card)',
    events: recorder.events,
  });
}
