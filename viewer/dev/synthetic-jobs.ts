/**
 * Jobs the reference server starts with, generated deterministically: what a training job
 * really prints (ANSI colours, tqdm bars redrawn with `\r`, warnings, tracebacks, empty lines).
 */
import type { JobStore, Level, PrintedLine, StoredJob } from './job-store.js';

const START = Date.parse('2026-11-25T10:00:00.000Z');
const ESC = '\x1b[';
const green = (s: string): string => `${ESC}32m${s}${ESC}0m`;
const yellow = (s: string): string => `${ESC}33m${s}${ESC}0m`;
const red = (s: string): string => `${ESC}1;31m${s}${ESC}0m`;
const bold = (s: string): string => `${ESC}1m${s}${ESC}0m`;
const palette = (n: number, s: string): string => `${ESC}38;5;${n}m${s}${ESC}0m`;
const truecolor = (r: number, g: number, b: number, s: string): string => `${ESC}38;2;${r};${g};${b}m${s}${ESC}0m`;

/** Lines per period: a header, a progress bar, then training steps. */
const PERIOD = 1000;
const BAR_STATES = 20;
/** Where in its period a traceback starts (every 100th period). */
const TRACEBACK_AT = 30;

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

export function stepLine(step: number): { text: string; level: Level; stream: 'stdout' | 'stderr' } {
  const loss = (2.5 / Math.log(step + 3)).toFixed(4);
  if (step % 97 === 0) return { text: `${yellow('WARNING')} step ${step}: grad norm ${(step % 13) + 5}.0 clipped to 1.0`, level: 'warn', stream: 'stderr' };
  if (step % 250 === 0) return { text: `${truecolor(255, 105, 180, 'metrics')} step=${step} ${palette(45, `acc=${(0.5 + (step % 500) / 1000).toFixed(3)}`)} tokens/s=${41000 + (step % 977)}`, level: 'info', stream: 'stdout' };
  return { text: `${green('INFO')} step ${step} loss=${bold(loss)} lr=3.0e-4 grad_norm=${(1 + (step % 7) / 10).toFixed(2)}`, level: 'info', stream: 'stdout' };
}

/** A long line, as jobs print their whole config: wraps or scrolls sideways. */
export function configLine(epoch: number): string {
  const settings = Array.from({ length: 24 }, (_, i) => `"param_${i}": ${((epoch * 31 + i * 17) % 997) / 10}`);
  return `${green('INFO')} config for epoch ${epoch}: {${settings.join(', ')}}`;
}

/** Prints one period (≤ PERIOD line numbers) of a training job's main source. */
function printPeriod(job: StoredJob, source: string, period: number, lineCount: number, withTraceback: boolean): void {
  const base = period * PERIOD;
  const epoch = period + 1;
  const time = (n: number): number => START + n * 10;
  const print = (p: Omit<PrintedLine, 'source'>): void => job.print({ source, ...p });
  const end = Math.min(base + PERIOD, lineCount);
  for (let n = base; n < end; n++) {
    const offset = n - base;
    if (offset === 0) print({ line: n, time: time(n), text: palette(45, `== epoch ${epoch} · shard ${period % 8} ==`), level: 'none' });
    else if (offset === 1 || offset === 23) job.skipEmpty(source); // tqdm's leading "\r" and a blank line
    else if (offset === 24) print({ line: n, time: time(n), text: configLine(epoch), level: 'info' });
    else if (offset <= BAR_STATES + 2) {
      const done = Math.round(((offset - 1) / (BAR_STATES + 1)) * 100);
      print({ line: n, time: time(n), text: barState(epoch, done, 100), stream: 'stderr', end: offset === BAR_STATES + 2 ? '\n' : '\r' });
    } else if (withTraceback && offset >= TRACEBACK_AT && offset < TRACEBACK_AT + TRACEBACK.length) {
      const text = TRACEBACK[offset - TRACEBACK_AT]!;
      print({ line: n, time: time(n), text: offset === TRACEBACK_AT + TRACEBACK.length - 1 ? red(text) : text, stream: 'stderr', level: 'error' });
    } else {
      const step = period * 1000 + offset;
      print({ line: n, time: time(n), ...stepLine(step) });
    }
  }
}

/**
 * A finished single-source job of `lineCount` line numbers (1 000 000 by default) that ends with
 * exit code 1: every 100th period holds a traceback, and the last lines are one.
 */
export function createTrainingJob(store: JobStore, jobId: string, lineCount = 1_000_000): StoredJob {
  const job = store.create({ jobId, startedAt: START, sources: ['main'] });
  const periods = Math.ceil(lineCount / PERIOD);
  for (let period = 0; period < periods; period++) printPeriod(job, 'main', period, lineCount - TRACEBACK.length, period % 100 === 50);
  TRACEBACK.forEach((text, i) =>
    job.print({ source: 'main', line: lineCount - TRACEBACK.length + i, time: START + (lineCount + i) * 10, text: i === TRACEBACK.length - 1 ? red(text) : text, stream: 'stderr', level: 'error' }),
  );
  job.finish('main', 1, START + (lineCount + 10) * 10);
  return job;
}

/**
 * A finished 4-rank job: ranks print interleaved by capture time; rank-2 reports a traceback
 * as one grouped event (`span`), and each rank's data-loader bar comes already collapsed
 * (`redraws`, with its earlier states behind `GET /jobs/{jobId}/redraws`).
 */
export function createMultiSourceJob(store: JobStore, jobId: string, linesPerRank = 5_000): StoredJob {
  const ranks = ['rank-0', 'rank-1', 'rank-2', 'rank-3'];
  const job = store.create({ jobId, startedAt: START, sources: ranks });
  for (let n = 0; n < linesPerRank; n++) {
    ranks.forEach((source, r) => {
      const time = START + n * 40 + r * 7;
      if (n === 10) {
        const states = Array.from({ length: 9 }, (_, i) => barState(1, (i + 1) * 10, 100).replace('epoch 1', `loader r${r}`));
        job.print({ source, time, text: barState(1, 100, 100).replace('epoch 1', `loader r${r}`), stream: 'stderr', redraws: states });
      } else if (n === 3000 && source === 'rank-2') {
        job.print({ source, time, text: TRACEBACK.slice(0, 5).join('\n'), stream: 'stderr', level: 'error', span: 5 });
      } else {
        const step = stepLine(n * 4 + r);
        job.print({ source, time, text: step.text, level: step.level, stream: step.stream });
      }
    });
  }
  ranks.forEach((source, r) => job.finish(source, r === 2 ? 1 : 0, START + linesPerRank * 40 + 100));
  return job;
}

/** A running job with a few lines printed; tests print more with `job.print()` and `job.wake()`. */
export function createRunningJob(store: JobStore, jobId: string, lines = 50): StoredJob {
  const job = store.create({ jobId, startedAt: Date.now() - lines * 100, sources: ['main'] });
  for (let n = 0; n < lines; n++) job.print({ source: 'main', time: Date.now() - (lines - n) * 100, ...stepLine(n) });
  return job;
}
