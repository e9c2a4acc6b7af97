// `ltku demo --report FILE` (issue 14): what the demo adds to the recorded messages — the steps, the job's
// state history and the key versions of each profile on the card before and after — and the page written at
// the end, whether the demo succeeded or not.
import type { VirtualCard } from '../../../../card/index.js';
import type { JobView } from '../../../../server/index.js';
import { RunRecorder, writeReport, type KeyVersionRow } from '../../../report/index.js';
import type { StepRecord } from './narrator.js';

interface ProfileVersion {
  readonly iccid: string;
  readonly imsi: string;
  readonly keyVersion: number;
}

const versionsOf = (card: VirtualCard): ProfileVersion[] =>
  card.image.profiles.map((p) => ({ iccid: p.iccid, imsi: p.imsi, keyVersion: p.keyVersion }));

export class DemoReport {
  readonly recorder = new RunRecorder();
  #before: ProfileVersion[] = [];
  #after: ProfileVersion[] = [];
  #job: JobView | undefined;

  constructor(readonly path: string) {}

  /** The card's profiles and key versions (never keys) as the run starts. */
  cardBefore(card: VirtualCard): void {
    this.#before = versionsOf(card);
  }

  cardAfter(card: VirtualCard): void {
    this.#after = versionsOf(card);
  }

  /** The job as the operator sees it once the key update ended. */
  job(view: JobView): void {
    this.#job = view;
  }

  write(o: {
    command: string;
    totalMs: number;
    steps: readonly StepRecord[];
    failure?: string;
    facts: readonly (readonly [string, string])[];
  }): void {
    const keyVersions: KeyVersionRow[] = this.#before.map((b) => ({
      iccid: b.iccid,
      imsi: b.imsi,
      before: b.keyVersion,
      after: this.#after.find((a) => a.iccid === b.iccid)?.keyVersion,
    }));
    const job = this.#job;
    writeReport(this.path, {
      title: 'ltku demo: long-term key update',
      command: o.command,
      startedAt: this.recorder.startedAt.toISOString(),
      totalMs: o.totalMs,
      ok: o.failure === undefined,
      ...(o.failure === undefined ? {} : { error: o.failure }),
      facts: [
        ...o.facts,
        ...(job
          ? ([
              [
                'job',
                `${job.id}: profile ${job.iccid} (IMSI ${job.imsi}), key version ${job.keyVersion}, ${job.state}`,
              ],
            ] as const)
          : []),
      ],
      steps: o.steps.map((s) => ({
        step: s.step,
        title: s.title,
        ok: s.ok,
        ms: s.ms,
        ...(s.error === undefined ? {} : { error: s.error }),
      })),
      jobHistory: job
        ? job.history.map((h) => ({ state: h.state, at: h.at, ...(h.detail ? { detail: h.detail } : {}) }))
        : [],
      ...(job ? {} : { jobHistoryNote: 'the run ended before the job could be read' }),
      keyVersions,
      keyVersionsNote: 'key versions of each profile as the card holds them, read from the card image',
      events: this.recorder.events,
    });
  }
}

/** The suite the server chose (DESIGN.md 4.3), from the key-update step's details. */
export function suiteFact(keyUpdate: Record<string, unknown>): [string, string][] {
  const suite = (
    keyUpdate.keyUpdate as { suite?: { kvn: number; curve: string; aesKeyLength: number } } | undefined
  )?.suite;
  if (suite === undefined) return [];
  return [
    ['suite', `SCP11a key set KVN ${suite.kvn}, ${suite.curve}, AES-${8 * suite.aesKeyLength} session keys`],
  ];
}
