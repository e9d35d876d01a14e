/** What a benchmark child prints ({@link runChild}'s other half): imports nothing, so bundled children stay small and side-effect free. */

/** What a child reports for one run of one variant. */
export interface RunResult {
  variant: string;
  /** Wall time of the measured section only (not process start, not fixture preparation). */
  ms: number;
  /** Peak resident set size of the whole child, in MiB (`process.resourceUsage().maxRSS`). */
  peakRssMb: number;
  [metric: string]: number | string;
}

/** Last line of a child's stdout is its JSON result; everything else it prints is passed through. */
export const RESULT_PREFIX = 'BENCH_RESULT ';

export function reportResult(result: Omit<RunResult, 'peakRssMb'>): void {
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify({ ...result, peakRssMb })}\n`);
}
