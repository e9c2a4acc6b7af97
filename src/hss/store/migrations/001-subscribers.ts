// Migration 1: subscribers with their key sets (DESIGN.md 6) and the audit trail. One text for both dialects; the
// few types that differ come from the dialect. Embedded as a string so it ships in dist/ with the code.
import type { Dialect } from './dialect.js';

export const id = 1;
export const name = 'subscribers and audit trail';

export function sql(d: Dialect): string {
  return `
CREATE TABLE hss_subscribers (
  -- TS 23.003 2.2: IMSI = MCC || MNC || MSIN, 15 digits; SUPI "imsi-<IMSI>" (TS 23.003 2.2A)
  imsi TEXT PRIMARY KEY CHECK (length(imsi) = 15),
  -- ITU-T E.118 / TS 102 221 13.2 (EF.ICCID): 19 or 20 digits; optional
  iccid TEXT CHECK (iccid IS NULL OR length(iccid) BETWEEN 19 AND 20),
  -- TS 33.102 6.3.2: AMF (2 bytes) placed in AUTN; bit 0 is the separation bit (TS 33.401 Annex H, TS 33.501 6.1.3.2)
  amf ${d.bytes} NOT NULL CHECK (length(amf) = 2),
  -- TS 33.102 Annex C.1.1: SQN_HE = SEQ || IND, the last value handed out; stored before any vector leaves
  sqn ${d.int64} NOT NULL DEFAULT 0 CHECK (sqn BETWEEN 0 AND 281474976710655),
  -- TS 33.102 Annex C.3.2: length of IND in bits (5: a = 32 array entries in the USIM)
  ind_bits INTEGER NOT NULL DEFAULT 5 CHECK (ind_bits BETWEEN 0 AND 10),

  -- DESIGN.md 6, active key set. version: key version of DESIGN.md 4.5 (BF70 82, 1..255)
  active_version INTEGER CHECK (active_version BETWEEN 1 AND 255),
  -- 'milenage' (TS 35.206) or 'tuak' (TS 35.231)
  active_algorithm TEXT CHECK (active_algorithm IN ('milenage', 'tuak')),
  -- TUAK parameters as JSON {keccakIterations, macLength, resLength, ckLength, ikLength} in bytes (DESIGN.md 4.5 A6)
  active_params TEXT,
  -- AES-256-GCM(KEK, K || OPc or TOPc), nonce || ciphertext || tag; AAD binds imsi, version, algorithm (DESIGN.md 5)
  active_keys ${d.bytes},
  -- transaction id (DESIGN.md 4.5 BF70 80, 32 hex digits) of the commit that made these keys active
  active_transaction_id TEXT,

  -- DESIGN.md 6, at most one candidate: staged before the card applies the keys, committed after BF71 "applied"
  candidate_version INTEGER CHECK (candidate_version BETWEEN 1 AND 255),
  candidate_algorithm TEXT CHECK (candidate_algorithm IN ('milenage', 'tuak')),
  candidate_params TEXT,
  candidate_keys ${d.bytes},
  candidate_transaction_id TEXT,
  candidate_staged_at ${d.timestamp},

  -- DESIGN.md 6, previous key set: kept after a commit until the first successful AKA with the new keys
  previous_version INTEGER CHECK (previous_version BETWEEN 1 AND 255),
  previous_algorithm TEXT CHECK (previous_algorithm IN ('milenage', 'tuak')),
  previous_params TEXT,
  previous_keys ${d.bytes},

  -- DESIGN.md 6 self-healing: after a MAC failure, the key version the next vector comes from (NULL: active)
  fallback_version INTEGER,
  -- TS 33.102 6.3.2: RAND of the last vector handed out and the key version that computed it
  last_rand ${d.bytes},
  last_key_version INTEGER,

  created_at ${d.timestamp} NOT NULL,
  updated_at ${d.timestamp} NOT NULL
);

-- The audit trail of key changes and authentication outcomes: when, event, key version, transaction id, actor.
-- No foreign key: the trail outlives a deleted subscriber. Never holds keys.
CREATE TABLE hss_audit (
  id ${d.serialPrimaryKey},
  imsi TEXT NOT NULL,
  at ${d.timestamp} NOT NULL,
  event TEXT NOT NULL,
  key_version INTEGER,
  transaction_id TEXT,
  actor TEXT NOT NULL
);
CREATE INDEX hss_audit_imsi ON hss_audit (imsi, id);
`;
}
