import { ConfigError } from '../errors.js';

/**
 * The stage names a cluster kind, version or authentication joblogs cannot use, or one that is
 * not the cluster it points at. Raised at package and deploy time (never at run time), with
 * what to change.
 */
export class UnsupportedClusterError extends ConfigError {
  override readonly code = 'UNSUPPORTED_CLUSTER';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { problems: [message], cause: options.cause });
  }
}
