import { ConfigError } from '../errors.js';

/** Secret values the scrubber cannot use (too short to redact safely, too long, too many); `problems` lists each. */
export class ScrubConfigError extends ConfigError {
  override readonly code = 'BAD_SCRUB_CONFIG';
  constructor(problems: string[]) {
    super(`Invalid secret scrubbing configuration: ${problems.join('; ')}`, { problems });
  }
}
