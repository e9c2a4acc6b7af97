// Errors of the trace encoders.
export class TraceError extends Error {
  override name = 'TraceError';
}
