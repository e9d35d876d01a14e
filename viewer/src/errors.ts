/** Typed errors of the viewer: what went wrong, with the API's own code and a cause. */

export class ViewerError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A refusal of the logs API or the signer: `{ error: { code, message } }` with its HTTP status. */
export class ApiError extends ViewerError {
  readonly status: number;
  readonly code: string;
  /** Seconds from `Retry-After` (503, 429), when given. */
  readonly retryAfter: number | null;

  constructor(init: { status: number; code: string; message: string; retryAfter?: number | null; cause?: unknown }) {
    super(init.message, { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.retryAfter = init.retryAfter ?? null;
  }

  /** Worth trying again later: the service said so (202 while archiving, 503, 429) or the network failed. */
  get transient(): boolean {
    return this.status === 0 || this.status === 202 || this.status === 429 || this.status === 503 || this.status >= 500;
  }
}

/** No token: neither the `token` property nor `getToken()` was set by the host page. */
export class MissingTokenError extends ViewerError {}

/** What a person reads in the component for an error. */
export function describeError(error: unknown, jobId: string): string {
  if (error instanceof MissingTokenError) return 'Not signed in: the page gave the log viewer no token.';
  if (!(error instanceof ApiError)) return `Something went wrong: ${error instanceof Error ? error.message : String(error)}`;
  switch (error.status) {
    case 0:
      return `The logs service cannot be reached (${error.message}). Retrying…`;
    case 202:
      return `The lines of job “${jobId}” are being restored from the archive (${error.code}). Retrying${error.retryAfter ? ` in ${error.retryAfter} s` : ''}…`;
    case 401:
      return `Not signed in, or the session has expired (${error.code}). Sign in again to read these logs.`;
    case 403:
      return `You may not read the logs of job “${jobId}”: only its owner and its team can (${error.code}).`;
    case 404:
      return `No job named “${jobId}” (${error.code}).`;
    case 429:
    case 503:
      return `The logs service is unavailable right now (${error.code}: ${error.message}). Retrying${error.retryAfter ? ` in ${error.retryAfter} s` : ''}…`;
    default:
      return `The logs service refused the request: ${error.message} (${error.code}, HTTP ${error.status}).`;
  }
}
