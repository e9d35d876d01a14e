import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { ExitCode } from './errors.js';
import { ignoreBrokenPipes, passThrough } from './passthrough.js';
import type { Session } from './session.js';

/** Signals forwarded to the child; the child decides what they mean. */
export const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** 128 + signal number, the shell convention for "killed by a signal". */
export function exitCodeForSignal(signal: string): number {
  const number = (constants.signals as Record<string, number>)[signal];
  return ExitCode.signalBase + (number ?? 0);
}

/**
 * `joblogs run -- <command>`: spawns the command with TRACEPARENT in its environment, passes its
 * stdout/stderr through and ships them, forwards signals, and resolves to the exit code to use
 * once everything is flushed.
 */
export async function runCommand(command: string[], session: Session, io: { stderr: (line: string) => void }): Promise<number> {
  const [file, ...args] = command;
  const child = spawn(file!, args, { stdio: ['inherit', 'pipe', 'pipe'], env: { ...process.env, TRACEPARENT: session.traceparent } });
  const forward = (signal: NodeJS.Signals) => {
    child.kill(signal);
  };
  for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
  ignoreBrokenPipes(process.stdout, process.stderr);
  try {
    const spawnError = new Promise<NodeJS.ErrnoException>((resolve) => child.once('error', resolve));
    const outputs = Promise.all([
      passThrough(child.stdout, process.stdout, 'stdout', session.shipper),
      passThrough(child.stderr, process.stderr, 'stderr', session.shipper),
    ]);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const outcome = await Promise.race([exited, spawnError]);
    if ('errno' in outcome || outcome instanceof Error) {
      const error = outcome as NodeJS.ErrnoException;
      io.stderr(`joblogs: cannot run ${file}: ${error.message}`);
      const exitCode = error.code === 'ENOENT' ? ExitCode.notFound : ExitCode.cannotExecute;
      await session.finish({ exitCode });
      return exitCode;
    }
    // The child's pipes may still hold output after it exits (or be held open by its children).
    await outputs;
    if (outcome.signal) {
      await session.finish({ signal: outcome.signal });
      return exitCodeForSignal(outcome.signal);
    }
    await session.finish({ exitCode: outcome.code ?? ExitCode.failure });
    return outcome.code ?? ExitCode.failure;
  } finally {
    for (const signal of FORWARDED_SIGNALS) process.off(signal, forward);
  }
}
