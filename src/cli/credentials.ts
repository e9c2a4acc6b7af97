// DESIGN.md 7 on disk: a credentials directory holds principals.json (0600: names, roles, SHA-256 of each token
// secret, never a token) and one <name>.token file (0600) per principal issued here. Services authenticate from
// principals.json and re-read it when it changes (a revocation needs no restart); clients read a token file.
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import {
  decodePrincipalsFile,
  DEFAULT_PRINCIPALS,
  encodePrincipalsFile,
  issueCredentials,
  PrincipalTable,
  tokenName,
  type Authenticator,
  type Principal,
  type PrincipalRecord,
  type Role,
} from '../auth/index.js';
import { cryptoRandom, type RandomSource } from '../crypto/index.js';
import type { Logger } from '../ports/index.js';
import type { OptionValues } from './command.js';
import { UsageError } from './errors.js';
import { optionalString } from './options.js';

export const DEFAULT_DATA_DIR = '.ltku';
export const CREDENTIALS_DIR = 'credentials';
export const PRINCIPALS_FILE = 'principals.json';
export const TOKEN_FILE_SUFFIX = '.token';
/** A service stats principals.json at most this often. */
export const RELOAD_CHECK_MS = 1_000;
const PRIVATE_FILE_MODE = 0o600;
const PRIVATE_DIR_MODE = 0o700;

/** The options of `ltku auth ...`. */
export const CREDENTIALS_OPTIONS = {
  credentials: { type: 'string' },
  'data-dir': { type: 'string' },
  json: { type: 'boolean' },
} as const;
export const CREDENTIALS_USAGE = '[--credentials DIR | --data-dir DIR] [--json]';

/** What `ltku hss|core|server serve` add: the service's principals, and the client token file. */
export const SERVICE_OPTIONS = {
  credentials: { type: 'string' },
  'token-file': { type: 'string' },
} as const;

/** --credentials DIR, else <--data-dir or .ltku>/credentials. */
export function credentialsDirOf(values: OptionValues): string {
  const explicit = optionalString(values, 'credentials');
  if (explicit !== undefined) return resolve(explicit);
  return resolve(optionalString(values, 'data-dir') ?? DEFAULT_DATA_DIR, CREDENTIALS_DIR);
}

export function principalsPath(dir: string): string {
  return join(dir, PRINCIPALS_FILE);
}

export function tokenPath(dir: string, name: string): string {
  return join(dir, `${name}${TOKEN_FILE_SUFFIX}`);
}

/** --token-file FILE, else <credentials dir>/<role>.token (the default principal of each role is named after it). */
export function tokenFileOf(values: OptionValues, role: Role): string {
  const explicit = optionalString(values, 'token-file');
  return explicit !== undefined ? resolve(explicit) : tokenPath(credentialsDirOf(values), role);
}

/** Written next to the target and renamed over it, created 0600: a reader never sees half a file. */
export function writePrivateFile(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: PRIVATE_FILE_MODE });
  chmodSync(tmp, PRIVATE_FILE_MODE);
  renameSync(tmp, path);
}

export function readPrincipals(dir: string): PrincipalRecord[] {
  const path = principalsPath(dir);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'ENOENT'
        ? `no credentials in ${dir} (create them with: ltku auth init --credentials ${dir})`
        : `cannot read ${path}: ${code ?? 'error'}`,
    );
  }
  return decodePrincipalsFile(text, path);
}

export function writePrincipals(dir: string, records: readonly PrincipalRecord[]): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  writePrivateFile(principalsPath(dir), encodePrincipalsFile(records));
}

/** Issues tokens for `principals`, adds them to the directory, writes each token file; returns their paths. */
export function issueInto(
  dir: string,
  principals: readonly Principal[],
  rng: RandomSource,
  options: { replace?: boolean; tokenFile?: string } = {},
): string[] {
  const existing = existsSync(principalsPath(dir)) ? readPrincipals(dir) : [];
  for (const p of principals) {
    if (!options.replace && existing.some((r) => r.name === p.name))
      throw new UsageError(`principal ${p.name} exists (revoke it first, or --replace to issue a new token)`);
  }
  const issued = issueCredentials(principals, rng, new Date().toISOString());
  const names = new Set(principals.map((p) => p.name));
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const paths = principals.map((p) => {
    const path = options.tokenFile ?? tokenPath(dir, p.name);
    writePrivateFile(path, `${issued.tokens.get(p.name)}\n`);
    return path;
  });
  // Token files first, then the hashes: a replaced token stops working only once its successor is on disk.
  writePrincipals(dir, [...existing.filter((r) => !names.has(r.name)), ...issued.records]);
  return paths;
}

