// The "HOST:PORT" options of every command (--listen, --admin-listen, --tcp, --vpcd): one parser, IPv6 as
// [addr]:port, errors that name the option (exit code 2).
import { UsageError } from './errors.js';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface HostPortRules {
  /** The port when the text has none; without it the port is required. */
  readonly defaultPort?: number;
  /** A peer to connect to: port 0 (listen on any free port) is refused. */
  readonly connect?: boolean;
}

const HOST_PORT = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::([0-9]{1,5}))?$/;
const MAX_PORT = 65535;

/** `--option HOST:PORT`; port 0 (any free port) is allowed unless `rules.connect`. */
export function parseHostPort(text: string, option: string, rules: HostPortRules = {}): HostPort {
  const m = HOST_PORT.exec(text);
  const port = m?.[3] !== undefined ? Number(m[3]) : rules.defaultPort;
  const lowest = rules.connect ? 1 : 0;
  if (m === null || port === undefined || port < lowest || port > MAX_PORT)
    throw new UsageError(`--${option}: expected HOST:PORT, got ${JSON.stringify(text)}`);
  return { host: m[1] ?? m[2], port };
}
