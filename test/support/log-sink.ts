import { Writable } from 'node:stream';

/** A stream for a handler's pino logger that keeps every JSON log line it writes, parsed. */
export function jsonLogSink(): { sink: Writable; logs: Array<Record<string, any>> } {
  const logs: Array<Record<string, any>> = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(JSON.parse(String(chunk)) as Record<string, any>);
      done();
    },
  });
  return { sink, logs };
}
