// The osmo-hlr endpoints the CLI takes (DESIGN.md 8): `--hlr gsup://HOST[:PORT]` (core) and
// `--hlr-ctrl HOST[:PORT]` (server); the default ports are osmo-hlr's (libosmocore ports.h).
import { OSMO_HLR_CTRL_PORT, OSMO_HLR_GSUP_PORT, type Endpoint } from '../osmo/index.js';
import { UsageError } from './errors.js';
import { parseHostPort } from './host-port.js';

const GSUP_SCHEME = 'gsup://';
/** What a user types when osmo-hlr is missing (Debian/Ubuntu; Osmocom's own repositories for newer releases). */
export const OSMO_HLR_INSTALL_HINT = 'osmo-hlr is not installed: apt-get install osmo-hlr';

/** `gsup://HOST[:PORT]` (default port 4222). */
export function parseGsupUrl(text: string, option: string): Endpoint {
  if (!text.startsWith(GSUP_SCHEME))
    throw new UsageError(`--${option}: expected gsup://HOST[:PORT], got ${JSON.stringify(text)}`);
  return parseHostPort(text.slice(GSUP_SCHEME.length), option, {
    defaultPort: OSMO_HLR_GSUP_PORT,
    connect: true,
  });
}

/** `HOST[:PORT]` of osmo-hlr's CTRL interface (default port 4259). */
export function parseCtrlEndpoint(text: string, option: string): Endpoint {
  return parseHostPort(text, option, { defaultPort: OSMO_HLR_CTRL_PORT, connect: true });
}
