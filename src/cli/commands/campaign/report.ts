// `ltku campaign report`: the per-subscriber report (final state, key version, attempts, reason) as CSV or
// JSON, with a summary (members by state, failures by reason); read a page at a time, so any size fits.
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
import { CSV_HEADER, csvRow, summarise, type CampaignJson, type MemberJson } from './support/render.js';

const PAGE = 5_000;

export const command: Command = {
  summary: 'write a campaign report per subscriber (CSV or JSON) with a summary',
  usage: [
    `ltku campaign report ${CAMPAIGN_USAGE} [--format csv|json] [--output FILE]`,
    '  CSV (default): iccid,imsi,state,key_version,attempts,reason,detail; the summary goes to stderr',
    '  JSON (--format json or --json): {campaign, summary, members}',
  ].join('\n'),
  options: { ...CAMPAIGN_OPTIONS, format: { type: 'string' }, output: { type: 'string' } },
  async run(ctx) {
    const id = campaignIdOf(ctx.values);
    const target = adminTargetOf(ctx.values);
    const format =
      optionalChoice(ctx.values, 'format', ['csv', 'json'] as const) ?? (ctx.values.json ? 'json' : 'csv');
    const output = optionalString(ctx.values, 'output');
    if (output === '') throw new UsageError('--output: a file name');
    const out = output === undefined ? ctx.stdout : createWriteStream(output, { mode: 0o600 });
    const campaign = (await adminRequest(target, 'GET', `${CAMPAIGN_PATH}/${id}`)) as CampaignJson;
    const members: MemberJson[] = [];
    const counted = {
      total: 0,
      byState: {} as Record<string, number>,
      byReason: {} as Record<string, number>,
    };
    if (format === 'csv') out.write(`${CSV_HEADER}\n`);
    let after = -1;
    for (;;) {
      const page = (await adminRequest(
        target,
        'GET',
        `${CAMPAIGN_PATH}/${id}/report?after=${after}&limit=${PAGE}`,
      )) as { members: MemberJson[]; next?: number };
      const s = summarise(page.members);
      counted.total += s.total;
      for (const [k, v] of Object.entries(s.byState)) counted.byState[k] = (counted.byState[k] ?? 0) + v;
      for (const [k, v] of Object.entries(s.byReason)) counted.byReason[k] = (counted.byReason[k] ?? 0) + v;
      if (format === 'csv') for (const m of page.members) out.write(`${csvRow(m)}\n`);
      else members.push(...page.members);
      if (page.next === undefined) break;
      after = page.next;
    }
    const summary = { campaign: campaign.id, state: campaign.state, ...counted };
    if (format === 'json') out.write(JSON.stringify({ campaign, summary, members }, null, 2) + '\n');
    else
      ctx.stderr.write(
        `${summary.total} subscribers, campaign ${campaign.state}: ${Object.entries(counted.byState)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}${
          Object.keys(counted.byReason).length === 0
            ? ''
            : `; reasons: ${Object.entries(counted.byReason)
                .map(([k, v]) => `${k} ${v}`)
                .join(', ')}`
        }\n`,
      );
    if (out !== ctx.stdout) await new Promise<void>((resolve) => (out as NodeJS.WritableStream).end(resolve));
    return 0;
  },
};
