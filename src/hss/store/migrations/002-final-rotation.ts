// Migration 2 (DESIGN.md 6 as rewritten: the rotation is final): the previous key set is wiped and its columns
// dropped, the single last-RAND memory gives way to a bounded, expiring per-subscriber table of the vectors
// handed out (RAND -> key version that computed it), so concurrent attaches cannot be confused.
import type { Dialect } from './dialect.js';

export const id = 2;
export const name = 'no previous key set; vectors by RAND';

export function sql(d: Dialect): string {
  return `
-- The old keys are presumed leaked: overwrite them before the columns go (SQLite runs with secure_delete).
UPDATE hss_subscribers SET previous_keys = NULL, previous_version = NULL, previous_algorithm = NULL,
  previous_params = NULL, last_rand = NULL, last_key_version = NULL;
-- A fallback towards the previous keys is void: self-healing only ever points at a staged candidate.
UPDATE hss_subscribers SET fallback_version = NULL
  WHERE fallback_version IS NOT NULL AND (candidate_version IS NULL OR fallback_version <> candidate_version);
ALTER TABLE hss_subscribers DROP COLUMN previous_keys;
ALTER TABLE hss_subscribers DROP COLUMN previous_version;
ALTER TABLE hss_subscribers DROP COLUMN previous_algorithm;
ALTER TABLE hss_subscribers DROP COLUMN previous_params;
ALTER TABLE hss_subscribers DROP COLUMN last_rand;
ALTER TABLE hss_subscribers DROP COLUMN last_key_version;

-- DESIGN.md 6 step 3: each vector handed out, with the key version that computed it. A ring of slots per
-- subscriber (slot = SEQ mod the ring size, hss/vectors.ts), so the table is bounded; rows older than the vector
-- lifetime are ignored; a row is deleted when its authentication outcome is reported (one outcome per vector).
CREATE TABLE hss_vectors (
  imsi TEXT NOT NULL,
  slot INTEGER NOT NULL,
  -- TS 33.102 6.3.2: RAND of the vector (16 bytes)
  rand ${d.bytes} NOT NULL,
  -- the key version (DESIGN.md 4.5 BF70 82) of the key set that computed the vector
  key_version INTEGER NOT NULL CHECK (key_version BETWEEN 1 AND 255),
  issued_at ${d.timestamp} NOT NULL,
  PRIMARY KEY (imsi, slot)
);
`;
}
