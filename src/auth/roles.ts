// DESIGN.md 7: the roles a caller of an admin or service API may hold, and who holds one.

export const ROLE_OPERATOR = 'operator';
export const ROLE_PROVISIONER = 'provisioner';
export const ROLE_CORE = 'core';

/** operator: subscribers, jobs, campaigns; provisioner: the server at the HSS and core push; core: vectors. */
export const ROLES = [ROLE_OPERATOR, ROLE_PROVISIONER, ROLE_CORE] as const;
export type Role = (typeof ROLES)[number];

/** An authenticated caller: its name is the audit trail's actor. */
export interface Principal {
  readonly name: string;
  readonly role: Role;
}

/** Letters, digits, '_' and '-' (no '.', the token separator), 1..32. */
export const PRINCIPAL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
