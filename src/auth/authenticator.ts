// DESIGN.md 7: who is calling. An Authenticator turns an Authorization header (RFC 6750 "Bearer <token>") into
// a Principal, or undefined; PrincipalTable does it from principal records (SHA-256 of each secret).
import { sha256 } from '../crypto/index.js';
import type { PrincipalRecord } from './principals-file.js';
import type { Principal } from './roles.js';
import { parseToken, secretMatches } from './token.js';

export const BEARER_SCHEME = 'Bearer';

export interface Authenticator {
  authenticate(authorizationHeader: string | undefined): Principal | undefined;
}

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive, RFC 7235 2.1). */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^([A-Za-z]+) +([^\s]+) *$/.exec(header);
  if (m === null || m[1].toLowerCase() !== BEARER_SCHEME.toLowerCase()) return undefined;
  return m[2];
}

/** Compared against when the name is unknown, so both paths hash and compare. */
const NO_SUCH_HASH = sha256(new Uint8Array(1));

export class PrincipalTable implements Authenticator {
  #byName = new Map<string, PrincipalRecord>();

  constructor(records: readonly PrincipalRecord[] = []) {
    this.replace(records);
  }

  /** Takes effect for the next request (a revocation is a replace without the record). */
  replace(records: readonly PrincipalRecord[]): void {
    this.#byName = new Map(records.map((r) => [r.name, r]));
  }

  get principals(): Principal[] {
    return [...this.#byName.values()].map((r) => ({ name: r.name, role: r.role }));
  }

  authenticate(authorizationHeader: string | undefined): Principal | undefined {
    const token = bearerToken(authorizationHeader);
    if (token === undefined) return undefined;
    const parsed = parseToken(token);
    if (parsed === undefined) return undefined;
    const record = this.#byName.get(parsed.name);
    const ok = secretMatches(parsed.secret, record?.secretHash ?? NO_SUCH_HASH);
    parsed.secret.fill(0);
    return ok && record !== undefined ? { name: record.name, role: record.role } : undefined;
  }
}
