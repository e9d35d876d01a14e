import { ExitCode } from './errors.js';
import { followFile, parseDockerJsonLine, recordSplitter } from './file-follower.js';
import { exitCodeForSignal } from './run.js';
import type { Session } from './session.js';

/**
 * `joblogs follow <file>`: ships what is appended to `file` (following rotation) until
 * SIGINT/SIGTERM/SIGHUP, then flushes. With `dockerJson`, each record is a Docker json-file line
 * whose stream and time are kept.
 */
export async function followCommand(
  file: string,
  session: Session,
  options: { dockerJson: boolean; pollIntervalMs: number; fromEnd: boolean },
): Promise<number> {
  const abort = new AbortController();
  let stopSignal: NodeJS.Signals | undefined;
  const stop = (signal: NodeJS.Signals) => {
    stopSignal = signal;
    abort.abort();
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const signal of signals) process.on(signal, stop);
  const { shipper } = session;
  const split = options.dockerJson
    ? recordSplitter((record) => {
        const line = parseDockerJsonLine(record.toString('utf8'));
        if (line) shipper.write(line.stream, line.data, line.time);
        else shipper.write('stdout', Buffer.concat([record, Buffer.from('\n')]));
      })
    : (data: Buffer) => shipper.write('stdout', data);
  // A file can wait: reading pauses while the shipper's in-memory bound is reached.
  const onData = async (data: Buffer): Promise<void> => {
    split(data);
    if (shipper.blocked) await shipper.waitForRoom();
  };
  try {
    await followFile(file, { pollIntervalMs: options.pollIntervalMs, fromEnd: options.fromEnd, signal: abort.signal, onData });
  } finally {
    for (const signal of signals) process.off(signal, stop);
  }
  await session.finish({});
  return stopSignal ? exitCodeForSignal(stopSignal) : ExitCode.ok;
}
