// Options every admin client command shares: the server's admin URL and the operator's token file.
import { ROLE_OPERATOR } from '../../../../auth/index.js';
import type { OptionValues } from '../../../command.js';
import { readTokenFile, tokenFileOf } from '../../../credentials.js';
import { requireHttpUrl } from '../../../options.js';
import type { AdminTarget } from './admin-client.js';

export const ADMIN_OPTIONS = {
  server: { type: 'string' },
  'token-file': { type: 'string' },
  'data-dir': { type: 'string' },
  credentials: { type: 'string' },
} as const;

export const ADMIN_USAGE =
  '--server ADMIN-URL [--token-file FILE] (default <data-dir>/credentials/operator.token, --data-dir .ltku)';

export function adminTargetOf(values: OptionValues): AdminTarget {
  const server = requireHttpUrl(values, 'server');
  return { server, token: readTokenFile(tokenFileOf(values, ROLE_OPERATOR)) };
}
