// Errors of the aka layer: parameters outside what the algorithms define, an exhausted or malformed SQN state.
// Wrong byte lengths raise the bytes layer's BytesError, which names the field.

export class AkaError extends Error {
  override name = 'AkaError';
}
