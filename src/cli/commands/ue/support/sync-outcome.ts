// What `ltku ue sync` tells its user: which job ran, its outcome and the key version before and after, or that
// nothing was pending (issue 14, "the first hour").
import type { RamSessionReport } from '../../../../ue/ram-agent.js';

/** Job states after which the card holds the job's keys (DESIGN.md 6: applied on the card, then committed). */
const CARD_HAS_NEW_KEYS = new Set(['applied', 'completed']);

export interface SyncOutcome {
  readonly job?: string;
  /** The job's state after the session, or 'nothing to do' when no job was pending for the card. */
  readonly outcome: string;
  readonly keyVersionBefore?: number;
  readonly keyVersionAfter?: number;
}

export function syncOutcome(report: RamSessionReport): SyncOutcome {
  const job = report.job;
  if (job === undefined) return { outcome: 'nothing to do' };
  const before = job.keyVersion - 1;
  return {
    job: job.id,
    outcome: job.state,
    keyVersionBefore: before,
    keyVersionAfter: CARD_HAS_NEW_KEYS.has(job.state) ? job.keyVersion : before,
  };
}

/** Rows for the human table. */
export function syncOutcomeRows(o: SyncOutcome): [string, string][] {
  if (o.job === undefined) return [['outcome', 'nothing to do (no key update was pending for this card)']];
  const changed = o.keyVersionAfter !== o.keyVersionBefore;
  return [
    ['job', o.job],
    ['outcome', o.outcome],
    [
      'key version',
      changed ? `${o.keyVersionBefore} -> ${o.keyVersionAfter}` : `${o.keyVersionBefore} (unchanged)`,
    ],
  ];
}
