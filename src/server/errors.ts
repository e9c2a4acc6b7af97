// Errors of the Provisioning Server. Expected protocol outcomes (card refusals) are values, not errors.

/** Where a key-update session stopped, and why; the message never carries key material. */
export type SessionFailure =
  | 'card-answer' // a status word or a malformed answer from the card
  | 'certificate' // CERT.SD.ECKA did not verify, or its EID is not the claimed one
  | 'card-pin' // CERT.SD.ECKA verified but its key is not the card's pinned key (issue 13: a security alarm)
  | 'card-unpinned' // the card has no pin and the server refuses unpinned cards (issue 13)
  | 'negotiation' // no suite both sides allow
  | 'secure-channel' // receipt, MAC or secure messaging failure
  | 'result' // BF71/BF73 malformed or not matching the request
  | 'abandoned' // the UE went away (or stayed silent too long)
  | 'job'; // the job changed meanwhile (cancelled, ended, or another session holds its request phase)

export class SessionError extends Error {
  override name = 'SessionError';
  constructor(
    readonly failure: SessionFailure,
    message: string,
  ) {
    super(message);
  }
}

/** What kind of refusal a JobError is; the HTTP layer (server/problem.ts) chooses the status. */
export type JobErrorKind =
  | 'invalid' // a request the server cannot take as given (both iccid and imsi, keys against the card policy)
  | 'not-found' // no such job, profile or subscriber
  | 'conflict'; // the job's or profile's state forbids it (an open job, too late to cancel, version 255)

/** A request the server refuses (unknown profile, bad state transition); the message names what and why. */
export class JobError extends Error {
  override name = 'JobError';
  constructor(
    readonly kind: JobErrorKind,
    message: string,
  ) {
    super(message);
  }
}

/** A file (inventory, OCE credentials) the server cannot use; names the file and the field. */
export class ServerConfigError extends Error {
  override name = 'ServerConfigError';
}
