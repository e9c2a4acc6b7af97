// `ltku auth list`: the principals of a credentials directory: name, role, when issued (never a hash or token).
import type { Command } from '../../command.js';
import {
  CREDENTIALS_OPTIONS,
  CREDENTIALS_USAGE,
  credentialsDirOf,
  readPrincipals,
} from '../../credentials.js';
import { printJson } from '../../output.js';

export const command: Command = {
  summary: 'list the principals of a credentials directory (name, role, issued)',
  usage: `ltku auth list ${CREDENTIALS_USAGE}`,
  options: CREDENTIALS_OPTIONS,
  async run(ctx) {
    const dir = credentialsDirOf(ctx.values);
    const principals = readPrincipals(dir).map((r) => ({
      name: r.name,
      role: r.role,
      createdAt: r.createdAt,
    }));
    if (ctx.values.json) {
      printJson(ctx.stdout, { credentials: dir, principals });
      return 0;
    }
    for (const p of principals)
      ctx.stdout.write(`${p.name.padEnd(16)} ${p.role.padEnd(12)} ${p.createdAt}\n`);
    ctx.stdout.write(`${principals.length} principals in ${dir}\n`);
    return 0;
  },
};
