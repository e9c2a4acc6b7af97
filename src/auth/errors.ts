// Errors of the auth layer: a malformed principals file or a bad principal name. Messages never carry a secret.

export class AuthError extends Error {
  override name = 'AuthError';
}