/** Removes the principal (and its token file here, if any); true if it existed. */
export function revokeFrom(dir: string, name: string): boolean {
  const existing = readPrincipals(dir);
  const kept = existing.filter((r) => r.name !== name);
  if (kept.length === existing.length) return false;
  writePrincipals(dir, kept);
  rmSync(tokenPath(dir, name), { force: true });
  return true;
}

/** `ltku auth init`: the default principals operator, provisioner and core. */
export function initCredentials(dir: string, rng: RandomSource): string[] {
  if (existsSync(principalsPath(dir)))
    throw new UsageError(`${principalsPath(dir)} exists (ltku auth list; auth issue/revoke to change it)`);
  return issueInto(dir, DEFAULT_PRINCIPALS, rng);
}

/** A service's first run: creates the default credentials when the directory has none, and says so. */
export function ensureCredentials(dir: string, rng: RandomSource, stderr: NodeJS.WritableStream): void {
  if (existsSync(principalsPath(dir))) return;
  const paths = initCredentials(dir, rng);
  stderr.write(
    `no credentials in ${dir}: created principals ${DEFAULT_PRINCIPALS.map((p) => p.name).join(', ')} ` +
      `(tokens in ${paths.join(', ')}; mode 0600)\n`,
  );
}

/** A client's bearer token from its file; refuses a file others can read (like ssh does with keys). */
export function readTokenFile(path: string): string {
  let text: string;
  try {
    if (process.platform !== 'win32' && (statSync(path).mode & 0o077) !== 0)
      throw new UsageError(`token file ${path} is readable by others; chmod 600 ${path}`);
    text = readFileSync(path, 'utf8').trim();
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'ENOENT'
        ? `no token file ${path} (ltku auth init creates one per role; or give --token-file)`
        : `cannot read token file ${path}: ${code ?? 'error'}`,
    );
  }
  if (tokenName(text) === undefined) throw new UsageError(`token file ${path} does not hold an ltku token`);
  return text;
}

export interface ReloadEvent {
  readonly path: string;
  readonly principals?: number;
  /** Why the file could not be used; every request is refused until it can. */
  readonly error?: string;
}

/** DESIGN.md 7: the service's authenticator over principals.json, re-read when the file changes. */
export class PrincipalsFileAuthenticator implements Authenticator {
  readonly #path: string;
  readonly #table = new PrincipalTable();
  readonly #onReload: (e: ReloadEvent) => void;
  readonly #checkMs: number;
  #signature = '';
  #checkedAt = -Infinity;
  #usable = false;
  #error = '';

  constructor(dir: string, onReload: (e: ReloadEvent) => void = () => {}, checkMs = RELOAD_CHECK_MS) {
    this.#path = principalsPath(dir);
    this.#onReload = onReload;
    this.#checkMs = checkMs;
    this.#refresh(true);
    if (!this.#usable) throw new UsageError(`cannot use ${this.#path}: ${this.#error}`);
  }

  authenticate(authorizationHeader: string | undefined) {
    if (Date.now() - this.#checkedAt >= this.#checkMs) this.#refresh(false);
    return this.#usable ? this.#table.authenticate(authorizationHeader) : undefined;
  }

  #refresh(first: boolean): void {
    this.#checkedAt = Date.now();
    let signature: string;
    try {
      const s = statSync(this.#path);
      signature = `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch (e) {
      signature = `missing:${(e as NodeJS.ErrnoException).code ?? ''}`;
    }
    if (!first && signature === this.#signature) return;
    this.#signature = signature;
    try {
      const records = decodePrincipalsFile(readFileSync(this.#path, 'utf8'), this.#path);
      this.#table.replace(records);
      this.#usable = true;
      this.#onReload({ path: this.#path, principals: records.length });
    } catch (e) {
      // Fail closed: a missing or broken file authenticates nobody (a revocation must never be undone).
      this.#table.replace([]);
      this.#usable = false;
      this.#error = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      this.#onReload({ path: this.#path, error: this.#error });
    }
  }
}

/**
 * A serve command's authenticator: principals.json of --credentials (default <data-dir>/credentials), created
 * with the default principals on the first run; reloads are logged (never a hash or token).
 */
export function openServiceAuthenticator(
  values: OptionValues,
  stderr: NodeJS.WritableStream,
  logger: Logger,
): PrincipalsFileAuthenticator {
  const dir = credentialsDirOf(values);
  ensureCredentials(dir, cryptoRandom, stderr);
  return new PrincipalsFileAuthenticator(dir, (e) =>
    e.error === undefined
      ? logger.info(
          { event: 'principals-loaded', file: e.path, principals: e.principals },
          'principals loaded',
        )
      : logger.error(
          { event: 'principals-unusable', file: e.path, error: e.error },
          'principals file unusable: every request is refused until it is fixed',
        ),
  );
}
