// Which errors a driver lets through unchanged: the HSS's own; everything else becomes a StoreFailureError.
import {
  ConflictError,
  InvalidRequestError,
  NoCredentialsError,
  StoreFailureError,
  UnknownSubscriberError,
} from '../errors.js';

export function isHssError(e: unknown): boolean {
  return (
    e instanceof UnknownSubscriberError ||
    e instanceof NoCredentialsError ||
    e instanceof StoreFailureError ||
    e instanceof ConflictError ||
    e instanceof InvalidRequestError
  );
}
