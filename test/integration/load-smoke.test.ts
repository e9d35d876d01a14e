/**
 * The load run of issue 6 (testkit/load; `npm run load`: 300 jobs for 10 minutes), small
 * enough for every `npm test` so its code cannot rot: 20 simulated jobs ship for 20 s at the same
 * mix, with the shipper's default 1 s flush while watched (1 of them — the default 5 % — followed through the logs
 * API's tail) and the load's idle interval otherwise, through the real stack. Asserts the invariant and
 * that every figure was produced — never their values (a shared machine decides those).
 */
import { afterAll, expect, it } from 'vitest';
import { writeSuiteResults } from '../../testkit/index.js';
import { LoadDefaults, runLoad, summaryLines, type LoadReport } from '../../testkit/load/index.js';
import { loadStack, type LocalStack } from '../../testkit/stack/index.js';

const JOBS = 20;
const SECONDS = 20;

let stack: LocalStack | undefined;
let report: LoadReport | undefined;

afterAll(async () => {
  await stack?.close();
  if (!report) return;
  writeSuiteResults({
    suite: 'load',
    title: 'Load (smoke run; the long run is `npm run load`, figures in docs/load.md)',
    notes: [
      `test/integration/load-smoke.test.ts: ${JOBS} simulated jobs (shipper library, one spool each) for ${SECONDS} s at the load mix, shipper default flush (1 s), ${report.options.indexers} indexer runners and the assembler on the local stack.`,
      'Only the invariant is required; the figures are what this run observed on a shared machine.',
    ],
    rows: [
      {
        name: 'load-smoke',
        input: `${JOBS} jobs × ${SECONDS} s: ${report.mix.slow.jobs} slow, ${report.mix.bursty.jobs} bursty, ${report.mix.chatty.jobs} chatty; ${report.printed} lines in ${report.chunks} chunks`,
        expected:
          "every printed line exactly once in Elasticsearch (by _id and content) and in every job's download file; lines/s, freshness, SQS age and errors reported",
        observed: summaryLines(report).slice(1, 7).join('; '),
        pass: report.invariant.holds,
      },
    ],
  });
});

it('simulated jobs ship through the stack under load: every printed line once in Elasticsearch and in the download files, with figures', async () => {
  stack = loadStack();
  report = await runLoad(stack.info, {
    ...LoadDefaults,
    jobs: JOBS,
    durationMs: SECONDS * 1000,
    flushIntervalMs: 1000,
    indexers: 2,
    drainTimeoutMs: 120_000,
    downloadSample: JOBS,
    maxLines: 500_000,
    jobPrefix: `load-smoke-${Date.now().toString(36)}`,
    log: () => undefined,
  });

  expect(report.invariant.problems).toEqual([]);
  expect(report.invariant).toMatchObject({ holds: true, jobsChecked: JOBS, downloadsChecked: JOBS, downloadsFailed: 0, missing: 0, extra: 0, wrongContent: 0 });
  expect(report.invariant.printed).toBe(report.printed);
  expect(report.printed).toBeGreaterThan(0);
  // The figures exist (their values depend on the machine).
  expect(report.windows.length).toBeGreaterThanOrEqual(2);
  expect(report.freshnessMs.count).toBeGreaterThan(0);
  expect(report.sqsAgeMs.count).toBeGreaterThan(0);
  for (const figure of [
    report.printedLinesPerS,
    report.indexedLinesPerS,
    report.freshnessMs.p50,
    report.freshnessMs.p95,
    report.freshnessMs.p99,
    report.sqsAgeMs.p99,
  ]) {
    expect(Number.isFinite(figure)).toBe(true);
  }
  expect(Object.values(report.errors).every((n) => Number.isInteger(n))).toBe(true);
  // Fresh when watched: a share of the jobs was followed through the logs API's tail, and both sides have figures.
  expect(report.watch.watched.jobs).toBe(Math.round(JOBS * LoadDefaults.watchedShare));
  expect(report.watch.watched.jobs + report.watch.unwatched.jobs).toBe(JOBS);
  expect(report.watch.watched.tailLines).toBeGreaterThan(0);
  // (20 s is shorter than the 30 s idle interval: unwatched jobs may upload nothing before they close.)
  for (const g of [report.watch.watched, report.watch.unwatched]) expect(Number.isFinite(g.putsPerJobHour) && Number.isInteger(g.chunks)).toBe(true);
}, 300_000);
