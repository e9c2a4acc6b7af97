// Row <-> record mapping shared by the drivers. Drivers convert their native types (Buffer, Date or ISO text,
// number or decimal string) to and from the neutral values used here. Transaction ids are bytes in the records
// and 32 lowercase hex digits in their TEXT columns.
import { fromHex, toHex } from '../../bytes/index.js';
import { TRANSACTION_ID_LENGTH, type AuditEvent, type AuditEventName } from '../client/model.js';
import { ALGORITHMS, type StoredKeySet, type SubscriberRecord } from '../subscriber.js';
import type { AkaAlgorithm, TuakParams } from '../../aka/index.js';

/** The columns of hss_subscribers in the order `recordValues` lists them. */
export const SUBSCRIBER_COLUMNS = [
  'imsi',
  'iccid',
  'amf',
  'sqn',
  'ind_bits',
  'active_version',
  'active_algorithm',
  'active_params',
  'active_keys',
  'active_transaction_id',
  'candidate_version',
  'candidate_algorithm',
  'candidate_params',
  'candidate_keys',
  'candidate_transaction_id',
  'candidate_staged_at',
  'fallback_version',
  'created_at',
  'updated_at',
] as const;

export type Neutral = string | number | bigint | Uint8Array | Date | null;

/** A transaction id as its column holds it. */
function txColumn(id: Uint8Array | null): string | null {
  return id === null ? null : toHex(id);
}

function txOf(v: unknown, column: string): Uint8Array {
  return fromHex(String(v), column, TRANSACTION_ID_LENGTH);
}

function optionalTxOf(v: unknown, column: string): Uint8Array | null {
  return v === null || v === undefined ? null : txOf(v, column);
}

export function recordValues(r: SubscriberRecord): Neutral[] {
  const set = (s: StoredKeySet | null) =>
    s === null
      ? [null, null, null, null]
      : [s.version, s.algorithm, s.tuak === null ? null : JSON.stringify(s.tuak), s.sealed];
  return [
    r.imsi,
    r.iccid,
    r.amf,
    r.sqn,
    r.indBits,
    ...set(r.active),
    txColumn(r.activeTransactionId),
    ...set(r.candidate),
    txColumn(r.candidate?.transactionId ?? null),
    r.candidate?.stagedAt ?? null,
    r.fallbackVersion,
    r.createdAt,
    r.updatedAt,
  ];
}

/** Accessors a driver supplies to read its native values. */
export interface RowReader {
  bytes(v: unknown): Uint8Array;
  date(v: unknown): Date;
  bigint(v: unknown): bigint;
}

type Row = Record<string, unknown>;

function num(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}

function str(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

function keySet(row: Row, prefix: string, read: RowReader): StoredKeySet | null {
  const version = num(row[`${prefix}_version`]);
  const keys = row[`${prefix}_keys`];
  if (version === null || keys === null || keys === undefined) return null;
  const algorithm = String(row[`${prefix}_algorithm`]) as AkaAlgorithm;
  if (!ALGORITHMS.includes(algorithm)) throw new Error(`${prefix}_algorithm: unknown value`);
  const params = str(row[`${prefix}_params`]);
  return {
    version,
    algorithm,
    tuak: params === null ? null : (JSON.parse(params) as TuakParams),
    sealed: read.bytes(keys),
  };
}

export function rowToRecord(row: Row, read: RowReader): SubscriberRecord {
  const candidate = keySet(row, 'candidate', read);
  return {
    imsi: String(row.imsi),
    iccid: str(row.iccid),
    amf: read.bytes(row.amf),
    sqn: read.bigint(row.sqn),
    indBits: Number(row.ind_bits),
    active: keySet(row, 'active', read),
    activeTransactionId: optionalTxOf(row.active_transaction_id, 'active_transaction_id'),
    candidate:
      candidate === null
        ? null
        : {
            ...candidate,
            transactionId: txOf(row.candidate_transaction_id, 'candidate_transaction_id'),
            stagedAt: read.date(row.candidate_staged_at),
          },
    fallbackVersion: num(row.fallback_version),
    createdAt: read.date(row.created_at),
    updatedAt: read.date(row.updated_at),
  };
}

export const AUDIT_COLUMNS = ['imsi', 'at', 'event', 'key_version', 'transaction_id', 'actor'] as const;

export function auditValues(a: AuditEvent): Neutral[] {
  return [a.imsi, a.at, a.event, a.keyVersion, txColumn(a.transactionId), a.actor];
}

export function rowToAudit(row: Row, read: RowReader): AuditEvent {
  return {
    imsi: String(row.imsi),
    at: read.date(row.at),
    event: String(row.event) as AuditEventName,
    keyVersion: num(row.key_version),
    transactionId: optionalTxOf(row.transaction_id, 'transaction_id'),
    actor: String(row.actor),
  };
}

/**
 * DESIGN.md 6 step 3: the key version of the vector with a RAND, judged on every entry of that RAND (takeVectorSql
 * takes them all): null when no entry issued at or after `notBefore` is left, or when entries of different key
 * versions share the RAND (a repeated RAND names no one vector, so the outcome counts as one on an unknown vector).
 */
export function vectorVersionOf(entries: readonly Row[], notBefore: Date, read: RowReader): number | null {
  const versions = new Set(
    entries.filter((e) => read.date(e.issued_at) >= notBefore).map((e) => Number(e.key_version)),
  );
  return versions.size === 1 ? [...versions][0] : null;
}
