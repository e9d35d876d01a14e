import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON lines on stdout (CloudWatch in Lambda): the pipeline's own first dashboard. */
export function createLogger(service: string, destination?: NodeJS.WritableStream): Logger {
  const options = {
    base: { service: { name: service } },
    messageKey: 'message',
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ log: { level: label } }) },
  };
  return destination ? pino(options, destination as never) : pino(options);
}
