/**
 * The demo and test jobs, generated deterministically: what a training job really prints (ANSI
 * colours, tqdm bars redrawn with `\r`, warnings, a logged error with its traceback, empty lines).
 * The lines are pure functions of their number, so the reference server (here, into a JobStore)
 * and the local stack (shipped through the real shipper: testkit/viewer) hold the same job.
 */
import type { Stream, Terminator } from '../src/types.js';
import type { JobStore, StoredJob } from './job-store.js';

export const START = Date.parse('2026-11-25T10:00:00.000Z');
const ESC = '\x1b[';
const green = (s: string): string => `${ESC}32m${s}${ESC}0m`;
const yellow = (s: string): string => `${ESC}33m${s}${ESC}0m`;
const red = (s: string): string => `${ESC}1;31m${s}${ESC}0m`;
const bold = (s: string): string => `${ESC}1m${s}${ESC}0m`;
const palette = (n: number, s: string): string => `${ESC}38;5;${n}m${s}${ESC}0m`;
const truecolor = (r: number, g: number, b: number, s: string): string => `${ESC}38;2;${r};${g};${b}m${s}${ESC}0m`;

/** One printed line as the job wrote it: its text (no terminator), stream, terminator, capture time. */
export interface SyntheticLine {
  text: string;
  stream: Stream;
  end: Terminator;
  time: number;
}

/** Lines per period: a header, a progress bar, then training steps. */
const PERIOD = 1000;
const BAR_STATES = 20;
/** Where in its period a logged error and its traceback start (every 100th period). */
const ERROR_AT = 29;

export const TRACEBACK = [
  'Traceback (most recent call last):',
  '  File "train.py", line 212, in <module>',
  '    loss = model(batch).loss',
  '  File "model.py", line 88, in forward',
  '    h = self.attn(x)',
  'RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB',
];

export function barState(epoch: number, done: number, total: number): string {
  const width = 20;
  const filled = Math.round((done / total) * width);
  const percent = String(Math.round((done / total) * 100)).padStart(3);
  return `epoch ${epoch}: ${percent}%|${'█'.repeat(filled)}${' '.repeat(width - filled)}| ${done}/${total} [00:${String(done % 60).padStart(2, '0')}<00:42, 3.61it/s]`;
}

/** A training step as a colouring logger prints it (its level word inside escape codes). */
export function stepLine(step: number): { text: string; stream: Stream } {
  const loss = (2.5 / Math.log(step + 3)).toFixed(4);
  if (step % 97 === 0) return { text: `${yellow('WARNING')} step ${step}: grad norm ${(step % 13) + 5}.0 clipped to 1.0`, stream: 'stderr' };
  if (step % 250 === 0)
    return {
      text: `${truecolor(255, 105, 180, 'metrics')} step=${step} ${palette(45, `acc=${(0.5 + (step % 500) / 1000).toFixed(3)}`)} tokens/s=${41000 + (step % 977)}`,
      stream: 'stdout',
    };
  return { text: `${green('INFO')} step ${step} loss=${bold(loss)} lr=3.0e-4 grad_norm=${(1 + (step % 7) / 10).toFixed(2)}`, stream: 'stdout' };
}

/** A long line, as jobs print their whole config: wraps or scrolls sideways. */
export function configLine(epoch: number): string {
  const settings = Array.from({ length: 24 }, (_, i) => `"param_${i}": ${((epoch * 31 + i * 17) % 997) / 10}`);
  return `${green('INFO')} config for epoch ${epoch}: {${settings.join(', ')}}`;
}

/**
 * Line `n` (from 0) of the single-source training job of `lineCount` lines, which ends with exit
 * code 1. Each period of 1 000 lines: an epoch header, tqdm's leading `\r` (an empty line), a bar
 * redrawn 20 times, a blank line, the epoch's config, then steps. Every 100th period logs an error
 * (`logger.exception`: an `ERROR:train:` line, the only kind of error line a plain-text level word
 * marks) with its traceback; the job's last six lines are the traceback it died of.
 */
export function trainingLine(n: number, lineCount: number): SyntheticLine {
  const time = START + n * 10;
  const line = (text: string, stream: Stream = 'stdout', end: Terminator = '\n'): SyntheticLine => ({ text, stream, end, time });
  if (n >= lineCount - TRACEBACK.length) {
    const i = n - (lineCount - TRACEBACK.length);
    return line(i === TRACEBACK.length - 1 ? red(TRACEBACK[i]!) : TRACEBACK[i]!, 'stderr');
  }
  const period = Math.floor(n / PERIOD);
  const offset = n % PERIOD;
  const epoch = period + 1;
  const step = period * 1000 + offset;
  if (offset === 0) return line(palette(45, `== epoch ${epoch} · shard ${period % 8} ==`));
  if (offset === 1) return line('', 'stderr', '\r');
  if (offset <= BAR_STATES + 2)
    return line(barState(epoch, Math.round(((offset - 1) / (BAR_STATES + 1)) * 100), 100), 'stderr', offset === BAR_STATES + 2 ? '\n' : '\r');
  if (offset === 23) return line('');
  if (offset === 24) return line(configLine(epoch));
  if (period % 100 === 50 && offset >= ERROR_AT && offset <= ERROR_AT + TRACEBACK.length) {
    if (offset === ERROR_AT) return line(`ERROR:train:step ${step} failed, skipping the batch`, 'stderr');
    const i = offset - ERROR_AT - 1;
    return line(i === TRACEBACK.length - 1 ? red(TRACEBACK[i]!) : TRACEBACK[i]!, 'stderr');
  }
  const printed = stepLine(step);
  return line(printed.text, printed.stream);
}

