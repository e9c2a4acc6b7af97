// `ltku auth issue`: a new principal (or a new token for one, --replace) with a role (DESIGN.md 7). The token
// goes to a 0600 file whose path is printed; the token itself is never printed.
import { AuthError, checkPrincipalName, ROLES } from '../../../auth/index.js';
import { cryptoRandom } from '../../../crypto/index.js';
import type { Command } from '../../command.js';
import { CREDENTIALS_OPTIONS, CREDENTIALS_USAGE, credentialsDirOf, issueInto } from '../../credentials.js';
import { optionalString, requireChoice, requireString } from '../../options.js';
import { printJson } from '../../output.js';
import { UsageError } from '../../errors.js';

export const command: Command = {
  summary: 'issue a token for a principal with a role (operator, provisioner, core)',
  usage: [
    `ltku auth issue --name NAME --role ${ROLES.join('|')} [--out FILE] [--replace] ${CREDENTIALS_USAGE}`,
    '  the token is written to FILE (default <credentials>/<NAME>.token, mode 0600), never printed;',
    '  --replace gives an existing principal a new token (the old one stops working)',
  ].join('\n'),
  options: {
    ...CREDENTIALS_OPTIONS,
    name: { type: 'string' },
    role: { type: 'string' },
    out: { type: 'string' },
    replace: { type: 'boolean' },
  },
  async run(ctx) {
    const name = requireString(ctx.values, 'name');
    try {
      checkPrincipalName(name);
    } catch (e) {
      if (e instanceof AuthError) throw new UsageError(`--name: ${e.message}`);
      throw e;
    }
    const role = requireChoice(ctx.values, 'role', ROLES);
    const dir = credentialsDirOf(ctx.values);
    const out = optionalString(ctx.values, 'out');
    const [tokenFile] = issueInto(dir, [{ name, role }], cryptoRandom, {
      replace: ctx.values.replace === true,
      ...(out === undefined ? {} : { tokenFile: out }),
    });
    if (ctx.values.json) printJson(ctx.stdout, { credentials: dir, name, role, tokenFile });
    else ctx.stdout.write(`issued ${name} (${role}); token in ${tokenFile} (mode 0600)\n`);
    return 0;
  },
};
