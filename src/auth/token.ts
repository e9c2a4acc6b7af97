// Bearer tokens (RFC 6750) for the admin and service APIs (DESIGN.md 7): `ltku1.<name>.<64 hex secret>`. The
// service keeps only SHA-256 of the secret and compares in constant time; the secret lives in the caller's file.
import { fromHex, toHex } from '../bytes/index.js';
import { constantTimeEqual, sha256, type RandomSource } from '../crypto/index.js';
import { AuthError } from './errors.js';
import { PRINCIPAL_NAME_PATTERN } from './roles.js';

export const TOKEN_PREFIX = 'ltku1';
/** 256 bits from the CSPRNG. */
export const TOKEN_SECRET_BYTES = 32;
const TOKEN_PATTERN = /^ltku1\.([A-Za-z0-9][A-Za-z0-9_-]{0,31})\.([0-9a-f]{64})$/;

export interface IssuedToken {
  /** Handed to the caller once (written to its 0600 file); never stored by the service. */
  readonly token: string;
  /** SHA-256 of the secret: what the principals file keeps. */
  readonly secretHash: Uint8Array;
}

export function checkPrincipalName(name: string): string {
  if (!PRINCIPAL_NAME_PATTERN.test(name))
    throw new AuthError(
      `principal name ${JSON.stringify(name)}: expected 1..32 of A-Z a-z 0-9 _ - (letter or digit first)`,
    );
  return name;
}

export function issueToken(name: string, rng: RandomSource): IssuedToken {
  checkPrincipalName(name);
  const secret = rng.randomBytes(TOKEN_SECRET_BYTES);
  const token = `${TOKEN_PREFIX}.${name}.${toHex(secret)}`;
  const secretHash = sha256(secret);
  secret.fill(0);
  return { token, secretHash };
}

/** The name and secret of a well-formed token; undefined otherwise (no detail: it is attacker input). */
export function parseToken(token: string): { name: string; secret: Uint8Array } | undefined {
  const m = TOKEN_PATTERN.exec(token);
  if (m === null) return undefined;
  return { name: m[1], secret: fromHex(m[2]) };
}

/** Constant-time check of a secret against the stored SHA-256. */
export function secretMatches(secret: Uint8Array, secretHash: Uint8Array): boolean {
  return constantTimeEqual(sha256(secret), secretHash);
}

/** The name a token claims, for messages (never the secret); undefined when malformed. */
export function tokenName(token: string): string | undefined {
  return TOKEN_PATTERN.exec(token.trim())?.[1];
}
