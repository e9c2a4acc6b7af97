// `ltku server update`: asks a running server for a key update of one profile (a job).
import type { Command } from '../../command.js';
import { readFileSync } from 'node:fs';
import { UsageError } from '../../errors.js';
import { exactlyOne, optionalString, requireString } from '../../options.js';
import { printJson, printTable } from '../../output.js';
import { adminRequest } from './support/admin-client.js';
import { ADMIN_OPTIONS, ADMIN_USAGE, adminTargetOf } from './support/admin-options.js';

/** {k, opc} or {k, topc} as hex; the message never repeats a value. */
function readKeysFile(path: string): Record<string, string> {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`--keys-file: cannot read ${path} as JSON (${(e as Error).name})`);
  }
  const d = (doc ?? {}) as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const name of ['k', 'opc', 'topc']) {
    const v = d[name];
    if (v === undefined) continue;
    if (typeof v !== 'string') throw new UsageError(`--keys-file: ${name} must be a hex string`);
    out[name] = v;
  }
  if (out.k === undefined) throw new UsageError('--keys-file: k missing');
  return out;
}

export const command: Command = {
  summary: 'create a key-update job for one profile (by ICCID or IMSI)',
  usage: [
    'ltku server update (--iccid ID | --imsi ID) [--keys-file FILE] [--json]',
    `                   ${ADMIN_USAGE}`,
    "  new keys come from the server CSPRNG; --keys-file imports a vendor's keys instead (an audited operator",
    '  action, POST /admin/v1/jobs/import): JSON {"k": hex, "opc"|"topc": hex}',
  ].join('\n'),
  options: {
    ...ADMIN_OPTIONS,
    iccid: { type: 'string' },
    imsi: { type: 'string' },
    'keys-file': { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(ctx) {
    const target = adminTargetOf(ctx.values);
    const which = exactlyOne(ctx.values, ['iccid', 'imsi']);
    const keysFile = optionalString(ctx.values, 'keys-file');
    const job = (await adminRequest(
      target,
      'POST',
      keysFile === undefined ? '/admin/v1/jobs' : '/admin/v1/jobs/import',
      {
        [which]: requireString(ctx.values, which),
        ...(keysFile === undefined ? {} : readKeysFile(keysFile)),
      },
    )) as Record<string, unknown>;
    if (ctx.values.json) printJson(ctx.stdout, job);
    else
      printTable(ctx.stdout, [
        ['job', String(job.id)],
        ['iccid', String(job.iccid)],
        ['imsi', String(job.imsi)],
        ['eid', String(job.eid)],
        ['key version', String(job.keyVersion)],
        ['state', String(job.state)],
      ]);
    if (!ctx.values.json)
      ctx.stdout.write(
        `next: the card runs the job at its next \`ltku ue sync\` (an attached UE is told by push);\n` +
          `      follow it with \`ltku server jobs\` (state pending -> staged -> sent -> applied -> completed)\n`,
      );
    return 0;
  },
};
