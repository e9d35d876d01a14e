/** Benchmark support: the rounds driver, one child process per run, fixtures, tables and results. */
export { bundleForChild, runChild, runResultProcess } from './child.js';
export {
  chunkFile,
  chunkFixture,
  colouredChunkFixture,
  cpuFixture,
  fixtureTag,
  framedCpuFixture,
  framingTag,
  printerFixture,
  type PrinterFixture,
} from './fixtures.js';
export { processCpuSeconds } from './process-cpu.js';
export { BENCH_DIR, machineNote, printTable, requireNode24, saveResults } from './report.js';
export { reportResult, RESULT_PREFIX, type RunResult } from './result.js';
export { runRounds, type Aim, type Column, type RoundsResult, type RunRoundsOptions } from './run-rounds.js';
