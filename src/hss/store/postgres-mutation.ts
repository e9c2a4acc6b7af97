// PostgreSQL statements of `mutate` (DESIGN.md 6): a mutation is written by ONE statement, so its record, its
// audit lines and the purge of vectors of destroyed key sets commit together (one implicit transaction) in one
// round trip. The write is a compare-and-set on the row version the change was computed from: the row's xmin,
// the id of the transaction that wrote it, which every write (a transition, an SQN issue, a re-creation after a
// delete) changes, so a write that lost a race updates nothing and the driver reads again (the technique of
// EF Core's xmin concurrency token; no migration, and xid wraparound cannot happen between a read and a write).
// That an SQN issue moves xmin on is what keeps the purge exact: the write's DELETE sees the vectors of its
// statement's snapshot, so a vector recorded by an issue that committed after that snapshot would escape it; but
// such an issue changed the row, so the compare-and-set misses and the next read sees that vector.
import { AUDIT_COLUMNS, auditValues, recordValues, SUBSCRIBER_COLUMNS, type Neutral } from './columns.js';
import type { Mutation } from './store.js';

/** PostgreSQL types of the audit columns (migration 001), for the arrays the audit lines travel in. */
export const AUDIT_TYPES: Record<(typeof AUDIT_COLUMNS)[number], string> = {
  imsi: 'text',
  at: 'timestamptz',
  event: 'text',
  key_version: 'integer',
  transaction_id: 'text',
  actor: 'text',
};

/**
 * The record, the version of its row (xmin as text) and the entries of RAND $2 (key versions and issue times as
 * arrays, null when none), without a lock: one row whatever the number of entries sharing the RAND.
 */
export const READ_FOR_CHANGE = `SELECT s.*, s.xmin::text AS row_version,
  t.key_versions AS taken_key_versions, t.issued_ats AS taken_issued_ats
FROM hss_subscribers s LEFT JOIN LATERAL (
  SELECT array_agg(v.key_version) AS key_versions, array_agg(v.issued_at) AS issued_ats
  FROM hss_vectors v WHERE v.imsi = s.imsi AND v.rand = $2
) t ON true WHERE s.imsi = $1`;

/**
 * An outcome that changes nothing still takes its vector (one outcome per vector): the entries of RAND $2 are
 * deleted if the row is still at version $3. No row returned: the entries or the row moved on; read again. Rows
 * returned (one per entry, so more than one when a RAND was issued twice): taken, not a lost race. While the row
 * is at the version read no entry can have been added (an SQN issue writes the row): what is deleted was read.
 */
export const TAKE_IF_UNCHANGED = `DELETE FROM hss_vectors WHERE imsi = $1 AND rand = $2
  AND EXISTS (SELECT 1 FROM hss_subscribers WHERE imsi = $1 AND xmin = $3::xid) RETURNING key_version`;

/**
 * Inside a transaction: the record locked (FOR UPDATE) and its version, and the entries of RAND $2 taken
 * (deleted) once the row is locked, so the lock order is the subscriber then its vectors, as in every write.
 * One row, the entries as READ_FOR_CHANGE gives them.
 */
export const LOCK_AND_TAKE = `WITH s AS (
  SELECT *, xmin::text AS row_version FROM hss_subscribers WHERE imsi = $1 FOR UPDATE
), t AS (
  DELETE FROM hss_vectors v USING s WHERE v.imsi = s.imsi AND v.rand = $2 RETURNING v.key_version, v.issued_at
)
SELECT s.*, (SELECT array_agg(key_version) FROM t) AS taken_key_versions,
  (SELECT array_agg(issued_at) FROM t) AS taken_issued_ats FROM s`;

/** The entries of RAND $2 a READ_FOR_CHANGE or LOCK_AND_TAKE row carries, as takeVectorSql rows. */
export function takenEntries(row: Record<string, unknown>): Record<string, unknown>[] {
  const versions = (row.taken_key_versions ?? []) as unknown[];
  const issued = (row.taken_issued_ats ?? []) as unknown[];
  return versions.map((key_version, i) => ({ key_version, issued_at: issued[i] }));
}

const RECORD_PARAMETERS = SUBSCRIBER_COLUMNS.length;
const ROW_VERSION = RECORD_PARAMETERS + 1;
const DESTROYS_KEYS = RECORD_PARAMETERS + 2;
const FIRST_AUDIT = RECORD_PARAMETERS + 3;

const assignments = SUBSCRIBER_COLUMNS.map((c, i) => ({ c, i }))
  .filter(({ c }) => c !== 'imsi')
  .map(({ c, i }) => `${c} = $${i + 1}`)
  .join(', ');
const auditArrays = AUDIT_COLUMNS.map((c, i) => `$${FIRST_AUDIT + i}::${AUDIT_TYPES[c]}[]`).join(', ');
const auditColumns = AUDIT_COLUMNS.join(', ');

/**
 * The record (every column but imsi, keyed by imsi = $1) if the row is still at the version read, its audit lines
 * in order, and with destroysKeys the vectors of key versions the new record no longer holds (DESIGN.md 6 step 2,
 * judged on the values written). Returns the IMSI when written, no row when the row had moved on.
 */
export const WRITE_MUTATION = `WITH u AS (
  UPDATE hss_subscribers SET ${assignments} WHERE imsi = $1 AND xmin = $${ROW_VERSION}::xid
  RETURNING imsi, active_version, candidate_version
), a AS (
  INSERT INTO hss_audit (${auditColumns})
  SELECT ${auditColumns} FROM unnest(${auditArrays}) WITH ORDINALITY AS e(${auditColumns}, n)
  WHERE EXISTS (SELECT 1 FROM u) ORDER BY n
), p AS (
  DELETE FROM hss_vectors v USING u WHERE $${DESTROYS_KEYS}::boolean AND v.imsi = u.imsi
    AND v.key_version IS DISTINCT FROM u.active_version AND v.key_version IS DISTINCT FROM u.candidate_version
)
SELECT imsi FROM u`;

/** The parameters of WRITE_MUTATION, in the driver's neutral values. */
export function writeMutationValues(m: Mutation, rowVersion: string): (Neutral | boolean | Neutral[])[] {
  const audit = m.audit.map(auditValues);
  return [
    ...recordValues(m.record),
    rowVersion,
    m.destroysKeys === true,
    ...AUDIT_COLUMNS.map((_, i) => audit.map((a) => a[i])),
  ];
}
