// Renders a run report as one self-contained HTML page (issue 14): inline CSS and SVG, no script to run, no
// network (a Content-Security-Policy forbids every fetch). Pure: RunReport in, string out. Every text is escaped.
import { LANES, LANE_TITLES, type Lane, type MessageEvent, type RunEvent, type RunReport } from './events.js';

const LEFT = 84;
const LANE_WIDTH = 200;
const HEAD_HEIGHT = 44;
const ROW_HEIGHT = 34;
const PHASE_HEIGHT = 30;
const MARGIN = 16;
/** Room right of the last lane for the labels of arrows that end there. */
const RIGHT_ROOM = 300;
/** Longest detail line drawn under an arrow (the whole detail is in the arrow's tooltip). */
const DETAIL_MAX = 64;

const clip = (text: string) => (text.length > DETAIL_MAX ? `${text.slice(0, DETAIL_MAX - 1)}\u2026` : text);
/** The element id of the embedded JSON (the report's data, for tools and tests). */
export const REPORT_DATA_ID = 'ltku-run';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** JSON inside <script type="application/json">: no "<" (no "</script>"), no line separators. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

const laneX = (lane: Lane) => LEFT + LANE_WIDTH * (LANES.indexOf(lane) + 0.5);
const fmtMs = (ms: number) => `${ms.toFixed(1)} ms`;

function laneHeads(y: number): string {
  return LANES.map((lane) => {
    const x = laneX(lane);
    return (
      `<g class="lane" data-lane="${lane}"><rect x="${x - 80}" y="${y}" width="160" height="28" rx="5"/>` +
      `<text x="${x}" y="${y + 18}" text-anchor="middle">${escapeHtml(LANE_TITLES[lane])}</text></g>`
    );
  }).join('');
}

function arrow(m: MessageEvent, index: number, y: number): string {
  const x1 = laneX(m.from);
  const x2 = laneX(m.to);
  const right = x2 > x1;
  const tip = right ? x2 - 2 : x2 + 2;
  const answer = m.kind === 'apdu-response' || m.kind === 'http-response';
  const classes = ['msg', m.kind, m.ok === false ? 'failed' : ''].filter(Boolean).join(' ');
  const textX = Math.min(x1, x2) + 8;
  const timing = m.ms !== undefined ? ` (${fmtMs(m.ms)})` : '';
  const tooltip = `${m.label}\n${m.detail}${timing}\nat +${fmtMs(m.atMs)}`;
  return (
    `<g class="${classes}" data-index="${index}" data-from="${m.from}" data-to="${m.to}">` +
    `<title>${escapeHtml(tooltip)}</title>` +
    `<text class="t" x="${LEFT - 8}" y="${y + 4}" text-anchor="end">+${escapeHtml(m.atMs.toFixed(1))}</text>` +
    `<line x1="${x1}" y1="${y}" x2="${tip}" y2="${y}"${answer ? ' stroke-dasharray="5 3"' : ''} marker-end="url(#head)"/>` +
    `<text class="l" x="${textX}" y="${y - 5}">${escapeHtml(m.label)}</text>` +
    `<text class="d" x="${textX}" y="${y + 12}">${escapeHtml(clip(m.detail) + timing)}</text></g>`
  );
}

function phaseBand(title: string, y: number, width: number): string {
  return (
    `<g class="phase"><rect x="${MARGIN / 2}" y="${y}" width="${width - MARGIN}" height="${PHASE_HEIGHT - 6}" rx="4"/>` +
    `<text x="${MARGIN}" y="${y + 16}">${escapeHtml(title)}</text></g>`
  );
}

/** The sequence diagram: lanes, lifelines, one <g class="msg"> per recorded message. */
export function renderDiagram(events: readonly RunEvent[]): string {
  const width = LEFT + LANE_WIDTH * LANES.length + RIGHT_ROOM;
  let y = HEAD_HEIGHT + MARGIN;
  const body: string[] = [];
  let index = 0;
  for (const e of events) {
    if (e.type === 'phase') {
      body.push(phaseBand(e.title, y, width));
      y += PHASE_HEIGHT;
    } else {
      y += ROW_HEIGHT / 2;
      body.push(arrow(e, index++, y));
      y += ROW_HEIGHT / 2;
    }
  }
  const height = y + MARGIN + HEAD_HEIGHT;
  const lifelines = LANES.map(
    (lane) =>
      `<line class="life" x1="${laneX(lane)}" y1="${MARGIN + 28}" x2="${laneX(lane)}" y2="${height - HEAD_HEIGHT}"/>`,
  ).join('');
  return (
    `<svg id="diagram" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" role="img" aria-label="sequence diagram of the run">` +
    `<defs><marker id="head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" ` +
    `orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>` +
    lifelines +
    laneHeads(MARGIN) +
    body.join('') +
    laneHeads(height - HEAD_HEIGHT + 4) +
    `</svg>`
  );
}

