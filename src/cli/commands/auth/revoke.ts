// `ltku auth revoke NAME`: removes a principal; running services re-read principals.json within a second, so
// its token stops working without a restart (DESIGN.md 7).
import type { Command } from '../../command.js';
import { CREDENTIALS_OPTIONS, CREDENTIALS_USAGE, credentialsDirOf, revokeFrom } from '../../credentials.js';
import { UsageError } from '../../errors.js';
import { printJson } from '../../output.js';

export const command: Command = {
  summary: 'revoke a principal (its token stops working at running services within a second)',
  usage: `ltku auth revoke NAME ${CREDENTIALS_USAGE}`,
  options: CREDENTIALS_OPTIONS,
  allowPositionals: true,
  async run(ctx) {
    if (ctx.positionals.length !== 1) throw new UsageError('expected one principal NAME');
    const name = ctx.positionals[0];
    const dir = credentialsDirOf(ctx.values);
    if (!revokeFrom(dir, name)) throw new UsageError(`no principal ${JSON.stringify(name)} in ${dir}`);
    if (ctx.values.json) printJson(ctx.stdout, { credentials: dir, revoked: name });
    else ctx.stdout.write(`revoked ${name}\n`);
    return 0;
  },
};
