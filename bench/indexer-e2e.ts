/**
 * End-to-end indexing throughput against the local stack's real Elasticsearch, as a ratio against
 * a baseline measured in the same run on the same documents.
 *
 * - `baseline` the chunks' documents as bulk NDJSON bodies built *before* the clock starts, POSTed
 *              to `_bulk` through the same client and sender, with the indexer's concurrency and
 *              batch limits (BULK_CONCURRENCY, BULK_MAX_ACTIONS, BULK_MAX_BYTES defaults): what
 *              Elasticsearch can take, with no reading or parsing on our side.
 * - `indexChunk` the real `indexChunk()` with the real adapters: `s3ChunkStore` reading the gzip
 *              chunks from moto's S3, `esBulkSender(createEsClient(…))`; chunks one after another.
 *
 * Every run writes into a fresh data stream (deleted before each run), the count is checked
 * afterwards, and rounds alternate baseline, indexChunk, baseline, indexChunk…
 *
 *   tsx bench/indexer-e2e.ts [--rounds 5] [--mb 24] [--chunks 4] [--store s3|file] [--no-warmup]
 *
 * The local stack is brought up with `scripts/stack.ts up` if it is not running, and taken down
 * again at the end in that case only.
 */
import { Slots } from '../shared/core/batch/index.js';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { IndexerDeps } from '../functions/indexer/deps.js';
import { emptyStats, indexChunk } from '../functions/indexer/index-chunk.js';
import { esBulkSender } from '../shared/adapters/elasticsearch/bulk-sender.js';
import { createEsClient } from '../shared/adapters/elasticsearch/client.js';
import { installIndexTemplates, templateNames } from '../shared/adapters/elasticsearch/templates.js';
import { s3ChunkStore, type ChunkStore } from '../shared/adapters/s3/chunk-store.js';
import type { IndexerConfig } from '../shared/config/indexer-config.js';
import { backoffDelay } from '../shared/core/batch/index.js';
import { BulkBatcher, bulkBody, describeChunk, LineSplitter, readBulkResults, bulkActionWriter, EcsDocumentWriter, type BulkItem, type RawLine } from '../shared/core/ingest/index.js';
import { gunzipChunk } from '../shared/core/contract/index.js';
import { readStackFile, type StackInfo } from '../scripts/local/stack-file.js';
import { stackIsUp } from '../test/support/stack.js';
import { resetDataStream } from './data-stream.js';
import { benchConfig, CHUNK_EVENT_TIME, CHUNK_METADATA, chunkObjectKey, fileChunkStore, refusingDeadLetters, silentLogger } from './chunk-fixture.js';
import {
  formatSpread,
  machineNote,
  printTable,
  reportResult,
  requireNode24,
  runChild,
  saveResults,
  spread,
  type RunResult,
} from './measure.js';
import { BENCH_DIR, fixtureTag, GENERATOR_VERSION, gzipChunks, MB, REPO_ROOT } from './synthetic-log.js';

const SCRIPT = fileURLToPath(import.meta.url);
/** Ours/baseline docs per second the indexer should keep. */
const AIM = 0.9;
/** A stage of its own: its templates and its data stream never touch the tests' `local` stage. */
const STAGE = 'bench';
const BUCKET = 'joblogs-bench';
const JOB_ID = 'bench-e2e';
const DATA_STREAM = `logs-mlplatform.job-${STAGE}`;
const SEED = 7;

type Variant = 'baseline' | 'indexChunk';
type Store = 's3' | 'file';

interface ChildOptions {
  variant: Variant;
  dir: string;
  chunks: number;
  store: Store;
}

function chunkFile(dir: string, seq: number): string {
  return path.join(dir, `${String(seq).padStart(10, '0')}.log.gz`);
}

function configFor(stack: StackInfo): IndexerConfig {
  return benchConfig({ STAGE, LOG_BUCKET: BUCKET, ES_NODE: stack.elasticsearch.url, S3_FORCE_PATH_STYLE: 'true' });
}

function esClientFor(stack: StackInfo, config: IndexerConfig) {
  const { username, password } = stack.elasticsearch;
  return createEsClient({ node: stack.elasticsearch.url, auth: { username, password }, requestTimeoutMs: config.esRequestTimeoutMs });
}

