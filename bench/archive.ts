/**
 * A page from the middle of an archived 1 000 000-line job (docs/archive.md) against the same page
 * from Elasticsearch, measured in the same run, both through the logs API as a client sees it
 * (HTTP, the real handler and middy chain, a verified token, the registration read):
 *
 * - `cluster-middle`: the job's documents are in the cluster: one `_search` per page;
 * - `archive-middle`: the same job seen by a stage whose cluster has aged it out (the same API with
 *   `STAGE` of a stage that holds no documents): the page comes from the job's archive in S3 with
 *   ranged reads of its members — the index read once per container, as deployed.
 *
 * Each call asks for a different page near the middle (`after=<cursor>&limit=200`), so neither
 * side answers from a cache of the page itself. Aim: archive ≤ 2× cluster. Also printed: the
 * archive's bytes per printed byte (the cost model's ARCHIVE_BYTES_PER_RAW_BYTE, docs/cost.md).
 *
 * With `--build`: what building the archive costs the assembler — `archiveJob` of the same job in
 * process (its chunks read again through the dry-run indexer), against assembling its download
 * file (`assembleJob`), the work the assembler did for a job before archives; both rewrite the
 * same bytes (deterministic).
 *
 *   tsx bench/archive.ts [--rounds 3] [--calls 50] [--build]
 *
 * The 1M-line job is shipped, indexed and archived once and kept (its id names the fixture's version).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { archiveJob } from '../functions/assembler/archive-job.js';
import { assembleJob } from '../functions/assembler/assemble-job.js';
import { assemblerAdapters } from '../functions/assembler/create-handler.js';
import type { AssemblerDeps } from '../functions/assembler/deps.js';
import { createLogger } from '../shared/adapters/logger.js';
import { loadAssemblerConfig } from '../shared/config/assembler-config.js';
import { archiveKeys, parseArchiveIndex } from '../shared/core/archive/index.js';
import { discardSink, eventually, percentiles, readObject, registerTestJob, shipLines } from '../testkit/index.js';
import { machineNote, requireNode24, runRounds } from '../testkit/bench/index.js';
import { startIssuer, startLocalApi, type HttpApi } from '../testkit/http/index.js';
import { startLocalPipeline } from '../testkit/pipeline/index.js';
import { awsLocalEnv, loadStack, withLocalStack, type LocalStack } from '../testkit/stack/index.js';
import { trainingLine } from '../viewer/dev/synthetic-jobs.js';

const FIXTURE = { jobId: 'bench-archive-1m-v1', lines: 1_000_000 } as const;
const PAGE = 200;
const RATIO_AIM = 2;
/** A stage whose cluster holds nothing: every finished job of the bucket is aged out there. */
const AGED_STAGE = 'agedout';

interface Api {
  get<T>(route: string): Promise<T>;
}

function apiOf(server: HttpApi, token: string): Api {
  return {
    async get<T>(route: string): Promise<T> {
      const response = await fetch(`${server.url}${route}`, { headers: { authorization: `Bearer ${token}` } });
      if (response.status !== 200) throw new Error(`GET ${route}: ${response.status} ${(await response.text()).slice(0, 300)}`);
      return (await response.json()) as T;
    },
  };
}

