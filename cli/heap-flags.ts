/**
 * V8 heap settings for the `joblogs` process. The shipper keeps little on its JS heap (bytes are
 * Buffers, off-heap), but V8 sizes the young generation for throughput (up to 3 × 16 MiB
 * semi-spaces here), which was most of joblogs's peak RSS. These flags only take effect on the
 * command line (`v8.setFlagsFromString` after start-up does not resize the heap), so the CLI
 * re-executes itself with them (`process.execve`: same pid, same stdio, so signals and PID 1 in a
 * container behave as before). They are passed as node arguments, never through NODE_OPTIONS,
 * so the job joblogs runs does not inherit them.
 */
export const HEAP_FLAGS = ['--max-semi-space-size=1'] as const;

/** Set to `0` to run without the re-exec (e.g. to compare). */
export const HEAP_FLAGS_ENV = 'JOBLOGS_HEAP_FLAGS';

export interface ProcessLike {
  execPath: string;
  execArgv: readonly string[];
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
}

/** The argv to re-execute with, or undefined when the flags are set already (or turned off). */
export function heapFlagsArgv(p: ProcessLike): string[] | undefined {
  if (p.env[HEAP_FLAGS_ENV] === '0') return undefined;
  if (HEAP_FLAGS.every((flag) => p.execArgv.includes(flag))) return undefined;
  const missing = HEAP_FLAGS.filter((flag) => !p.execArgv.includes(flag));
  return [p.execPath, ...missing, ...p.execArgv, ...p.argv.slice(1)];
}

/** Replaces this process with itself plus {@link HEAP_FLAGS} where the platform can (not on Windows). */
export function reexecWithHeapFlags(p: NodeJS.Process = process): void {
  if (typeof p.execve !== 'function') return;
  const argv = heapFlagsArgv(p);
  if (argv) p.execve(p.execPath, argv, p.env);
}
