import { PermanentError } from '../errors.js';

/** A per-job multi-line pattern is refused (too long, not a regular expression, or one that could backtrack for ever). */
export class MultilinePatternError extends PermanentError {
  readonly code = 'BAD_MULTILINE_PATTERN';
}