function table(headers: readonly string[], rows: readonly (readonly string[])[], cls: string): string {
  const head =
    headers.length === 0
      ? ''
      : `<thead><tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>`;
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('');
  return `<table class="${cls}">${head}<tbody>${body}</tbody></table>`;
}

const note = (text: string | undefined) =>
  text === undefined ? '' : `<p class="note">${escapeHtml(text)}</p>`;
const version = (v: number | undefined) => (v === undefined ? 'unknown' : String(v));

const CSS = `
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:24px;color:#1b1f24;background:#fff}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}
.status{display:inline-block;padding:2px 8px;border-radius:10px;font-weight:600}
.status.ok{background:#d8f5dd;color:#11632a}.status.failed{background:#fde0e0;color:#9b1c1c}
table{border-collapse:collapse;margin:4px 0}th,td{border:1px solid #d5d9de;padding:3px 10px;text-align:left;vertical-align:top}
th{background:#f3f5f7}.note{color:#5a6470;font-style:italic}
.diagram{overflow-x:auto;border:1px solid #d5d9de;border-radius:6px;padding:4px}
svg{font:12px "DejaVu Sans Mono",Menlo,Consolas,monospace}
.lane rect{fill:#eef3fb;stroke:#4a6fa5}.lane text{font:600 13px system-ui,sans-serif;fill:#1f3b63}
.life{stroke:#aab4c0;stroke-dasharray:2 4}
.msg line{stroke:#2b5797;stroke-width:1.4}.msg marker path,#head path{fill:#2b5797}
.msg.http-request line,.msg.http-response line{stroke:#7a3e9d}
.msg.failed line{stroke:#c62828}.msg.failed .l{fill:#c62828}
.msg text{paint-order:stroke;stroke:#fff;stroke-width:3px}
.msg .l{fill:#111}.msg .d{fill:#5a6470;font-size:10.5px}.msg .t{fill:#8a94a0;font-size:10px}
.phase rect{fill:#fff7e0;stroke:#e0b64a}.phase text{font:600 12px system-ui,sans-serif;fill:#6b4e00}
`;

/** The whole page. */
export function renderReport(report: RunReport): string {
  const messages = report.events.filter((e): e is MessageEvent => e.type === 'message');
  const apdus = messages.filter((m) => m.kind === 'apdu-command').length;
  const http = messages.filter((m) => m.kind === 'http-request').length;
  const facts: (readonly [string, string])[] = [
    ['command', report.command],
    ['started', report.startedAt],
    ['total', fmtMs(report.totalMs)],
    ...report.facts,
    ['messages', `${messages.length} arrows: ${apdus} APDUs and ${http} HTTP requests, each with its answer`],
  ];
  const data = {
    title: report.title,
    ok: report.ok,
    lanes: LANES,
    messageCount: messages.length,
    keyVersions: report.keyVersions,
    jobHistory: report.jobHistory,
    steps: report.steps,
    events: report.events,
  };
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(report.title)}</title>`,
    `<style>${CSS}</style></head><body>`,
    `<h1>${escapeHtml(report.title)} <span class="status ${report.ok ? 'ok' : 'failed'}">${report.ok ? 'ok' : 'failed'}</span></h1>`,
    report.error === undefined ? '' : `<p class="status failed">${escapeHtml(report.error)}</p>`,
    table([], facts, 'facts'),
    '<h2>Key versions</h2>',
    report.keyVersions.length > 0
      ? table(
          ['ICCID', 'IMSI', 'before', 'after'],
          report.keyVersions.map((k) => [k.iccid, k.imsi ?? '', version(k.before), version(k.after)]),
          'key-versions',
        )
      : '',
    note(report.keyVersionsNote),
    '<h2>Job state history</h2>',
    report.jobHistory.length > 0
      ? table(
          ['state', 'at', 'detail'],
          report.jobHistory.map((h) => [h.state, h.at, h.detail ?? '']),
          'job-history',
        )
      : '',
    note(report.jobHistoryNote),
    report.steps.length > 0 ? '<h2>Steps</h2>' : '',
    report.steps.length > 0
      ? table(
          ['step', 'what', 'result', 'time'],
          report.steps.map((s) => [s.step, s.title, s.ok ? 'ok' : `FAILED: ${s.error ?? ''}`, fmtMs(s.ms)]),
          'steps',
        )
      : '',
    '<h2>Sequence of the run</h2>',
    '<p class="note">Times are offsets from the start of the recording. APDUs are traced between the UE and the ',
    'card as they travel: commands under secure messaging are opaque, so only their header and lengths are shown; ',
    'no data field, body or key is recorded. Hover an arrow for its details.</p>',
    `<div class="diagram">${renderDiagram(report.events)}</div>`,
    `<script type="application/json" id="${REPORT_DATA_ID}">${jsonForScript(data)}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}
