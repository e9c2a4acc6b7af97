// SQL fragments both drivers use, with the driver's placeholder syntax passed in.
import { VECTOR_SLOTS } from '../vectors.js';
import { SUBSCRIBER_COLUMNS } from './columns.js';

/**
 * TS 33.102 C.1.2 / C.3.2 in SQL, equal to aka's `nextSqn` with IND round-robin: SEQ + 1, IND + 1 mod 2^ind_bits.
 * Fully parenthesised: SQLite and PostgreSQL give <<, >>, & and | one precedence level.
 */
export function nextSqnSql(base: string): string {
  const mask = '((CAST(1 AS BIGINT) << ind_bits) - 1)';
  return `(((((${base}) >> ind_bits) + 1) << ind_bits) | ((((${base}) & ${mask}) + 1) & ${mask}))`;
}

/**
 * DESIGN.md 6 step 3, the one place that chooses the key set of the next vector: the candidate after a MAC
 * failure on an active vector (fallback_version armed and still the candidate's), else the active keys.
 */
export const VECTOR_KEY_VERSION_SQL = `CASE WHEN fallback_version IS NOT NULL AND fallback_version = candidate_version
  THEN candidate_version ELSE active_version END`;

/** The ring slot of the vector just issued (hss/vectors.ts): SEQ mod VECTOR_SLOTS. */
const VECTOR_SLOT_SQL = `((sqn >> ind_bits) % ${VECTOR_SLOTS})`;

/**
 * TS 33.102 Annex C: SQN_HE := next(reset ?? SQN_HE), returning the record, the key version that computes the
 * vector and the ring slot its entry goes to.
 */
export function issueSqnSql(reset: string, imsi: string): string {
  return `UPDATE hss_subscribers SET sqn = ${nextSqnSql(`COALESCE(${reset}, sqn)`)}
WHERE imsi = ${imsi} AND active_keys IS NOT NULL
RETURNING *, ${VECTOR_KEY_VERSION_SQL} AS vector_key_version, ${VECTOR_SLOT_SQL} AS vector_slot`;
}

/**
 * Records the vector just issued in its ring slot, replacing the oldest entry. `source` is a row set with imsi,
 * vector_slot and vector_key_version (PostgreSQL: the UPDATE's RETURNING in a WITH), or, with `values`, the
 * placeholders of those three (SQLite, which has no DML in WITH, passes what the UPDATE returned).
 */
export function recordVectorSql(
  from: { source: string } | { imsi: string; slot: string; keyVersion: string },
  rand: string,
  issuedAt: string,
): string {
  const upsert = `ON CONFLICT (imsi, slot) DO UPDATE SET
  rand = excluded.rand, key_version = excluded.key_version, issued_at = excluded.issued_at`;
  const columns = 'INSERT INTO hss_vectors (imsi, slot, rand, key_version, issued_at)';
  if ('source' in from)
    return `${columns}
SELECT imsi, vector_slot, ${rand}, vector_key_version, ${issuedAt} FROM ${from.source} WHERE true
${upsert}`;
  return `${columns} VALUES (${from.imsi}, ${from.slot}, ${rand}, ${from.keyVersion}, ${issuedAt})
${upsert}`;
}

/** DESIGN.md 6 step 2: vectors of key sets the subscriber no longer holds are forgotten with those keys. */
export function purgeVectorsSql(imsi: string): string {
  return `DELETE FROM hss_vectors WHERE imsi = ${imsi} AND NOT EXISTS (SELECT 1 FROM hss_subscribers s
  WHERE s.imsi = hss_vectors.imsi AND (s.active_version = hss_vectors.key_version
    OR s.candidate_version = hss_vectors.key_version))`;
}

/** One outcome per vector: the entry goes as it is read (an answer to an unknown RAND changes nothing). */
export function takeVectorSql(imsi: string, rand: string): string {
  return `DELETE FROM hss_vectors WHERE imsi = ${imsi} AND rand = ${rand} RETURNING key_version, issued_at`;
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

/** Issue 11, bulk provisioning: the insert of a subscriber that skips an existing IMSI; returns the IMSI if new. */
export function insertNewSubscriberSql(placeholder: (i: number) => string): string {
  return `${insertSubscriberSql(placeholder)}
ON CONFLICT (imsi) DO NOTHING RETURNING imsi`;
}
