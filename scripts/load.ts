/**
 * The load run of issue 6 (item 4; testkit/load): simulated concurrent jobs ship through the local stack at a
 * realistic mix of rates; prints lines/s held, freshness p50/p95/p99, SQS age and errors, then
 * checks that every printed line is in Elasticsearch exactly once (and in the sampled download
 * files). Exits 1 when the invariant does not hold. Loopback only: it talks to the local stack.
 *
 *   npm run load                                   # 300 jobs for 10 minutes, 5 % followed (stack.ts up first)
 *   npm run load -- --jobs 50 --minutes 1          # smaller
 *   npm run load -- --jobs 40 --minutes 2 --watched 10%   # 4 of them followed through the logs API's tail
 *   npm run load -- --idle-flush-ms 60000 --rate-scale 2  # what-ifs
 *
 * Writes docs/load.md (unless --no-doc) and .local/load/last.json with every figure.
 * `npm run load` sets UV_THREADPOOL_SIZE=16: the simulated jobs share one process, so their gzip
 * and spool writes share one libuv thread pool (4 threads by default), where real jobs each have
 * their own.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { LOCAL_DIR, REPO_ROOT } from '../testkit/index.js';
import { LoadBounds, LoadDefaults, renderLoadDoc, runLoad, summaryLines, type LoadOptions } from '../testkit/load/index.js';
import { pauseHost } from '../testkit/stack/host.js';
import { awsLocalEnv, readStackFile, type ProvisionedStack } from '../testkit/stack/index.js';

const USAGE = `usage: tsx scripts/load.ts [--jobs N] [--minutes M] [--watched P%] [--flush-ms MS] [--idle-flush-ms MS]
       [--fresh-start-ms MS] [--watch-poll-ms MS] [--indexers N] [--rate-scale X]
       [--seed N] [--drain-timeout S] [--download-sample N] [--max-lines N] [--no-doc]
defaults: ${JSON.stringify(LoadDefaults)}`;

function bounded(name: keyof typeof LoadBounds, raw: string | undefined, fallback: number, problems: string[]): number {
  const value = raw === undefined ? fallback : Number(raw);
  const [min, max] = LoadBounds[name];
  if (!Number.isFinite(value) || value < min || value > max) problems.push(`--${name} must be a number in [${min}, ${max}], got ${raw}`);
  return value;
}

/** `10%` → `0.1`; a plain number is a share already. */
function share(raw: string | undefined): string | undefined {
  return raw?.trim().endsWith('%') ? String(Number(raw.trim().slice(0, -1)) / 100) : raw;
}

export function parseLoadArgs(argv: string[]): { options: Omit<LoadOptions, 'log'>; writeDoc: boolean } {
  const { values } = parseArgs({
    args: argv,
    options: {
      jobs: { type: 'string' },
      minutes: { type: 'string' },
      'flush-ms': { type: 'string' },
      'idle-flush-ms': { type: 'string' },
      'fresh-start-ms': { type: 'string' },
      'watch-poll-ms': { type: 'string' },
      watched: { type: 'string' },
      indexers: { type: 'string' },
      'rate-scale': { type: 'string' },
      seed: { type: 'string' },
      'drain-timeout': { type: 'string' },
      'download-sample': { type: 'string' },
      'max-lines': { type: 'string' },
      'no-doc': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const problems: string[] = [];
  const d = LoadDefaults;
  const options = {
    jobs: Math.round(bounded('jobs', values.jobs, d.jobs, problems)),
    durationMs: Math.round(bounded('minutes', values.minutes, d.minutes, problems) * 60_000),
    flushIntervalMs: Math.round(bounded('flushIntervalMs', values['flush-ms'], d.flushIntervalMs, problems)),
    idleFlushIntervalMs: Math.round(bounded('idleFlushIntervalMs', values['idle-flush-ms'], d.idleFlushIntervalMs, problems)),
    freshStartMs: Math.round(bounded('freshStartMs', values['fresh-start-ms'], d.freshStartMs, problems)),
    watchPollIntervalMs: Math.round(bounded('watchPollIntervalMs', values['watch-poll-ms'], d.watchPollIntervalMs, problems)),
    // `10%` or `0.1`
    watchedShare: bounded('watchedShare', share(values.watched), d.watchedShare, problems),
    indexers: Math.round(bounded('indexers', values.indexers, d.indexers, problems)),
    rateScale: bounded('rateScale', values['rate-scale'], d.rateScale, problems),
    drainTimeoutMs: Math.round(bounded('drainTimeoutS', values['drain-timeout'], d.drainTimeoutS, problems) * 1000),
    maxLines: Math.round(bounded('maxLines', values['max-lines'], d.maxLines, problems)),
    downloadSample: Math.max(0, Math.round(Number(values['download-sample'] ?? d.downloadSample))),
    seed: Math.round(Number(values.seed ?? d.seed)),
    jobPrefix: `load-${Date.now().toString(36)}`,
    chattyShare: d.chattyShare,
    burstyShare: d.burstyShare,
    probeEveryMs: d.probeEveryMs,
    probePollMs: d.probePollMs,
    retryDelayS: d.retryDelayS,
  };
  if (!Number.isFinite(options.seed) || !Number.isFinite(options.downloadSample)) problems.push('--seed and --download-sample must be numbers');
  if (problems.length > 0) {
    console.error(`[load] ${problems.join('; ')}\n${USAGE}`);
    process.exit(2);
  }
  return { options, writeDoc: !values['no-doc'] };
}

async function main(): Promise<void> {
  const { options, writeDoc } = parseLoadArgs(process.argv.slice(2));
  const stack = readStackFile();
  if (!stack?.resources) throw new Error('The local stack is not up: run `npx tsx scripts/stack.ts up` first (npm run load does)');
  // The followers' logs API (in this process) reads the registry and writes watch signals on the stack's moto.
  Object.assign(process.env, awsLocalEnv(stack as ProvisionedStack));
  // The load run starts its own functions (several indexers) on the stack's queues: the host waits.
  const resumeHost = await pauseHost();
  const report = await runLoad(stack as ProvisionedStack, { ...options, log: (line) => console.log(line) }).finally(resumeHost);
  console.log('');
  for (const line of summaryLines(report)) console.log(`[load] ${line}`);
  for (const problem of report.invariant.problems) console.log(`[load]   ${problem}`);
  for (const note of report.notes) console.log(`[load] note: ${note}`);
  const dir = path.join(LOCAL_DIR, 'load');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'last.json'), `${JSON.stringify(report, null, 2)}\n`);
  if (writeDoc) {
    const args = process.argv.slice(2).join(' ');
    writeFileSync(path.join(REPO_ROOT, 'docs', 'load.md'), renderLoadDoc(report, `npm run load${args ? ` -- ${args}` : ''}`));
    console.log('[load] wrote docs/load.md and .local/load/last.json');
  }
  if (!report.invariant.holds) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error('[load] failed:', error);
  process.exitCode = 1;
});
