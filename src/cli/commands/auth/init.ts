// `ltku auth init`: a credentials directory with one principal per role (DESIGN.md 7): operator, provisioner,
// core. Each token goes to its own 0600 file; only their SHA-256 hashes go into principals.json.
import { cryptoRandom } from '../../../crypto/index.js';
import { DEFAULT_PRINCIPALS } from '../../../auth/index.js';
import type { Command } from '../../command.js';
import {
  CREDENTIALS_OPTIONS,
  CREDENTIALS_USAGE,
  credentialsDirOf,
  initCredentials,
  principalsPath,
} from '../../credentials.js';
import { printJson } from '../../output.js';

export const command: Command = {
  summary: 'create credentials: principals operator, provisioner and core, one token file each',
  usage: [
    `ltku auth init ${CREDENTIALS_USAGE}`,
    '  default --credentials <data-dir>/credentials (--data-dir .ltku); tokens are written to <name>.token',
    '  (mode 0600) and never printed; principals.json keeps only their SHA-256',
  ].join('\n'),
  options: CREDENTIALS_OPTIONS,
  async run(ctx) {
    const dir = credentialsDirOf(ctx.values);
    const files = initCredentials(dir, cryptoRandom);
    const principals = DEFAULT_PRINCIPALS.map((p, i) => ({ ...p, tokenFile: files[i] }));
    if (ctx.values.json) printJson(ctx.stdout, { credentials: dir, principals });
    else {
      ctx.stdout.write(`credentials in ${dir} (${principalsPath(dir)})\n`);
      for (const p of principals)
        ctx.stdout.write(`  ${p.name.padEnd(12)} ${p.role.padEnd(12)} ${p.tokenFile}\n`);
    }
    return 0;
  },
};
