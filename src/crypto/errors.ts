// Errors of the crypto layer. Messages name the operation and the parameter, never key material.

/** Bad key/data length, malformed key or point, failed authentication of sealed data. */
export class CryptoError extends Error {
  override name = 'CryptoError';
}
