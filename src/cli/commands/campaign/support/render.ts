// Issue 11: a campaign as the operator reads it on a terminal (progress bar, counts by state, rate, ETA) and
// the per-subscriber report as CSV.
const BAR_WIDTH = 30;

export interface CampaignJson {
  id: string;
  name: string;
  state: string;
  total: number;
  done: number;
  rate: number;
  etaSeconds?: number;
  counts: Record<'waiting' | 'feeding' | 'open' | 'rotated' | 'failed' | 'cancelled', number> & {
    /** Issue 11 F2 (absent from an older server). */
    stalled?: number;
  };
  options: { rate: number; concurrency: number; maxAttempts: number; delivery: string; window?: string };
  duplicates?: number;
}

export interface MemberJson {
  seq: number;
  iccid: string;
  imsi: string;
  state: string;
  keyVersion?: number;
  attempts: number;
  reason?: string;
  detail?: string;
  jobId?: string;
}

function duration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  return `${h > 0 ? `${h}:` : ''}${String(m).padStart(h > 0 ? 2 : 1, '0')}:${String(s).padStart(2, '0')}`;
}

/** One line: bar, percentage, counts by state, rate, ETA. */
export function progressLine(c: CampaignJson): string {
  const fraction = c.total === 0 ? 1 : c.done / c.total;
  const filled = Math.round(fraction * BAR_WIDTH);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`;
  const k = c.counts;
  const eta = c.etaSeconds === undefined ? '' : `  ETA ${duration(c.etaSeconds)}`;
  // Issue 11 F2: members whose jobs failures before authentication hold up (outside the concurrency), when any.
  const stalled = (k.stalled ?? 0) === 0 ? '' : `stalled ${k.stalled}  `;
  return (
    `${bar} ${(fraction * 100).toFixed(1).padStart(5)}%  ${c.done}/${c.total}  ` +
    `rotated ${k.rotated}  failed ${k.failed}  cancelled ${k.cancelled}  |  open ${k.open + k.feeding}  ` +
    `${stalled}waiting ${k.waiting}  |  ${c.rate.toFixed(1)}/s${eta}  (${c.state})`
  );
}

export function describeCampaign(c: CampaignJson): string {
  const o = c.options;
  return (
    `campaign ${c.id} "${c.name}": ${c.state}, ${c.total} subscribers; rate ${o.rate}/s, concurrency ${o.concurrency}, ` +
    `max attempts ${o.maxAttempts}, delivery ${o.delivery}${o.window === undefined ? '' : `, window ${o.window} UTC`}`
  );
}

export const CSV_HEADER = 'iccid,imsi,state,key_version,attempts,reason,detail';

/** RFC 4180: quoted when it holds a comma, a quote or a line break. */
function csvField(v: string | number | undefined): string {
  if (v === undefined) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvRow(m: MemberJson): string {
  return [m.iccid, m.imsi, m.state, m.keyVersion, m.attempts, m.reason, m.detail].map(csvField).join(',');
}
