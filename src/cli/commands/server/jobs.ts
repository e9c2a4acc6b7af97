// `ltku server jobs`: lists the key-update jobs of a running server with their states.
import type { Command } from '../../command.js';
import { printJson } from '../../output.js';
import { adminRequest } from './support/admin-client.js';
import { ADMIN_OPTIONS, ADMIN_USAGE, adminTargetOf } from './support/admin-options.js';

interface JobJson {
  id: string;
  iccid: string;
  keyVersion: number;
  state: string;
  updatedAt: string;
  error?: string;
}

export const command: Command = {
  summary: 'list the key-update jobs of a server',
  usage: `ltku server jobs ${ADMIN_USAGE} [--json]`,
  options: { ...ADMIN_OPTIONS, json: { type: 'boolean' } },
  async run(ctx) {
    const target = adminTargetOf(ctx.values);
    const { jobs } = (await adminRequest(target, 'GET', '/admin/v1/jobs')) as { jobs: JobJson[] };
    if (ctx.values.json) {
      printJson(ctx.stdout, { jobs });
      return 0;
    }
    if (jobs.length === 0) ctx.stdout.write('no jobs\n');
    for (const j of jobs) {
      ctx.stdout.write(
        `${j.id}  ${j.iccid}  v${j.keyVersion}  ${j.state.padEnd(9)}  ${j.updatedAt}${j.error ? `  ${j.error}` : ''}\n`,
      );
    }
    return 0;
  },
};