/** Ships, indexes and archives the 1M-line job unless an earlier run left it so. */
async function ensureFixture(stack: LocalStack, api: Api): Promise<void> {
  const summary = await api.get<{ status: string }>(`/jobs/${FIXTURE.jobId}`).catch(() => undefined);
  const archived = await readObject(stack.s3, stack.bucket, archiveKeys(FIXTURE.jobId).index).catch(() => undefined);
  if (summary?.status === 'complete' && archived) return;
  console.log(`[bench] shipping, indexing and archiving ${FIXTURE.jobId} (1 000 000 lines, once; kept for later runs)`);
  const pipeline = await startLocalPipeline({ stack, indexer: { concurrency: 2 }, assembler: {}, logStream: discardSink() });
  try {
    const started = Date.now();
    if (!summary) {
      await registerTestJob(stack.s3, stack.bucket, FIXTURE.jobId);
      const line = (n: number) => trainingLine(n, FIXTURE.lines);
      await shipLines({
        s3: stack.s3,
        bucket: stack.bucket,
        jobId: FIXTURE.jobId,
        spoolDir: mkdtempSync(path.join(tmpdir(), 'joblogs-bench-archive-')),
        count: FIXTURE.lines,
        text: (n) => line(n).text,
        stream: (n) => line(n).stream,
        end: (n) => (line(n).end === '\r' ? '\r' : '\n'),
        time: (n) => line(n).time,
        exitCode: 1,
      });
    }
    await eventually(
      () => api.get<{ status: string }>(`/jobs/${FIXTURE.jobId}`),
      (s) => s.status === 'complete',
      'the 1M-line job indexed',
      1_800_000,
    );
    await eventually(
      () => readObject(stack.s3, stack.bucket, archiveKeys(FIXTURE.jobId).index).catch(() => undefined),
      (b) => b !== undefined,
      'the 1M-line job archived',
      900_000,
    );
    console.log(`[bench] fixture ready in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  } finally {
    await pipeline.stop();
  }
}

async function timeCalls(calls: number, call: (i: number) => Promise<unknown>): Promise<{ p50: number; p95: number; mean: number }> {
  const ms: number[] = [];
  for (let i = 0; i < calls; i++) {
    const started = process.hrtime.bigint();
    await call(i);
    ms.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  const { p50, p95 } = percentiles(ms);
  return { p50, p95, mean: ms.reduce((a, b) => a + b, 0) / ms.length };
}

/** Cursors of `count` pages from the middle on (the cluster's, identical to the archive's: checked). */
async function middleCursors(cluster: Api, archive: Api, count: number): Promise<string[]> {
  const middleAt = new Date(Date.parse('2026-11-25T10:00:00.000Z') + (FIXTURE.lines / 2) * 10).toISOString();
  const route = `/jobs/${FIXTURE.jobId}/lines?at=${middleAt}&limit=${PAGE}`;
  const [a, b] = await Promise.all([
    cluster.get<{ lines: unknown[]; next: string }>(route),
    archive.get<{ lines: unknown[]; next: string; archive?: boolean }>(route),
  ]);
  if (b.archive !== true) throw new Error('the aged-out stage did not answer from the archive');
  if (JSON.stringify(a.lines) !== JSON.stringify(b.lines)) throw new Error('the archive answered another page than the cluster');
  const cursors = [a.next];
  while (cursors.length < count) cursors.push((await cluster.get<{ next: string }>(`/jobs/${FIXTURE.jobId}/lines?after=${cursors.at(-1)}&limit=${PAGE}`)).next);
  return cursors;
}

/** The archive's size against the bytes the job printed. */
async function archiveRatio(stack: LocalStack): Promise<void> {
  const index = parseArchiveIndex((await readObject(stack.s3, stack.bucket, archiveKeys(FIXTURE.jobId).index)).toString('utf8'), FIXTURE.jobId);
  const indexBytes = (await readObject(stack.s3, stack.bucket, archiveKeys(FIXTURE.jobId).index)).length;
  let printed = 0;
  for (let n = 0; n < FIXTURE.lines; n++) printed += Buffer.byteLength(trainingLine(n, FIXTURE.lines).text) + 1;
  console.log(
    `\narchive: ${index.records.toLocaleString('en')} documents in ${index.members.length} members, ${(index.bytes / 1e6).toFixed(1)} MB + index ${(indexBytes / 1e3).toFixed(0)} KB ` +
      `for ${(printed / 1e6).toFixed(1)} MB printed: ${((index.bytes + indexBytes) / printed).toFixed(3)} B per B printed`,
  );
}

/** The assembler's deps on the local stack, as its handler builds them (no queue: nothing is sent). */
function assemblerDeps(stack: LocalStack): AssemblerDeps {
  const fn = stack.info.resources.assembler;
  const config = loadAssemblerConfig({ ...fn.environment, ...awsLocalEnv(stack.info), S3_FORCE_PATH_STYLE: 'true' });
  return {
    config,
    ...assemblerAdapters(config, stack.s3),
    queue: { send: async () => undefined },
    logger: createLogger('bench-assembler', discardSink()),
    now: Date.now,
  };
}

interface BuildTime {
  seconds: number;
  cpuSeconds: number;
}

/** Building the archive against assembling the download file, each of the whole 1M-line job. */
async function buildCost(stack: LocalStack, rounds: number): Promise<void> {
  const deps = assemblerDeps(stack);
  const record = await deps.jobs.readJob(FIXTURE.jobId);
  console.log(`\n## building: the archive vs the download file of the same 1 000 000-line job, in process, ${rounds} rounds\n`);
  const timed = async (work: () => Promise<{ kind: string }>): Promise<BuildTime> => {
    const started = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    const outcome = await work();
    if (outcome.kind !== 'assembled' && outcome.kind !== 'archived') throw new Error(`unexpected outcome ${outcome.kind}`);
    const used = process.cpuUsage(cpu);
    return { seconds: Number(process.hrtime.bigint() - started) / 1e9, cpuSeconds: (used.user + used.system) / 1e6 };
  };
  await runRounds<'download-file' | 'archive', BuildTime>({
    name: 'archive-build',
    variants: ['download-file', 'archive'] as const,
    baseline: 'download-file',
    rounds,
    measure: (variant) =>
      timed(() =>
        variant === 'archive'
          ? archiveJob(FIXTURE.jobId, record, deps, Number.MAX_SAFE_INTEGER)
          : assembleJob({ jobId: FIXTURE.jobId }, record, deps, Number.MAX_SAFE_INTEGER),
      ),
    columns: [
      { label: 'wall s', value: (r) => r.seconds, digits: 1 },
      { label: 'cpu s', value: (r) => r.cpuSeconds, digits: 1 },
      { label: 'wall vs download', value: (r, base) => r.seconds / base.seconds, digits: 2, unit: '×' },
    ],
    // No aim: the figure is a cost (docs/cost.md, "Not in the model"), not a target.
    aim: [],
    context: { fixture: FIXTURE },
  });
}

async function main(): Promise<void> {
  requireNode24();
  const { values } = parseArgs({
    options: { rounds: { type: 'string', default: '3' }, calls: { type: 'string', default: '50' }, build: { type: 'boolean', default: false } },
  });
  const [rounds, calls] = [Number(values.rounds), Number(values.calls)];
  if (![rounds, calls].every((n) => Number.isInteger(n) && n >= 1)) throw new Error('--rounds and --calls are whole numbers ≥ 1');
  console.log(`archive bench: ${machineNote()}\n`);
  await withLocalStack(async (info) => {
    const stack = loadStack(info);
    Object.assign(process.env, awsLocalEnv(info));
    const idp = await startIssuer({ audience: info.resources.logsApi.environment['JWT_AUDIENCE']! });
    const token = await idp.token({ sub: 'alice', teams: ['vision'] }, { expiresInS: 7200 });
    const servers: HttpApi[] = [];
    try {
      servers.push(await startLocalApi({ stack: info, issuer: idp.issuer, logStream: discardSink() }));
      servers.push(await startLocalApi({ stack: info, issuer: idp.issuer, logStream: discardSink(), env: { STAGE: AGED_STAGE } }));
      const [cluster, archive] = servers.map((s) => apiOf(s, token)) as [Api, Api];
      await ensureFixture(stack, cluster);
      const cursors = await middleCursors(cluster, archive, calls);
      const page = (api: Api) => async (i: number) => {
        const body = await api.get<{ lines: unknown[] }>(`/jobs/${FIXTURE.jobId}/lines?after=${cursors[i % cursors.length]}&limit=${PAGE}`);
        if (body.lines.length !== PAGE) throw new Error(`the API returned ${body.lines.length} lines`);
      };
      console.log(`## a page from the middle: ${calls} pages × ${rounds} rounds, limit ${PAGE}, a 1 000 000-line job; archive vs cluster\n`);
      await runRounds({
        name: 'archive-pages',
        variants: ['cluster-middle', 'archive-middle'] as const,
        baseline: 'cluster-middle',
        rounds,
        warmup: true,
        measure: (variant) => timeCalls(calls, page(variant === 'cluster-middle' ? cluster : archive)),
        columns: [
          { label: 'p50 ms', value: (r) => r.p50, digits: 2 },
          { label: 'p95 ms', value: (r) => r.p95, digits: 2 },
          { label: 'mean ms', value: (r) => r.mean, digits: 2 },
          { label: 'mean vs cluster', value: (r, base) => r.mean / base.mean, digits: 2, unit: '×' },
        ],
        aim: [{ variant: 'archive-middle', column: 'mean vs cluster', atMost: RATIO_AIM }],
        context: { calls, rounds, page: PAGE, fixture: FIXTURE },
      });
      await archiveRatio(stack);
      if (values.build) await buildCost(stack, rounds);
    } finally {
      for (const s of servers) await s.close();
      await idp.close();
      await stack.close();
    }
  });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error('[bench] archive failed:', error);
    process.exit(1);
  },
);