/** The states of the progress bar whose first state is line `n` (tqdm's empty one), or none. */
function barRun(n: number, lineCount: number): SyntheticLine[] {
  if (n % PERIOD !== 1 || n + BAR_STATES + 2 > lineCount - TRACEBACK.length) return [];
  return Array.from({ length: BAR_STATES + 2 }, (_, i) => trainingLine(n + i, lineCount));
}

/** The ranks of the multi-source job. */
export const RANKS = ['rank-0', 'rank-1', 'rank-2', 'rank-3'] as const;

/**
 * Line `i` of rank `rank` of the 4-rank job as a real pipeline stores it: the ranks print
 * interleaved by capture time; each rank's data-loader bar is redrawn with `\r` (lines 10–19);
 * rank-2 prints a traceback (ending in its exception: an error) at lines 3000–3005 and exits with 1.
 */
export function multiSourceLine(rank: number, i: number): SyntheticLine {
  const time = START + i * 40 + rank * 7;
  if (i >= 10 && i < 20)
    return { text: barState(1, (i - 9) * 10, 100).replace('epoch 1', `loader r${rank}`), stream: 'stderr', end: i === 19 ? '\n' : '\r', time };
  if (rank === 2 && i >= 3000 && i < 3000 + TRACEBACK.length) return { text: TRACEBACK[i - 3000]!, stream: 'stderr', end: '\n', time };
  return { ...stepLine((i - (rank === 2 && i >= 3000 + TRACEBACK.length ? TRACEBACK.length - 1 : 0)) * 4 + rank), end: '\n', time };
}

/** Stores a generated line; an empty one only takes its number (the API does not return it). */
function store(job: StoredJob, source: string, n: number, line: SyntheticLine): void {
  if (line.text === '') job.skipEmpty(source);
  else job.print({ source, line: n, ...line });
}

/**
 * A finished single-source job of `lineCount` line numbers (1 000 000 by default) that ends with
 * exit code 1: {@link trainingLine} for each.
 */
export function createTrainingJob(store_: JobStore, jobId: string, lineCount = 1_000_000): StoredJob {
  const job = store_.create({ jobId, startedAt: START, sources: ['main'] });
  for (let n = 0; n < lineCount; n++) {
    const bar = barRun(n, lineCount);
    if (bar.length === 0) store(job, 'main', n, trainingLine(n, lineCount));
    else {
      // As the indexer stores a bar: one line at its first state's place, its final state, standing for the whole run.
      const final = bar.at(-1)!;
      job.print({ source: 'main', line: n, ...bar[0]!, text: final.text, end: final.end, span: bar.length, redraws: bar.slice(0, -1).map((s) => s.text) });
      n += bar.length - 1;
    }
  }
  job.finish('main', 1, START + (lineCount + 10) * 10);
  return job;
}

/**
 * A finished 4-rank job as the reference API serves it, with what only the reference has today
 * (issue 14): rank-2's traceback is one grouped event (`span`), and each rank's data-loader bar
 * comes already collapsed (`redraws`, its earlier states behind `GET /jobs/{jobId}/redraws`).
 */
export function createMultiSourceJob(store_: JobStore, jobId: string, linesPerRank = 5_000): StoredJob {
  const job = store_.create({ jobId, startedAt: START, sources: [...RANKS] });
  for (let n = 0; n < linesPerRank; n++) {
    RANKS.forEach((source, r) => {
      const time = START + n * 40 + r * 7;
      if (n === 10) {
        const states = Array.from({ length: 9 }, (_, i) => barState(1, (i + 1) * 10, 100).replace('epoch 1', `loader r${r}`));
        job.print({ source, time, text: barState(1, 100, 100).replace('epoch 1', `loader r${r}`), stream: 'stderr', redraws: states });
      } else if (n === 3000 && source === 'rank-2') {
        job.print({ source, time, text: TRACEBACK.join('\n'), stream: 'stderr', level: 'error', span: TRACEBACK.length });
      } else {
        job.print({ source, time, ...stepLine(n * 4 + r) });
      }
    });
  }
  RANKS.forEach((source, r) => job.finish(source, r === 2 ? 1 : 0, START + linesPerRank * 40 + 100));
  return job;
}

/** A running job with a few lines printed; tests print more with `job.print()` and `job.wake()`. */
export function createRunningJob(store_: JobStore, jobId: string, lines = 50): StoredJob {
  const job = store_.create({ jobId, startedAt: Date.now() - lines * 100, sources: ['main'] });
  for (let n = 0; n < lines; n++) job.print({ source: 'main', time: Date.now() - (lines - n) * 100, ...stepLine(n) });
  return job;
}
