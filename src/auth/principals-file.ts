// The principals file (DESIGN.md 7): JSON listing each principal's name, role and the SHA-256 of its token
// secret; never a token. Pure codec: the CLI reads and writes the file (mode 0600).
import { BytesError, fromHex, toHex } from '../bytes/index.js';
import { AuthError } from './errors.js';
import { isRole, PRINCIPAL_NAME_PATTERN, ROLES, type Principal } from './roles.js';

export const PRINCIPALS_FORMAT = 'ltku-principals/1';
const SHA256_BYTES = 32;

export interface PrincipalRecord extends Principal {
  /** SHA-256 of the token secret. */
  readonly secretHash: Uint8Array;
  readonly createdAt: string;
}

interface PrincipalJson {
  name: string;
  role: string;
  sha256: string;
  createdAt: string;
}

export function encodePrincipalsFile(records: readonly PrincipalRecord[]): string {
  const principals: PrincipalJson[] = records.map((r) => ({
    name: r.name,
    role: r.role,
    sha256: toHex(r.secretHash),
    createdAt: r.createdAt,
  }));
  return JSON.stringify({ format: PRINCIPALS_FORMAT, principals }, null, 2) + '\n';
}

/** Parses and checks a principals file; `source` names it in errors. */
export function decodePrincipalsFile(text: string, source = 'principals file'): PrincipalRecord[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new AuthError(`${source}: not JSON`);
  }
  const d = (doc ?? {}) as { format?: unknown; principals?: unknown };
  if (d.format !== PRINCIPALS_FORMAT) throw new AuthError(`${source}: format is not ${PRINCIPALS_FORMAT}`);
  if (!Array.isArray(d.principals)) throw new AuthError(`${source}: principals must be a list`);
  const seen = new Set<string>();
  return d.principals.map((p: unknown, i: number) => {
    const r = (p ?? {}) as Partial<PrincipalJson>;
    const where = `${source}: principals[${i}]`;
    if (typeof r.name !== 'string' || !PRINCIPAL_NAME_PATTERN.test(r.name))
      throw new AuthError(`${where}.name: expected 1..32 of A-Z a-z 0-9 _ -`);
    if (seen.has(r.name)) throw new AuthError(`${where}.name: ${r.name} appears twice`);
    seen.add(r.name);
    if (!isRole(r.role)) throw new AuthError(`${where}.role: expected one of ${ROLES.join(', ')}`);
    let secretHash: Uint8Array;
    try {
      secretHash = fromHex(String(r.sha256), 'sha256', SHA256_BYTES);
    } catch (e) {
      if (e instanceof BytesError) throw new AuthError(`${where}.sha256: expected 64 hex digits`);
      throw e;
    }
    return { name: r.name, role: r.role, secretHash, createdAt: String(r.createdAt ?? '') };
  });
}
