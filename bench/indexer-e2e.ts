/**
 * End-to-end indexing throughput against the local stack's real search cluster, as a ratio against
 * a baseline measured in the same run on the same documents.
 *
 * - `baseline` the chunks' documents as bulk NDJSON bodies built *before* the clock starts, POSTed
 *              to `_bulk` through the same client and sender, with the indexer's concurrency and
 *              batch limits (BULK_CONCURRENCY, BULK_MAX_ACTIONS, BULK_MAX_BYTES defaults): what
 *              Elasticsearch can take, with no reading or parsing on our side.
 * - `indexChunk` the real `indexChunk()` with the real adapters: `s3ChunkStore` reading the gzip
 *              chunks from moto's S3, `clusterBulkSender(httpTransport(…))`; chunks one after another.
 *
 * Every run writes into a fresh data stream (deleted before each run), the count is checked
 * afterwards, and rounds alternate baseline, indexChunk, baseline, indexChunk…
 *
 *   tsx bench/indexer-e2e.ts [--rounds 5] [--mb 24] [--chunks 4] [--store s3|file] [--no-warmup]
 *
 * The local stack is brought up if it is not running, and taken down again at the end in that
 * case only (`withLocalStack`).
 */
import { DeleteBucketCommand, DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { emptyStats, indexChunk } from '../functions/indexer/index-chunk.js';
import { clusterBulkSender } from '../shared/adapters/search/bulk-sender.js';
import { secretSigner } from '../shared/adapters/search/signers.js';
import { httpTransport } from '../shared/adapters/search/transport.js';
import { s3ChunkStore, type ChunkStore } from '../shared/adapters/s3/chunk-store.js';
import type { IndexerConfig } from '../shared/config/indexer-config.js';
import { backoffDelay, Slots } from '../shared/core/batch/index.js';
import {
  BulkBatcher,
  bulkBody,
  LineSplitter,
  readBulkResults,
  bulkActionPrefix,
  EcsDocumentWriter,
  type BulkItem,
  type RawLine,
} from '../shared/core/ingest/index.js';
import { gunzipChunk } from '../shared/core/contract/index.js';
// Module by module, not the barrels: each measured child loads this file, and its peak RSS is a figure.
import { countDocuments, esRequest, installStageTemplates, refresh, removeStageTemplates, resetDataStream } from '../testkit/es.js';
import { ensureBucket } from '../testkit/s3.js';
import { MB } from '../testkit/synthetic-log.js';
import { chunkFile, chunkFixture, machineNote, reportResult, requireNode24, runChild, runRounds, type RunResult } from '../testkit/bench/index.js';
import { localS3Client } from '../testkit/stack/aws.js';
import { withLocalStack } from '../testkit/stack/lifecycle.js';
import { readStackFile, type StackInfo } from '../testkit/stack/stack-file.js';
import { benchChunk, benchConfig, benchDeps, CHUNK_EVENT_TIME, CHUNK_METADATA, chunkObjectKey, fileChunkStore } from './chunk-fixture.js';

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

function configFor(stack: StackInfo): IndexerConfig {
  return benchConfig({ STAGE, LOG_BUCKET: BUCKET, ES_NODE: stack.elasticsearch.url, CLUSTER_KIND: stack.elasticsearch.kind, S3_FORCE_PATH_STYLE: 'true' });
}

function transportFor(stack: StackInfo, config: IndexerConfig) {
  const { username, password } = stack.elasticsearch;
  return httpTransport({ node: stack.elasticsearch.url, sign: secretSigner({ username, password }), requestTimeoutMs: config.cluster.requestTimeoutMs });
}

function requireStack(): StackInfo {
  const stack = readStackFile();
  if (!stack) throw new Error('no .local/stack.json: run `npm run stack:up`');
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
    const chunk = benchChunk(config, BUCKET, key);
    const splitter = new LineSplitter(config.maxLineBytes);
    const batcher = new BulkBatcher(config.bulk);
    const writer = new EcsDocumentWriter(chunk);
    const actionPrefix = bulkActionPrefix(chunk.dataStream);
    const take = (lines: Iterable<RawLine>): void => {
      for (const line of lines) {
        const doc = writer.write(line);
        if (!doc) continue;
        docs++;
        const closed = batcher.addDocument(actionPrefix, doc);
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
  const send = clusterBulkSender(transportFor(stack, config));
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
        const outcome = readBulkResults(items, await send(body, { timeoutMs: config.cluster.requestTimeoutMs }));
        if (outcome.rejected.length > 0)
          throw new Error(`Elasticsearch rejected ${outcome.rejected.length} documents: ${JSON.stringify(outcome.rejected[0]!.error)}`);
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
  if (indexed !== docs) throw new Error(`baseline indexed ${indexed} of ${docs} documents`);
  return { variant: 'baseline', ms, docs, retried, batches: bodies.length };
}

async function runIndexChunk(options: ChildOptions, stack: StackInfo): Promise<Omit<RunResult, 'peakRssMb'>> {
  const config = configFor(stack);
  const s3 = localS3Client(stack);
  const chunks: ChunkStore =
    options.store === 's3' ? s3ChunkStore(s3) : fileChunkStore((_bucket, key) => chunkFile(options.dir, Number(path.basename(key, '.log.gz'))));
  const deps = benchDeps(config, chunks, clusterBulkSender(transportFor(stack, config)));
  const stats = emptyStats();
  const started = performance.now();
  const deadlineAt = Date.now() + 30 * 60_000;
  const slots = new Slots(config.bulk.concurrency);
  for (let seq = 0; seq < options.chunks; seq++) {
    await indexChunk(
      { bucket: BUCKET, key: chunkObjectKey(JOB_ID, seq), eventTime: CHUNK_EVENT_TIME, size: undefined },
      { deps, deadlineAt, slots, stats, redelivery: false },
    );
  }
  const ms = performance.now() - started;
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

/** Puts the chunks into a bucket of their own (no notification, so no indexer of the stack reacts). */
async function uploadChunks(stack: StackInfo, dir: string, count: number): Promise<boolean> {
  const s3 = localS3Client(stack);
  try {
    await ensureBucket(s3, BUCKET);
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
  const s3 = localS3Client(stack);
  try {
    for (let seq = 0; seq < count; seq++) await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: chunkObjectKey(JOB_ID, seq) }));
    await s3.send(new DeleteBucketCommand({ Bucket: BUCKET }));
  } catch (error) {
    console.error(`[bench] could not remove s3://${BUCKET}: ${(error as Error).message}`);
  } finally {
    s3.destroy();
  }
}

interface MeasureOptions {
  rounds: number;
  warmup: boolean;
  mb: number;
  chunks: number;
  store: Store;
}

/** One measured run: an emptied data stream, the child, then every document it sent must be there. */
async function measureRun(stack: StackInfo, variant: Variant, o: MeasureOptions & { dir: string; store: Store }): Promise<RunResult> {
  await resetDataStream(stack.elasticsearch, DATA_STREAM);
  const result = await runChild(SCRIPT, ['--child', variant, '--dir', o.dir, '--chunks', String(o.chunks), '--store', o.store]);
  await refresh(stack.elasticsearch, DATA_STREAM);
  const count = await countDocuments(stack.elasticsearch, DATA_STREAM, { match_all: {} });
  if (count !== result['docs']) throw new Error(`${variant}: ${count} documents in ${DATA_STREAM}, expected ${result['docs']}`);
  return result;
}

async function measure(stack: StackInfo, options: MeasureOptions): Promise<void> {
  requireNode24();
  const config = configFor(stack);
  const dir = chunkFixture({ mb: options.mb, count: options.chunks, seed: SEED });
  let store = options.store;
  try {
    if (store === 's3' && !(await uploadChunks(stack, dir, options.chunks))) store = 'file';
    await installStageTemplates({ ...stack.elasticsearch }, STAGE);
    // `GET /` needs the rest-root module, which the local (integ-test) distribution lacks.
    const nodes = await esRequest(stack.elasticsearch, 'GET', '/_nodes/_local?filter_path=nodes.*.version');
    const esVersion = (Object.values(nodes.nodes ?? {})[0] as { version?: string } | undefined)?.version ?? '?';
    const gzipMb = readdirSync(dir).reduce((sum, f) => sum + readFileSync(path.join(dir, f)).length, 0) / MB;
    console.log(`# indexer end-to-end benchmark — ${machineNote()}, ${stack.elasticsearch.kind} ${esVersion} at ${stack.elasticsearch.url}`);
    console.log(
      `${options.chunks} chunks, ${options.mb} MiB of log (${gzipMb.toFixed(1)} MiB gzip), read from ${store === 's3' ? `S3 (moto, ${stack.moto.url})` : 'local files (ChunkStore over fs)'}`,
    );
    console.log(
      `bulk: concurrency ${config.bulk.concurrency}, ≤ ${config.bulk.maxActions} actions, ≤ ${(config.bulk.maxBytes / MB).toFixed(0)} MiB; data stream ${DATA_STREAM}, recreated before every run\n`,
    );
    const docsPerS = (r: RunResult) => (r['docs'] as number) / (r.ms / 1000);
    await runRounds({
      name: 'indexer-e2e',
      variants: ['baseline', 'indexChunk'] as const,
      baseline: 'baseline',
      rounds: options.rounds,
      // A fresh Elasticsearch is much slower on its first bulk requests (JIT, caches): an unmeasured
      // round of both variants first, so round 1 does not flatter whichever variant runs second.
      warmup: options.warmup,
      measure: (variant) => measureRun(stack, variant, { ...options, dir, store }),
      columns: [
        { label: 'time s', value: (r) => r.ms / 1000, digits: 1 },
        { label: 'docs', value: (r) => r['docs'] as number, digits: 0 },
        { label: 'docs/s', value: docsPerS, digits: 0 },
        { label: 'log MiB/s', value: (r) => options.mb / (r.ms / 1000), digits: 2 },
        { label: 'retried', value: (r) => r['retried'] as number, digits: 0 },
        { label: 'peak RSS MiB', value: (r) => r.peakRssMb, digits: 0 },
        { label: 'ratio vs baseline', value: (r, base) => docsPerS(r) / docsPerS(base), digits: 3, unit: '×' },
      ],
      aim: [{ variant: 'indexChunk', column: 'ratio vs baseline', atLeast: AIM }],
      context: { store, mb: options.mb, chunks: options.chunks },
    });
    console.log("(the baseline's peak RSS includes every pre-built bulk body of the round; indexChunk streams)");
  } finally {
    await resetDataStream(stack.elasticsearch, DATA_STREAM).catch((error: unknown) =>
      console.error(`[bench] could not remove ${DATA_STREAM}: ${(error as Error).message}`),
    );
    // Refused (and left) while the data stream exists, i.e. when only its documents could be removed.
    await removeStageTemplates(stack.elasticsearch, STAGE);
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
  await withLocalStack((stack) => measure(stack, { rounds, warmup: !values['no-warmup'], mb, chunks, store: values.store as Store }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
