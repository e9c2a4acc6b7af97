// The one error of the HSS client: a non-2xx answer (with the ProblemDetails cause) or a network failure
// (status 0).

export class HssClientError extends Error {
  override name = 'HssClientError';
  constructor(
    /** HTTP status; 0 when the HSS could not be reached or did not answer in time. */
    readonly status: number,
    /** ProblemDetails cause (e.g. USER_NOT_FOUND), or UNREACHABLE / TIMEOUT / INVALID_RESPONSE. */
    override readonly cause: string,
    message: string,
    readonly invalidParams: readonly { param: string; reason?: string }[] = [],
  ) {
    super(message);
  }
}