function s3ClientFor(stack: StackInfo): S3Client {
  return new S3Client({
    region: stack.region,
    endpoint: stack.moto.url,
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
}

function requireStack(): StackInfo {
  const stack = readStackFile();
  if (!stack) throw new Error('no .local/stack.json: run `npx tsx scripts/stack.ts up`');
  return stack;
}

// ---------------------------------------------------------------------------------------------
// Child side.

/** Builds every bulk batch of the chunks exactly as indexChunk would (same batcher, same limits). */
async function buildBatches(options: ChildOptions, config: IndexerConfig): Promise<{ batches: BulkItem[][]; docs: number }> {
  const batches: BulkItem[][] = [];
  let docs = 0;
  for (let seq = 0; seq < options.chunks; seq++) {
    const key = chunkObjectKey(JOB_ID, seq);
    const chunk = describeChunk(
      { bucket: BUCKET, key, metadata: CHUNK_METADATA, eventTime: CHUNK_EVENT_TIME },
      { stage: config.stage, defaultDataset: config.defaultDataset, chunkPrefix: config.chunkPrefix, now: Date.now },
    );
    const splitter = new LineSplitter(config.maxLineBytes);
    const batcher = new BulkBatcher(config.bulk);
    const writer = new EcsDocumentWriter(chunk);
    const toAction = bulkActionWriter(chunk.dataStream);
    const take = (lines: Iterable<RawLine>): void => {
      for (const line of lines) {
        const doc = writer.write(line);
        if (!doc) continue;
        docs++;
        const closed = batcher.add(doc.id, toAction(doc));
        if (closed) batches.push(closed.items);
      }
    };
    for await (const buf of gunzipChunk(Readable.from([readFileSync(chunkFile(options.dir, seq))]))) take(splitter.push(buf));
    take(splitter.end());
    const last = batcher.flush();
    if (last) batches.push(last.items);
  }
  return { batches, docs };
}

async function runBaseline(options: ChildOptions, stack: StackInfo): Promise<Omit<RunResult, 'peakRssMb'>> {
  const config = configFor(stack);
  const client = esClientFor(stack, config);
  const send = esBulkSender(client);
  const { batches, docs } = await buildBatches(options, config);
  const bodies = batches.map((items) => ({ items, body: bulkBody(items) }));
  let indexed = 0;
  let retried = 0;
  let next = 0;
  // The same per-item retry as the indexer (429s from a busy node would otherwise be lost).
  const worker = async (): Promise<void> => {
    while (next < bodies.length) {
      let { items, body } = bodies[next++]!;
      for (let attempt = 0; ; attempt++) {
        const outcome = readBulkResults(items, await send(body, { timeoutMs: config.esRequestTimeoutMs }));
        if (outcome.rejected.length > 0) throw new Error(`Elasticsearch rejected ${outcome.rejected.length} documents: ${JSON.stringify(outcome.rejected[0]!.error)}`);
        indexed += outcome.indexed + outcome.duplicates;
        if (outcome.retry.length === 0) break;
        retried += outcome.retry.length;
        items = outcome.retry;
        body = bulkBody(items);
        await new Promise((resolve) => setTimeout(resolve, backoffDelay(attempt, config.retry)));
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: config.bulk.concurrency }, worker));
  const ms = performance.now() - started;
  await client.close();
  if (indexed !== docs) throw new Error(`baseline indexed ${indexed} of ${docs} documents`);
  return { variant: 'baseline', ms, docs, retried, batches: bodies.length };
}

async function runIndexChunk(options: ChildOptions, stack: StackInfo): Promise<Omit<RunResult, 'peakRssMb'>> {
  const config = configFor(stack);
  const client = esClientFor(stack, config);
  const s3 = s3ClientFor(stack);
  const chunks: ChunkStore =
    options.store === 's3' ? s3ChunkStore(s3) : fileChunkStore((_bucket, key) => chunkFile(options.dir, Number(path.basename(key, '.log.gz'))));
  const deps: IndexerDeps = {
    config,
    chunks,
    deadLetters: refusingDeadLetters,
    sendBulk: esBulkSender(client),
    logger: silentLogger(),
    now: Date.now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    random: Math.random,
  };
  const stats = emptyStats();
  const started = performance.now();
  const deadlineAt = Date.now() + 30 * 60_000;
  const slots = new Slots(config.bulk.concurrency);
  for (let seq = 0; seq < options.chunks; seq++) {
    await indexChunk({ bucket: BUCKET, key: chunkObjectKey(JOB_ID, seq), eventTime: CHUNK_EVENT_TIME, size: undefined }, { deps, deadlineAt, slots, stats, redelivery: false });
  }
  const ms = performance.now() - started;
  await client.close();
  s3.destroy();
  if (stats.indexed + stats.duplicates !== stats.lines || stats.rejected > 0) {
    throw new Error(`indexChunk: ${JSON.stringify(stats)}`);
  }
  return { variant: 'indexChunk', ms, docs: stats.indexed, retried: stats.retried, duplicates: stats.duplicates };
}

async function child(options: ChildOptions): Promise<void> {
  const stack = requireStack();
  reportResult(options.variant === 'baseline' ? await runBaseline(options, stack) : await runIndexChunk(options, stack));
}

// ---------------------------------------------------------------------------------------------
// Parent side.

function tsx(args: string[]): void {
  execFileSync(path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), args, {
    cwd: REPO_ROOT,
    env: { ...process.env, PATH: `${path.join(REPO_ROOT, 'node_modules', '.bin')}${path.delimiter}${process.env.PATH ?? ''}` },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

/** The gzip chunks of one round, generated once and cached. */
function e2eFixture(mb: number, count: number): string {
  const dir = path.join(BENCH_DIR, `e2e-${mb}mb-${count}chunks-${fixtureTag([SEED, GENERATOR_VERSION])}`);
  if (existsSync(chunkFile(dir, count - 1))) return dir;
  console.error(`[bench] generating ${count} chunks (${mb} MiB of log) in ${dir}`);
  const staging = `${dir}.partial`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  gzipChunks({ seed: SEED, totalBytes: mb * MB, count }).forEach((body, seq) => writeFileSync(chunkFile(staging, seq), body));
  rmSync(dir, { recursive: true, force: true });
  renameSync(staging, dir);
  return dir;
}

/** Puts the chunks into a bucket of their own (no notification, so no indexer of the stack reacts). */
async function uploadChunks(stack: StackInfo, dir: string, count: number): Promise<boolean> {
  const s3 = s3ClientFor(stack);
  try {
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET })).catch((error: { name?: string }) => {
      if (error.name !== 'BucketAlreadyOwnedByYou' && error.name !== 'BucketAlreadyExists') throw error;
    });
    for (let seq = 0; seq < count; seq++) {
      await s3.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: chunkObjectKey(JOB_ID, seq), Body: readFileSync(chunkFile(dir, seq)), Metadata: CHUNK_METADATA }),
      );
    }
    return true;
  } catch (error) {
    console.error(`[bench] S3 on ${stack.moto.url} is not usable (${(error as Error).message}): reading chunks from local files instead`);
    return false;
  } finally {
    s3.destroy();
  }
}

