import { ConfigError } from '../shared/core/errors.js';

/** Conventional exit codes (sysexits-style 2 for usage/config, as most CLIs do). */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  cannotExecute: 126,
  notFound: 127,
  signalBase: 128,
} as const;

/** Bad configuration or usage: one line on stderr, exit 2, the job is not started. */
export class CliConfigError extends ConfigError {
  override readonly code = 'BAD_USAGE';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { problems: [message], cause: options.cause });
  }
}
