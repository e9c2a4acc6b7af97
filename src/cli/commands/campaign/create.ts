// `ltku campaign create`: a campaign from a selection (a file of ICCIDs or IMSIs, an IMSI range, a manufacturing
// batch) with its rate, concurrency, window, attempts and delivery; the server checks every line against its
// inventory and refuses the whole file, naming each bad line, before anything is created.
import { readFileSync } from 'node:fs';
import type { Command } from '../../command.js';
import { UsageError } from '../../errors.js';
import { exactlyOne, optionalChoice, optionalInt, optionalString, requireString } from '../../options.js';
import { printJson } from '../../output.js';
import { ADMIN_OPTIONS, ADMIN_USAGE } from '../server/support/admin-options.js';
import { CAMPAIGN_PATH, adminRequest, adminTargetOf } from './support/campaign-options.js';
import { describeCampaign, type CampaignJson } from './support/render.js';

/** The server takes this many lines in one request (server/campaign/routes.ts MAX_SELECTION_LINES). */
const MAX_FILE_LINES = 40_000;
const RANGE = /^([0-9]{15})(?:-|\.\.)([0-9]{15})$/;
const WINDOW = /^[0-9]{2}:[0-9]{2}-[0-9]{2}:[0-9]{2}$/;

function selectionOf(values: Parameters<typeof exactlyOne>[0]): object {
  const which = exactlyOne(values, ['file', 'imsi-range', 'batch']);
  if (which === 'file') {
    const path = requireString(values, 'file');
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new UsageError(`--file: cannot read ${path}: ${(e as Error).message}`);
    }
    const lines = text.split(/\r?\n/);
    if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    if (lines.length > MAX_FILE_LINES)
      throw new UsageError(
        `--file: ${lines.length} lines; one campaign takes at most ${MAX_FILE_LINES} lines of a file (use --imsi-range or --batch for larger selections)`,
      );
    return { lines };
  }
  if (which === 'imsi-range') {
    const m = RANGE.exec(requireString(values, 'imsi-range'));
    if (m === null) throw new UsageError('--imsi-range: expected FIRST-LAST, two IMSIs of 15 digits');
    return { imsiRange: { first: m[1], last: m[2] } };
  }
  return { batch: requireString(values, 'batch') };
}

function rateOf(values: Parameters<typeof optionalString>[0]): number | undefined {
  const v = optionalString(values, 'rate');
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^[0-9]+(\.[0-9]+)?$/.test(v) || !(n > 0))
    throw new UsageError(
      `--rate: expected a positive number of updates per second, got ${JSON.stringify(v)}`,
    );
  return n;
}

export const command: Command = {
  summary: 'create a key-rotation campaign from a file of ICCIDs/IMSIs, an IMSI range or a batch',
  usage: [
    'ltku campaign create (--file FILE | --imsi-range FIRST-LAST | --batch ID) [--name TEXT] [--rate N]',
    '                     [--concurrency N] [--window HH:MM-HH:MM] [--max-attempts N] [--delivery push|poll]',
    `                     [--start] ${ADMIN_USAGE} [--json]`,
    '  --file: one ICCID (19-20 digits) or IMSI (15 digits) per line (first CSV field; # comments, blank lines)',
    '  --rate: new key updates per second, across all server instances (default 10)',
    '  --concurrency: open jobs of the campaign at most (default 100); --window: daily, UTC, feeding only inside',
    '  --max-attempts: failed attempts before a subscriber ends "unreachable" (default 10)',
    '  --delivery: push the job to the UE through the core (default), or poll: wait for the UE to ask',
    '  --start: start at once (otherwise `ltku campaign start`)',
  ].join('\n'),
  options: {
    ...ADMIN_OPTIONS,
    file: { type: 'string' },
    'imsi-range': { type: 'string' },
    batch: { type: 'string' },
    name: { type: 'string' },
    rate: { type: 'string' },
    concurrency: { type: 'string' },
    window: { type: 'string' },
    'max-attempts': { type: 'string' },
    delivery: { type: 'string' },
    start: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  async run(ctx) {
    const selection = selectionOf(ctx.values);
    const window = optionalString(ctx.values, 'window');
    if (window !== undefined && !WINDOW.test(window))
      throw new UsageError('--window: expected HH:MM-HH:MM (UTC), e.g. 01:00-05:00');
    const rate = rateOf(ctx.values);
    const concurrency = optionalInt(ctx.values, 'concurrency', undefined, [1, 100_000]);
    const maxAttempts = optionalInt(ctx.values, 'max-attempts', undefined, [1, 1000]);
    const delivery = optionalChoice(ctx.values, 'delivery', ['push', 'poll'] as const);
    const name = optionalString(ctx.values, 'name');
    const target = adminTargetOf(ctx.values);
    const c = (await adminRequest(target, 'POST', CAMPAIGN_PATH, {
      ...(name === undefined ? {} : { name }),
      selection,
      options: {
        ...(rate === undefined ? {} : { rate }),
        ...(concurrency === undefined ? {} : { concurrency }),
        ...(maxAttempts === undefined ? {} : { maxAttempts }),
        ...(delivery === undefined ? {} : { delivery }),
        ...(window === undefined ? {} : { window }),
      },
      ...(ctx.values.start ? { start: true } : {}),
    })) as CampaignJson;
    if (ctx.values.json) printJson(ctx.stdout, c);
    else {
      ctx.stdout.write(`${describeCampaign(c)}\n`);
      if ((c.duplicates ?? 0) > 0)
        ctx.stdout.write(`${c.duplicates} lines named a subscriber already selected (kept once)\n`);
      if (c.state === 'created')
        ctx.stdout.write(`start it: ltku campaign start --id ${c.id} --server ...\n`);
    }
    return 0;
  },
};
