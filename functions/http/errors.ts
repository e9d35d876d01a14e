import { PermanentError } from '../../shared/core/errors.js';

/**
 * What the signer answers with when it cannot hand out a link. Each error names its HTTP status;
 * `problemResponse` turns it into `{ error: { code, message } }`. Messages are written for the
 * caller and never contain the token, a signed URL or another job's data.
 */
export abstract class HttpProblem extends PermanentError {
  abstract readonly statusCode: number;
  readonly headers: Record<string, string> = {};
}

export class InvalidJobIdError extends HttpProblem {
  readonly code = 'INVALID_JOB_ID';
  readonly statusCode = 400;
}

/** RFC 6750 §3: a 401 names the scheme, and `error="invalid_token"` when a token was sent. */
export class UnauthorizedError extends HttpProblem {
  readonly code = 'UNAUTHORIZED';
  readonly statusCode = 401;
  constructor(message: string, options: { tokenSent: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    const parts = ['Bearer realm="joblogs"'];
    if (options.tokenSent) parts.push('error="invalid_token"', `error_description="${message.replace(/["\\]/g, '')}"`);
    this.headers['WWW-Authenticate'] = parts.join(', ');
  }
}

export class ForbiddenError extends HttpProblem {
  readonly code = 'FORBIDDEN';
  readonly statusCode = 403;
}

export class RouteNotFoundError extends HttpProblem {
  readonly code = 'NOT_FOUND';
  readonly statusCode = 404;
}

export class MethodNotAllowedError extends HttpProblem {
  readonly code = 'METHOD_NOT_ALLOWED';
  readonly statusCode = 405;
  constructor(message: string) {
    super(message);
    this.headers['Allow'] = 'GET, OPTIONS';
  }
}

export class UriTooLongError extends HttpProblem {
  readonly code = 'URI_TOO_LONG';
  readonly statusCode = 414;
}

export class HeadersTooLargeError extends HttpProblem {
  readonly code = 'HEADERS_TOO_LARGE';
  readonly statusCode = 431;
}

/** No launcher registered a job with this id (or the caller asked for a route that does not exist). */
export class JobNotFoundError extends HttpProblem {
  readonly code = 'NOT_FOUND';
  readonly statusCode = 404;
}

/** The thing a request names inside a job is not there (a cursor without a collapsed bar, a chunk no longer stored). */
export class NotFoundError extends HttpProblem {
  readonly code = 'NOT_FOUND';
  readonly statusCode = 404;
}

/**
 * A finished job whose documents have aged out of the cluster and whose archive is not built yet:
 * the assembler has been asked for it (docs/archive.md). 202 + Retry-After: ask again shortly.
 */
export class ArchivingProblem extends HttpProblem {
  readonly code = 'ARCHIVING';
  readonly statusCode = 202;
  constructor(message: string, retryAfterSeconds: number) {
    super(message);
    this.headers['Retry-After'] = String(retryAfterSeconds);
  }
}

/** A job's lines are neither in the cluster nor in an archive, and none can be built here. */
export class LinesGoneError extends HttpProblem {
  readonly code = 'LINES_GONE';
  readonly statusCode = 404;
}

/** A job's archive exists but cannot be read (docs/archive.md): never a crash, this answer, and the assembler can rebuild it. */
export class ArchiveUnreadableProblem extends HttpProblem {
  readonly code = 'ARCHIVE_UNREADABLE';
  readonly statusCode = 500;
}
