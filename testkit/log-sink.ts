/**
 * Where a handler's pino logger writes in tests, benchmarks and the load run: kept and parsed, or
 * dropped.
 *
 * @example
 * const { sink, logs } = jsonLogSink();
 * const handler = createIndexerHandler(config, { logger: createLogger('joblogs-indexer', sink) });
 * …; expect(logs.filter((l) => l.message === 'indexer batch done')).toHaveLength(1);
 */
import { Writable } from 'node:stream';

export type LogLine = Record<string, any>;

/** A stream that keeps every JSON log line written to it, parsed; `onLine` sees each one as it comes. */
export function jsonLogSink(onLine?: (line: LogLine) => void): { sink: Writable; logs: LogLine[] } {
  const logs: LogLine[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      const line = JSON.parse(String(chunk)) as LogLine;
      logs.push(line);
      onLine?.(line);
      done();
    },
  });
  return { sink, logs };
}

/** A stream that drops everything: a logger that costs its formatting and nothing else. */
export function discardSink(): Writable {
  return new Writable({ write: (_chunk, _encoding, done) => done() });
}
