/**
 * What the robustness suites actually observed, one JSON file per suite under
 * `.local/suite-results/`; `npm run suite:report` renders them into docs/robustness.md.
 *
 * @example
 * writeSuiteResults({ suite: 'faults', title: 'Faults', rows: [{ name, input, expected, observed, pass }] });
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { LOCAL_DIR } from './paths.js';

export const SUITE_RESULTS_DIR = path.join(LOCAL_DIR, 'suite-results');

export interface SuiteRow {
  /** Scenario, input kind or check, as named in the test. */
  name: string;
  /** What was tried, in one line. */
  input: string;
  /** What the suite requires. */
  expected: string;
  /** What it saw (generated from the run, never copied from `expected`). */
  observed: string;
  pass: boolean;
}

export interface SuiteResults {
  suite: string;
  title: string;
  /** Notes for the table, e.g. the scale inputs were run at. */
  notes?: string[];
  rows: SuiteRow[];
}

export function writeSuiteResults(results: SuiteResults): void {
  mkdirSync(SUITE_RESULTS_DIR, { recursive: true });
  writeFileSync(path.join(SUITE_RESULTS_DIR, `${results.suite}.json`), `${JSON.stringify(results, null, 2)}\n`);
}

/** Every suite's results of the last run; undefined when no suite has run yet. */
export function readSuiteResults(): SuiteResults[] | undefined {
  if (!existsSync(SUITE_RESULTS_DIR)) return undefined;
  return readdirSync(SUITE_RESULTS_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(path.join(SUITE_RESULTS_DIR, f), 'utf8')) as SuiteResults);
}
