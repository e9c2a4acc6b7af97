// Options every `ltku campaign` verb shares: the server's admin API (operator token) and the campaign id.
import type { OptionValues } from '../../../command.js';
import { UsageError } from '../../../errors.js';
import { requireString } from '../../../options.js';
import { ADMIN_OPTIONS, ADMIN_USAGE } from '../../server/support/admin-options.js';

export { adminTargetOf } from '../../server/support/admin-options.js';
export { adminRequest } from '../../server/support/admin-client.js';

export const CAMPAIGN_PATH = '/admin/v1/campaigns';
export const CAMPAIGN_OPTIONS = {
  ...ADMIN_OPTIONS,
  id: { type: 'string' },
  json: { type: 'boolean' },
} as const;
export const CAMPAIGN_USAGE = `--id CAMPAIGN ${ADMIN_USAGE} [--json]`;

const CAMPAIGN_ID = /^[0-9a-f]{16}$/;

export function campaignIdOf(values: OptionValues): string {
  const id = requireString(values, 'id');
  if (!CAMPAIGN_ID.test(id))
    throw new UsageError(`--id: expected the campaign's 16 hex digits, got ${JSON.stringify(id)}`);
  return id;
}
