// Errors of the HSS (osmo-hlr's db_get_auc distinction: unknown subscriber, no credentials, store failure), plus
// transition conflicts and bad requests. Messages name the subscriber and the field, never key material.

/** The IMSI is not provisioned (Nudm: 404 USER_NOT_FOUND). */
export class UnknownSubscriberError extends Error {
  override name = 'UnknownSubscriberError';
  constructor(readonly imsi: string) {
    super(`unknown subscriber imsi-${imsi}`);
  }
}

/** The subscriber exists but has no usable authentication credentials. */
export class NoCredentialsError extends Error {
  override name = 'NoCredentialsError';
}

/** The database (or the keys it holds) could not be read or written; nothing was handed out. */
export class StoreFailureError extends Error {
  override name = 'StoreFailureError';
}

/** A request contradicts the subscriber's state: an existing IMSI, another candidate, a rollback (HTTP 409). */
export class ConflictError extends Error {
  override name = 'ConflictError';
}

/** A well-formed request with a value the HSS refuses (HTTP 400); `field` names the offending field. */
export class InvalidRequestError extends Error {
  override name = 'InvalidRequestError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}
