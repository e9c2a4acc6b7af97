// DESIGN.md 7: issuing a set of credentials at once: the default principals (one per role) of `ltku auth init`,
// and the in-memory wiring of the demo and tests.
import type { RandomSource } from '../crypto/index.js';
import type { PrincipalRecord } from './principals-file.js';
import { ROLE_CORE, ROLE_OPERATOR, ROLE_PROVISIONER, type Principal } from './roles.js';
import { issueToken } from './token.js';

/** `ltku auth init`: the operator, the Provisioning Server (provisioner) and the core network (core). */
export const DEFAULT_PRINCIPALS: readonly Principal[] = [
  { name: ROLE_OPERATOR, role: ROLE_OPERATOR },
  { name: ROLE_PROVISIONER, role: ROLE_PROVISIONER },
  { name: ROLE_CORE, role: ROLE_CORE },
];

export interface IssuedCredentials {
  /** What the service keeps (hashes only). */
  readonly records: PrincipalRecord[];
  /** Name -> token: what each caller keeps. */
  readonly tokens: Map<string, string>;
}

export function issueCredentials(
  principals: readonly Principal[],
  rng: RandomSource,
  createdAt: string,
): IssuedCredentials {
  const records: PrincipalRecord[] = [];
  const tokens = new Map<string, string>();
  for (const p of principals) {
    const { token, secretHash } = issueToken(p.name, rng);
    records.push({ name: p.name, role: p.role, secretHash, createdAt });
    tokens.set(p.name, token);
  }
  return { records, tokens };
}
