// `ltku campaign create`: a campaign from a selection (a file of ICCIDs or IMSIs, an IMSI range, a manufacturing
// batch) with its rate, concurrency, window, attempts and delivery. A file of any size (issue 11: 1M lines) goes
// to a draft campaign a chunk at a time, each chunk checked against the server's inventory; one bad line and
// the draft is deleted, naming the bad lines: nothing is started.
import { openSync, closeSync } from 'node:fs';
import type { Command } from '../../command.js';
import { UsageError } from '../../errors.js';
import { exactlyOne, optionalChoice, optionalInt, optionalString, requireString } from '../../options.js';
import { printJson } from '../../output.js';
import type { AdminTarget } from '../server/support/admin-client.js';
import { ADMIN_OPTIONS, ADMIN_USAGE } from '../server/support/admin-options.js';
import { CAMPAIGN_PATH, adminRequest, adminTargetOf } from './support/campaign-options.js';
import { describeCampaign, type CampaignJson } from './support/render.js';
import { deleteDraft, postIdempotent, uploadFile } from './support/selection-upload.js';

const RANGE = /^([0-9]{15})(?:-|\.\.)([0-9]{15})$/;
const WINDOW = /^[0-9]{2}:[0-9]{2}-[0-9]{2}:[0-9]{2}$/;

type Selection = { file: string } | { imsiRange: { first: string; last: string } } | { batch: string };

function selectionOf(values: Parameters<typeof exactlyOne>[0]): Selection {
  const which = exactlyOne(values, ['file', 'imsi-range', 'batch']);
  if (which === 'file') {
    const path = requireString(values, 'file');
    try {
      closeSync(openSync(path, 'r'));
    } catch (e) {
      throw new UsageError(`--file: cannot read ${path}: ${(e as Error).message}`);
    }
    return { file: path };
  }
  if (which === 'imsi-range') {
    const m = RANGE.exec(requireString(values, 'imsi-range'));
    if (m === null) throw new UsageError('--imsi-range: expected FIRST-LAST, two IMSIs of 15 digits');
    return { imsiRange: { first: m[1], last: m[2] } };
  }
  return { batch: requireString(values, 'batch') };
}

/**
 * Issue 11: draft, chunks, seal. Whatever fails (a bad line, the server, the file, SIGINT), the draft is deleted;
 * if even that fails, the error names the draft (never startable) to delete with `ltku campaign delete`.
 */
async function createFromFile(
  target: AdminTarget,
  path: string,
  fields: object,
  start: boolean,
  stopped: () => string | undefined,
): Promise<CampaignJson> {
  const draft = (await adminRequest(target, 'POST', CAMPAIGN_PATH, {
    ...fields,
    selection: { chunks: true },
  })) as CampaignJson;
  try {
    const { chunks } = await uploadFile(target, draft.id, path, stopped);
    if (chunks === 0) throw new UsageError(`--file: ${path} is empty`);
    return (await postIdempotent(target, `${CAMPAIGN_PATH}/${draft.id}/seal`, {
      chunks,
      ...(start ? { start: true } : {}),
    })) as CampaignJson;
  } catch (e) {
    const deleted = await deleteDraft(target, draft.id);
    const what = deleted
      ? 'nothing created'
      : `draft ${draft.id} left (it cannot be started): remove it with ltku campaign delete --id ${draft.id}`;
    if (e instanceof Error) e.message = `${e.message} (${what})`;
    throw e;
  }
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
    '  --file: one ICCID (19-20 digits) or IMSI (15 digits) per line (first CSV field; # comments, blank lines);',
    '          any size: sent in chunks to a draft, sealed when every line was found (else nothing is created)',
    '  --rate: new key updates per second, across all server instances (default 10)',
    '  --concurrency: open jobs of the campaign at most (default 100; stalled members not counted);',
    '  --window: daily, UTC, feeding only inside',
    '  --max-attempts: sessions in which the card authenticated without the update, before a subscriber ends',
    '                  "unreachable" (default 10; failures before authentication never count)',
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
    const fields = {
      ...(name === undefined ? {} : { name }),
      options: {
        ...(rate === undefined ? {} : { rate }),
        ...(concurrency === undefined ? {} : { concurrency }),
        ...(maxAttempts === undefined ? {} : { maxAttempts }),
        ...(delivery === undefined ? {} : { delivery }),
        ...(window === undefined ? {} : { window }),
      },
    };
    let stop: string | undefined;
    void ctx.stopSignal.then((signal) => (stop = signal));
    const c =
      'file' in selection
        ? await createFromFile(target, selection.file, fields, ctx.values.start === true, () => stop)
        : ((await adminRequest(target, 'POST', CAMPAIGN_PATH, {
            ...fields,
            selection,
            ...(ctx.values.start ? { start: true } : {}),
          })) as CampaignJson);
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
