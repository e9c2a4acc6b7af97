// `ltku campaign report`: the per-subscriber report (final state, key version, attempts, reason) as CSV or
// JSON, with a summary (members by state, failures by reason). Read a page at a time and written as it comes
// (issue 11: 1M members in flat memory): the JSON is one document whose summary follows the members.
import { createWriteStream } from 'node:fs';
import type { Command } from '../../command.js';
import { UsageError } from '../../errors.js';
import { optionalChoice, optionalString } from '../../options.js';
import {
  CAMPAIGN_OPTIONS,
  CAMPAIGN_PATH,
  CAMPAIGN_USAGE,
  adminRequest,
  adminTargetOf,
  campaignIdOf,
} from './support/campaign-options.js';
import { CSV_HEADER, csvRow, type CampaignJson, type MemberJson } from './support/render.js';
import { ReportSummary, writeOut } from './support/report-writer.js';

const PAGE = 5_000;

export const command: Command = {
  summary: 'write a campaign report per subscriber (CSV or JSON) with a summary',
  usage: [
    `ltku campaign report ${CAMPAIGN_USAGE} [--format csv|json] [--output FILE]`,
    '  CSV (default): iccid,imsi,state,key_version,attempts,reason,detail; the summary goes to stderr',
    '  JSON (--format json or --json): {campaign, members, summary}, written as the pages come (summary last)',
  ].join('\n'),
  options: { ...CAMPAIGN_OPTIONS, format: { type: 'string' }, output: { type: 'string' } },
  async run(ctx) {
    const id = campaignIdOf(ctx.values);
    const target = adminTargetOf(ctx.values);
    const format =
      optionalChoice(ctx.values, 'format', ['csv', 'json'] as const) ?? (ctx.values.json ? 'json' : 'csv');
    const output = optionalString(ctx.values, 'output');
    if (output === '') throw new UsageError('--output: a file name');
    const campaign = (await adminRequest(target, 'GET', `${CAMPAIGN_PATH}/${id}`)) as CampaignJson;
    const out = output === undefined ? ctx.stdout : createWriteStream(output, { mode: 0o600 });
    const summary = new ReportSummary();
    await writeOut(
      out,
      format === 'csv' ? `${CSV_HEADER}\n` : `{\n  "campaign": ${JSON.stringify(campaign)},\n  "members": [`,
    );
    let first = true;
    let after = -1;
    for (;;) {
      const page = (await adminRequest(
        target,
        'GET',
        `${CAMPAIGN_PATH}/${id}/report?after=${after}&limit=${PAGE}`,
      )) as { members: MemberJson[]; next?: number };
      summary.add(page.members);
      const rows =
        format === 'csv'
          ? page.members.map((m) => `${csvRow(m)}\n`)
          : page.members.map((m, i) => `${first && i === 0 ? '' : ','}\n    ${JSON.stringify(m)}`);
      if (rows.length > 0) await writeOut(out, rows.join(''));
      first &&= rows.length === 0;
      if (page.next === undefined) break;
      after = page.next;
    }
    const total = summary.of(campaign);
    if (format === 'json') await writeOut(out, `\n  ],\n  "summary": ${JSON.stringify(total)}\n}\n`);
    else ctx.stderr.write(`${summary.line(campaign)}\n`);
    if (out !== ctx.stdout) await new Promise<void>((resolve) => (out as NodeJS.WritableStream).end(resolve));
    return 0;
  },
};
