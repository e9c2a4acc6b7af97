// SQL fragments both drivers use, with the driver's placeholder syntax passed in.
import { SUBSCRIBER_COLUMNS } from './columns.js';

/**
 * TS 33.102 C.1.2 / C.3.2 in SQL, equal to aka's `nextSqn` with IND round-robin: SEQ + 1, IND + 1 mod 2^ind_bits.
 * Fully parenthesised: SQLite and PostgreSQL give <<, >>, & and | one precedence level.
 */
export function nextSqnSql(base: string): string {
  const mask = '((CAST(1 AS BIGINT) << ind_bits) - 1)';
  return `(((((${base}) >> ind_bits) + 1) << ind_bits) | ((((${base}) & ${mask}) + 1) & ${mask}))`;
}

/** DESIGN.md 6 self-healing: the armed fallback key set if it still exists, else the active one. */
export const VECTOR_KEY_VERSION_SQL = `CASE WHEN fallback_version IS NOT NULL
  AND (fallback_version = candidate_version OR fallback_version = previous_version)
  THEN fallback_version ELSE active_version END`;

export function issueSqnSql(reset: string, rand: string, imsi: string): string {
  return `UPDATE hss_subscribers SET
  sqn = ${nextSqnSql(`COALESCE(${reset}, sqn)`)},
  last_rand = ${rand},
  last_key_version = ${VECTOR_KEY_VERSION_SQL}
WHERE imsi = ${imsi} AND active_keys IS NOT NULL
RETURNING *`;
}

export function insertSubscriberSql(placeholder: (i: number) => string): string {
  return `INSERT INTO hss_subscribers (${SUBSCRIBER_COLUMNS.join(', ')})
VALUES (${SUBSCRIBER_COLUMNS.map((_, i) => placeholder(i + 1)).join(', ')})`;
}

/** UPDATE of every column but imsi, keyed by imsi (the first placeholder); values as `recordValues` lists them. */
export function updateSubscriberSql(placeholder: (i: number) => string): string {
  const assignments = SUBSCRIBER_COLUMNS.map((c, i) => ({ c, i }))
    .filter(({ c }) => c !== 'imsi')
    .map(({ c, i }) => `${c} = ${placeholder(i + 1)}`);
  return `UPDATE hss_subscribers SET ${assignments.join(', ')} WHERE imsi = ${placeholder(1)}`;
}
