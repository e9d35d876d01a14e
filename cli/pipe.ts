import { ExitCode } from './errors.js';
import { ignoreBrokenPipes, passThrough } from './passthrough.js';
import { exitCodeForSignal } from './run.js';
import type { Session } from './session.js';

/**
 * `<command> | joblogs pipe`: ships stdin as `stdout` (and copies it to stdout unless
 * `passthrough` is false) until it ends or SIGINT/SIGTERM/SIGHUP, then flushes.
 */
export async function pipeCommand(session: Session, options: { passthrough: boolean }): Promise<number> {
  ignoreBrokenPipes(process.stdout);
  let stopSignal: NodeJS.Signals | undefined;
  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      stopSignal = signal;
      resolve();
    };
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, stop);
  });
  await Promise.race([passThrough(process.stdin, options.passthrough ? process.stdout : undefined, 'stdout', session.shipper), stopped]);
  process.stdin.pause();
  // The piped command's exit status is not ours to know: the final chunk carries no exit code.
  await session.finish({});
  return stopSignal ? exitCodeForSignal(stopSignal) : ExitCode.ok;
}
