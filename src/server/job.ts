// DESIGN.md 6: a key-update job and its states. Keys stay sealed (AES-GCM under the server's KEK) in the record.

/**
 * pending  created, new keys drawn and sealed
 * staged   the HSS holds them as candidate (DESIGN.md 6 step 1)
 * sent     BF70 is on its way to the card (the outcome may be lost: resume asks BF72)
 * applied  the card reported them applied; the HSS commit is outstanding
 * completed  committed at the HSS
 * failed / cancelled  final; the HSS candidate was aborted
 */
export type JobState = 'pending' | 'staged' | 'sent' | 'applied' | 'completed' | 'failed' | 'cancelled';

export const ACTIVE_STATES: readonly JobState[] = ['pending', 'staged', 'sent', 'applied'];
/** States in which the card still needs a session. */
export const CARD_STATES: readonly JobState[] = ['pending', 'staged', 'sent'];

export interface JobEvent {
  readonly state: JobState;
  readonly at: string;
  readonly detail?: string;
}

export interface JobRecord {
  readonly id: string;
  readonly iccid: string;
  readonly imsi: string;
  readonly eid: string;
  readonly algorithm: 'milenage' | 'tuak';
  readonly keyVersion: number;
  /** 32 hex digits. */
  readonly transactionId: string;
  /** AES-GCM(KEK, K || OPc, aad = job id). */
  readonly sealedKeys: Uint8Array;
  readonly kLength: number;
  readonly state: JobState;
  readonly history: readonly JobEvent[];
  readonly error?: string;
  /** Outcome 06 was reported (DESIGN.md 4.4): a relay edited what the server read. */
  readonly securityAlarm: boolean;
  /** Sessions the job took part in. */
  readonly sessions: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** The JSON an operator sees: everything but the sealed keys. */
export function jobView(j: JobRecord) {
  return {
    id: j.id,
    iccid: j.iccid,
    imsi: j.imsi,
    eid: j.eid,
    algorithm: j.algorithm,
    keyVersion: j.keyVersion,
    transactionId: j.transactionId,
    state: j.state,
    history: j.history,
    ...(j.error === undefined ? {} : { error: j.error }),
    securityAlarm: j.securityAlarm,
    sessions: j.sessions,
    createdAt: j.createdAt,
    updatedAt: j.updatedAt,
  };
}

export type JobView = ReturnType<typeof jobView>;