async function removeChunks(stack: StackInfo, count: number): Promise<void> {
  const s3 = s3ClientFor(stack);
  try {
    for (let seq = 0; seq < count; seq++) await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: chunkObjectKey(JOB_ID, seq) }));
    await s3.send(new DeleteBucketCommand({ Bucket: BUCKET }));
  } catch (error) {
    console.error(`[bench] could not remove s3://${BUCKET}: ${(error as Error).message}`);
  } finally {
    s3.destroy();
  }
}

async function compare(options: MeasureOptions): Promise<void> {
  requireNode24();
  let startedHere: Array<{ name: string; pid: number }> = [];
  if (!(await stackIsUp())) {
    console.error('[bench] local stack not up: running scripts/stack.ts up');
    const before = Date.now();
    tsx([path.join(REPO_ROOT, 'scripts', 'stack.ts'), 'up']);
    startedHere = servicesStartedSince(requireStack(), before);
  }
  try {
    await measure(options);
  } finally {
    await leaveStackAsFound(startedHere);
  }
}

/**
 * `stack.ts up` adopts an Elasticsearch or moto that is already running (e.g. left over, or
 * another session's): only processes born after we called `up` are ours to stop.
 */
function servicesStartedSince(stack: StackInfo, since: number): Array<{ name: string; pid: number }> {
  const bornAfter = (pid: number): boolean => {
    try {
      const ageS = Number(execFileSync('ps', ['-o', 'etimes=', '-p', String(pid)], { encoding: 'utf8' }).trim());
      return Date.now() - ageS * 1000 >= since - 2000;
    } catch {
      return false;
    }
  };
  return [
    { name: 'elasticsearch', pid: stack.elasticsearch.pid },
    { name: 'moto', pid: stack.moto.pid },
  ].filter((service) => bornAfter(service.pid));
}

