/**
 * The one way a benchmark measures: interleaved rounds (round 1 runs every variant once, round 2
 * again, …: A, B, A, B), each run compared with the baseline's run of the same round, every figure
 * summarised as median (min–max) over the rounds, the aims judged on the summary, and the raw runs
 * kept as JSON under `.local/bench/results/`. A wide spread means the machine was busy: rerun with
 * more rounds rather than trusting one figure.
 *
 * `measure` does one run of one variant — usually {@link runChild}, one fresh process per run.
 *
 * @example
 * await runRounds({
 *   name: 'indexer-cpu',
 *   variants: ['baseline', 'indexChunk'],
 *   baseline: 'baseline',
 *   rounds: 5,
 *   measure: (variant) => runChild(SCRIPT, ['--child', variant, '--file', file]),
 *   columns: [
 *     { label: 'time s', value: (r) => r.ms / 1000, digits: 2 },
 *     { label: 'ratio', value: (r, base) => base.ms / r.ms, digits: 3 },
 *   ],
 *   aim: [{ variant: 'indexChunk', column: 'ratio', atLeast: 0.35 }],
 * });
 */
import path from 'node:path';
import { formatSpread, spread, type Spread } from '../stats.js';
import { machineNote, printTable, saveResults } from './report.js';

/** One figure of a run; `baseline` is the run of the variant's baseline in the same round. */
export interface Column<R> {
  label: string;
  value: (run: R, baseline: R) => number | undefined;
  digits: number;
  /** Appended to the summary's figures (e.g. `×`, `%`). */
  unit?: string;
}

/** What the summary must show: a column's median (or max) over the rounds for one variant. */
export interface Aim<V extends string> {
  variant: V;
  column: string;
  atLeast?: number;
  atMost?: number;
  /** Judge the max over the rounds instead of the median (a ceiling no round may pass). */
  stat?: 'median' | 'max';
}

export interface RunRoundsOptions<V extends string, R> {
  /** Names the results file. */
  name: string;
  /** Every round runs them in this order. */
  variants: readonly V[];
  /** The variant each run is compared with (one for all, or per variant). */
  baseline: V | ((variant: V) => V);
  rounds: number;
  /** An unmeasured round first (a cold service flatters whichever variant runs second). */
  warmup?: boolean;
  measure: (variant: V, round: number) => Promise<R>;
  columns: ReadonlyArray<Column<R>>;
  aim: ReadonlyArray<Aim<V>>;
  /** Saved in the results file beside the runs (options, fixture, machine facts). */
  context?: Record<string, unknown>;
  /** Write the results file (default true). */
  save?: boolean;
}

export interface RoundsSummary<V extends string> {
  variant: V;
  figures: Record<string, Spread>;
}

export interface RoundsResult<V extends string, R> {
  runs: Array<{ variant: V; round: number; result: R; figures: Record<string, number> }>;
  summary: Array<RoundsSummary<V>>;
  /** True when every aim is met. */
  met: boolean;
  file: string | undefined;
}

/** Runs the rounds, prints the per-run table, the summary and the aims, and saves the results. */
export async function runRounds<V extends string, R>(o: RunRoundsOptions<V, R>): Promise<RoundsResult<V, R>> {
  const runs: RoundsResult<V, R>['runs'] = [];
  for (let round = o.warmup ? 0 : 1; round <= o.rounds; round++) {
    const results = new Map<V, R>();
    for (const variant of o.variants) results.set(variant, await o.measure(variant, round));
    if (round === 0) {
      console.error(`[bench] warm-up round done (not counted)`);
      continue;
    }
    for (const [variant, result] of results) runs.push({ variant, round, result, figures: figuresOf(o, variant, result, results) });
  }
  printRuns(o, runs);
  const summary = o.variants.map((variant) => summarise(o, variant, runs));
  console.log(`\n## summary: median (min–max) over ${o.rounds} round${o.rounds === 1 ? '' : 's'}\n`);
  printTable(
    ['variant', ...o.columns.map((c) => c.label)],
    summary.map((s) => [s.variant, ...o.columns.map((c) => (s.figures[c.label] ? formatSpread(s.figures[c.label]!, c.digits, c.unit) : ''))]),
  );
  const met = judge(o.aim, summary);
  const file = o.save === false ? undefined : saveResults(o.name, { machine: machineNote(), ...o.context, runs, summary });
  if (file) console.log(`raw results: ${path.relative(process.cwd(), file)}`);
  return { runs, summary, met, file };
}

function figuresOf<V extends string, R>(o: RunRoundsOptions<V, R>, variant: V, result: R, round: ReadonlyMap<V, R>): Record<string, number> {
  const baselineOf = typeof o.baseline === 'function' ? o.baseline(variant) : o.baseline;
  const baseline = round.get(baselineOf);
  if (baseline === undefined) throw new Error(`the baseline ${baselineOf} of ${variant} is not among the variants`);
  const figures: Record<string, number> = {};
  for (const column of o.columns) {
    const value = column.value(result, baseline);
    if (value !== undefined && Number.isFinite(value)) figures[column.label] = value;
  }
  return figures;
}

function printRuns<V extends string, R>(o: RunRoundsOptions<V, R>, runs: RoundsResult<V, R>['runs']): void {
  const cell = (figures: Record<string, number>, c: Column<R>): string => (figures[c.label] === undefined ? '' : figures[c.label]!.toFixed(c.digits));
  printTable(
    ['round', 'variant', ...o.columns.map((c) => c.label)],
    runs.map((r) => [String(r.round), r.variant, ...o.columns.map((c) => cell(r.figures, c))]),
  );
}

function summarise<V extends string, R>(o: RunRoundsOptions<V, R>, variant: V, runs: RoundsResult<V, R>['runs']): RoundsSummary<V> {
  const mine = runs.filter((r) => r.variant === variant);
  const figures: Record<string, Spread> = {};
  for (const c of o.columns) {
    const values = mine.map((r) => r.figures[c.label]).filter((v): v is number => v !== undefined);
    if (values.length > 0) figures[c.label] = spread(values);
  }
  return { variant, figures };
}

/** Prints one line per aim; true when all are met. */
function judge<V extends string>(aims: ReadonlyArray<Aim<V>>, summary: ReadonlyArray<RoundsSummary<V>>): boolean {
  let met = true;
  if (aims.length > 0) console.log('');
  for (const aim of aims) {
    const figure = summary.find((s) => s.variant === aim.variant)?.figures[aim.column];
    const value = figure?.[aim.stat ?? 'median'];
    const ok = value !== undefined && (aim.atLeast === undefined || value >= aim.atLeast) && (aim.atMost === undefined || value <= aim.atMost);
    met &&= ok;
    const bound = aim.atLeast !== undefined ? `≥ ${aim.atLeast}` : `≤ ${aim.atMost}`;
    const shown = value === undefined ? 'no figure' : `${aim.stat === 'max' ? 'max ' : ''}${Number(value.toPrecision(4))}`;
    console.log(`${aim.variant}: ${aim.column} ${shown} — ${ok ? 'meets' : 'MISSES'} the aim of ${bound}`);
  }
  return met;
}
