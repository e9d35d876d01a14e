/**
 * CPU time of another running process, from `/proc/<pid>/stat` (Linux): what a server on the same
 * machine (moto, the search cluster) spent while a benchmark's run went on, as the difference of
 * two readings.
 *
 * @example
 * const before = processCpuSeconds(stack.moto.pid);
 * await run();
 * const motoCpuS = processCpuSeconds(stack.moto.pid) - before;
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

/** The kernel's clock ticks per second for process times (`getconf CLK_TCK`; 100 wherever Node runs on Linux). */
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    const said = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    ticksPerSecond = Number.isFinite(said) && said > 0 ? said : 100;
  }
  return ticksPerSecond;
}

/** User + system CPU seconds the process `pid` has used so far (its exited children not included). */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so count from its last ')'.
  // Fields 14 and 15 of the line (utime, stime) are the 12th and 13th after comm.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`unreadable /proc/${pid}/stat: ${stat.slice(0, 200)}`);
  return (utime + stime) / clockTicks();
}