/**
 * Runs `stack.ts down` only if both services are still the very processes this run started: the
 * integration tests restart Elasticsearch (new pid) on the same stack, and a stack someone else
 * has taken over is theirs to stop.
 */
async function leaveStackAsFound(startedHere: Array<{ name: string; pid: number }>): Promise<void> {
  if (startedHere.length === 0) return;
  const now = readStackFile();
  const stillOurs =
    startedHere.length === 2 &&
    now !== undefined &&
    startedHere.every(({ name, pid }) => (name === 'elasticsearch' ? now.elasticsearch.pid : now.moto.pid) === pid);
  if (stillOurs) {
    console.error('[bench] stopping the local stack this run started');
    tsx([path.join(REPO_ROOT, 'scripts', 'stack.ts'), 'down']);
  } else {
    console.error(
      `[bench] this run started ${startedHere.map((s) => `${s.name} (pid ${s.pid})`).join(' and ')}, but the stack also runs processes it did not start (adopted, or restarted since): ` +
        'leaving it up (`tsx scripts/stack.ts down` stops it)',
    );
  }
}

interface MeasureOptions {
  rounds: number;
  warmup: boolean;
  mb: number;
  chunks: number;
  store: Store;
}

async function measure(options: MeasureOptions): Promise<void> {
  const stack = requireStack();
  const config = configFor(stack);
  const es = esClientFor(stack, config);
  const dir = e2eFixture(options.mb, options.chunks);
  let store = options.store;
  try {
    if (store === 's3' && !(await uploadChunks(stack, dir, options.chunks))) store = 'file';
    await installIndexTemplates(es, { stage: STAGE, retentionDays: 1 });
    // `GET /` needs the rest-root module, which the local (integ-test) distribution lacks.
    const nodes = await es.nodes.info({ node_id: '_local', filter_path: 'nodes.*.version' });
    const esVersion = Object.values(nodes.nodes ?? {})[0]?.version ?? '?';
    const gzipMb = readdirSync(dir).reduce((sum, f) => sum + readFileSync(path.join(dir, f)).length, 0) / MB;

    console.log(`# indexer end-to-end benchmark — ${machineNote()}, Elasticsearch ${esVersion} at ${stack.elasticsearch.url}`);
    console.log(`${options.chunks} chunks, ${options.mb} MiB of log (${gzipMb.toFixed(1)} MiB gzip), read from ${store === 's3' ? `S3 (moto, ${stack.moto.url})` : 'local files (ChunkStore over fs)'}`);
    console.log(`bulk: concurrency ${config.bulk.concurrency}, ≤ ${config.bulk.maxActions} actions, ≤ ${(config.bulk.maxBytes / MB).toFixed(0)} MiB; data stream ${DATA_STREAM}, recreated before every run\n`);

    const runs: RunResult[] = [];
    const rows: string[][] = [];
    // A fresh Elasticsearch is much slower on its first bulk requests (JIT, caches): an unmeasured
    // round of both variants first, so round 1 does not flatter whichever variant runs second.
    for (let round = options.warmup ? 0 : 1; round <= options.rounds; round++) {
      let baselineRate = 0;
      for (const variant of ['baseline', 'indexChunk'] as const) {
        await resetDataStream(es, DATA_STREAM);
        const result = await runChild(SCRIPT, ['--child', variant, '--dir', dir, '--chunks', String(options.chunks), '--store', store]);
        await es.indices.refresh({ index: DATA_STREAM });
        const { count } = await es.count({ index: DATA_STREAM });
        if (count !== result['docs']) throw new Error(`${variant}: ${count} documents in ${DATA_STREAM}, expected ${result['docs']}`);
        const rate = (result['docs'] as number) / (result.ms / 1000);
        if (variant === 'baseline') baselineRate = rate;
        if (round === 0) {
          console.error(`[bench] warm-up ${variant}: ${rate.toFixed(0)} docs/s (not counted)`);
          continue;
        }
        runs.push({ ...result, round, docsPerS: rate, ratio: rate / baselineRate });
        rows.push([String(round), variant, `${(result.ms / 1000).toFixed(1)} s`, String(count), rate.toFixed(0), (rate / baselineRate).toFixed(3), String(result['retried']), result.peakRssMb.toFixed(0)]);
      }
    }
    printTable(['round', 'variant', 'time', 'docs', 'docs/s', 'ratio', 'retried', 'peak RSS MiB'], rows);

    console.log(`\n## summary: median (min–max) over ${options.rounds} rounds\n`);
    const summary = (['baseline', 'indexChunk'] as const).map((variant) => {
      const mine = runs.filter((r) => r.variant === variant);
      return {
        variant,
        docsPerS: spread(mine.map((r) => r['docsPerS'] as number)),
        ratio: spread(mine.map((r) => r['ratio'] as number)),
        logMbPerS: spread(mine.map((r) => options.mb / (r.ms / 1000))),
        peakRssMb: spread(mine.map((r) => r.peakRssMb)),
      };
    });
    printTable(
      ['variant', 'docs/s', 'ratio vs baseline', 'log MiB/s', 'peak RSS MiB'],
      summary.map((s) => [
        s.variant,
        formatSpread(s.docsPerS, 0),
        s.variant === 'baseline' ? '1' : `${formatSpread(s.ratio, 3)}×`,
        formatSpread(s.logMbPerS, 2),
        formatSpread(s.peakRssMb, 0),
      ]),
    );
    const ours = summary[1]!;
    console.log(`\nindexChunk: ${ours.ratio.median.toFixed(3)}× of baseline — ${ours.ratio.median >= AIM ? 'meets' : 'BELOW'} the aim of ≥ ${AIM}×`);
    console.log("(the baseline's peak RSS includes every pre-built bulk body of the round; indexChunk streams)");
    const saved = saveResults('indexer-e2e', { machine: machineNote(), store, mb: options.mb, chunks: options.chunks, runs, summary });
    console.log(`raw results: ${path.relative(process.cwd(), saved)}`);
  } finally {
    await resetDataStream(es, DATA_STREAM).catch((error: unknown) => console.error(`[bench] could not remove ${DATA_STREAM}: ${(error as Error).message}`));
    // Refused (and left) while the data stream exists, i.e. when only its documents could be removed.
    const names = templateNames(STAGE);
    await es.indices.deleteIndexTemplate({ name: names.index }, { ignore: [404] }).catch(() => undefined);
    for (const name of [names.mappings, names.settings]) {
      await es.cluster.deleteComponentTemplate({ name }, { ignore: [404] }).catch(() => undefined);
    }
    await es.close();
    if (store === 's3') await removeChunks(stack, options.chunks);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      child: { type: 'string' },
      dir: { type: 'string' },
      rounds: { type: 'string', default: '5' },
      mb: { type: 'string', default: '24' },
      chunks: { type: 'string', default: '4' },
      store: { type: 'string', default: 's3' },
      'no-warmup': { type: 'boolean', default: false },
    },
  });
  const chunks = Number(values.chunks);
  if (!Number.isInteger(chunks) || chunks < 1) throw new Error('--chunks must be a positive integer');
  if (values.store !== 's3' && values.store !== 'file') throw new Error('--store must be s3 or file');
  if (values.child) {
    if ((values.child !== 'baseline' && values.child !== 'indexChunk') || !values.dir) throw new Error('--child baseline|indexChunk needs --dir');
    await child({ variant: values.child, dir: values.dir, chunks, store: values.store });
    return;
  }
  const rounds = Number(values.rounds);
  const mb = Number(values.mb);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds must be a positive integer');
  if (!(mb >= 1)) throw new Error('--mb must be ≥ 1');
  await compare({ rounds, warmup: !values['no-warmup'], mb, chunks, store: values.store });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
