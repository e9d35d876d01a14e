import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { ExitCode } from './errors.js';
import { ignoreBrokenPipes, passThrough } from './passthrough.js';
import type { Session } from './session.js';

/** Signals forwarded to the child; the child decides what they mean. */
export const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Default bound on waiting for the child's pipes to close once it has exited. */
export const PIPE_CLOSE_TIMEOUT_MS = 2_000;

export interface RunOptions {
  stderr: (line: string) => void;
  /**
   * joblogs runs at a terminal: a Ctrl-C there sends SIGINT to the whole foreground process group,
   * the child included, so forwarding it would deliver it twice. Default: stdin, stdout or stderr is a TTY.
   */
  terminal?: boolean;
  /** After the child exits, how long its pipes may stay open (held by processes it left behind). */
  pipeCloseTimeoutMs?: number;
}

/** 128 + signal number, the shell convention for "killed by a signal". */
export function exitCodeForSignal(signal: string): number {
  const number = (constants.signals as Record<string, number>)[signal];
  return ExitCode.signalBase + (number ?? 0);
}

/**
 * Whether joblogs passes `signal` on to the child. Not SIGINT at a terminal: the terminal has
 * already sent it to the child (same process group), and a second one would, e.g., interrupt a
 * Python program's KeyboardInterrupt handling.
 */
export function shouldForward(signal: NodeJS.Signals, terminal: boolean): boolean {
  return !(terminal && signal === 'SIGINT');
}

function atTerminal(): boolean {
  return Boolean(process.stdin.isTTY || process.stdout.isTTY || process.stderr.isTTY);
}

/**
 * `joblogs run -- <command>`: spawns the command with TRACEPARENT in its environment, passes its
 * stdout/stderr through and ships them, forwards signals, and resolves to the exit code to use
 * once everything is flushed.
 */
export async function runCommand(command: string[], session: Session, options: RunOptions): Promise<number> {
  const { stderr, terminal = atTerminal(), pipeCloseTimeoutMs = PIPE_CLOSE_TIMEOUT_MS } = options;
  const [file, ...args] = command;
  const child = spawn(file!, args, { stdio: ['inherit', 'pipe', 'pipe'], env: { ...process.env, TRACEPARENT: session.traceparent } });
  const forward = (signal: NodeJS.Signals) => {
    if (shouldForward(signal, terminal)) child.kill(signal);
  };
  for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
  ignoreBrokenPipes(process.stdout, process.stderr);
  try {
    const spawnError = new Promise<NodeJS.ErrnoException>((resolve) => child.once('error', resolve));
    const outputs = Promise.all([
      passThrough(child.stdout, process.stdout, 'stdout', session.shipper),
      passThrough(child.stderr, process.stderr, 'stderr', session.shipper),
    ]);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const outcome = await Promise.race([exited, spawnError]);
    if ('errno' in outcome || outcome instanceof Error) {
      const error = outcome as NodeJS.ErrnoException;
      stderr(`joblogs: cannot run ${file}: ${error.message}`);
      const exitCode = error.code === 'ENOENT' ? ExitCode.notFound : ExitCode.cannotExecute;
      await session.finish({ exitCode });
      return exitCode;
    }
    // The pipes may still hold output after the child exits; a process it left running in the
    // background may also hold them open for ever, so the wait is bounded.
    if (!(await settlesWithin(outputs, pipeCloseTimeoutMs))) {
      stderr(
        `joblogs: the command exited but its output is still open (a process it started?); shipping what was printed within ${pipeCloseTimeoutMs} ms of its exit`,
      );
      child.stdout.destroy();
      child.stderr.destroy();
    }
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

async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([promise.then(() => true), new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)))]);
  clearTimeout(timer);
  return settled;
}
