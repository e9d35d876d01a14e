/**
 * What a line costs the search cluster: bytes on disk per line after a force-merge, as a ratio to
 * the raw log, and the cluster's indexing CPU per line (`_nodes/stats`: indexing time and the
 * process's CPU), for the same synthetic log indexed through the real `indexChunk()` into
 *
 * - `stored`  the templates as every stage had them before issue 17 (stored `_source`, default
 *             codec, every field indexed: `storedAsWritten(plan)`), the baseline;
 * - `lean`    the templates the deploy step installs on this cluster now (docs/search-storage.md):
 *             `best_compression`, display-only fields without index, `logsdb` with synthetic
 *             `_source` where the cluster keeps it;
 * - `lean-stored` (only where `lean` is synthetic) the same with stored `_source` and
 *             `index.mode: standard`: what an Elasticsearch below an Enterprise licence gets.
 * - `lean-unsorted` `lean` without its sort on disk (by job, then the merged order): the lean
 *             templates as they were before it.
 *
 * After the force-merge, three pages of the job as the logs API asks for them (`linesSearch`, the
 * merged order, 301 lines): the first (`after=start`), one from the middle (`after=<cursor>`) and
 * the last (`before=end`, one unbounded search: the logs API's windows, backwardWindows, aside); the
 * median of the cluster's own `took` over 7 calls each.
 *
 * Each run writes into a fresh data stream of a stage of its own, refreshes, counts, reads the
 * node's indexing time and CPU before and after, then force-merges to one segment and reads the
 * primary store size. Rounds alternate stored, lean, stored, lean…
 *
 *   tsx bench/search-storage.ts [--rounds 2] [--mb 24] [--chunks 4] [--fields] [--log synthetic|coloured]
 *
 * `--log coloured` indexes the viewer's synthetic training job instead (viewer/dev/synthetic-jobs.ts),
 * whose lines mostly carry colour codes: what a coloured line costs on disk (its `message` as
 * shown, its codes apart in `joblogs.colours`).
 *
 * `--fields` prints Elasticsearch's per-field disk usage (`_disk_usage`) of the last round's
 * indices; on OpenSearch, which has none, the sizes of its Lucene files by kind. The local stack is brought up if it is not running, and taken down again at the end in
 * that case only (`withLocalStack`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { emptyStats, indexChunk } from '../functions/indexer/index-chunk.js';
import { clusterBulkSender } from '../shared/adapters/search/bulk-sender.js';
import { secretSigner } from '../shared/adapters/search/signers.js';
import { httpTransport } from '../shared/adapters/search/transport.js';
import { KIND_TRAITS } from '../shared/core/cluster/kinds.js';
import { templateNames, templateRequests } from '../shared/core/cluster/templates.js';
import type { MappingPlan } from '../shared/core/cluster/features.js';
import { Slots } from '../shared/core/batch/index.js';
import { lineKey, linesSearch, type Cursor, type LinesAnchor } from '../shared/core/logs/index.js';
import { chunkRecordStream } from '../shared/core/ingest/chunk-record.js';
import {
  countDocuments,
  esRequest,
  installStageTemplates,
  installStoredAsWrittenTemplates,
  mergedStoreBytes,
  refresh,
  resetDataStream,
} from '../testkit/es.js';
import { MB } from '../testkit/synthetic-log.js';
import {
  chunkFile,
  chunkFixture,
  colouredChunkFixture,
  machineNote,
  reportResult,
  requireNode24,
  runChild,
  runRounds,
  type RunResult,
} from '../testkit/bench/index.js';
import { withLocalStack } from '../testkit/stack/lifecycle.js';
import { readStackFile, type StackInfo } from '../testkit/stack/stack-file.js';
import { benchConfig, benchDeps, CHUNK_EVENT_TIME, chunkObjectKey, fileChunkStore } from './chunk-fixture.js';

const SCRIPT = fileURLToPath(import.meta.url);
/** Bytes on disk per raw byte the lean documents should stay under. */
const AIM = 0.6;
const BUCKET = 'joblogs-bench';
const JOB_ID = 'bench-storage';
const SEED = 7;

const VARIANTS = ['stored', 'lean-stored', 'lean-unsorted', 'lean'] as const;
type Variant = (typeof VARIANTS)[number];
/** A stage per variant: their templates differ, and none touches the tests' `local` stage. */
const STAGES: Record<Variant, string> = {
  stored: 'storagebase',
  'lean-stored': 'storageleanstored',
  'lean-unsorted': 'storageleanunsorted',
  lean: 'storagelean',
};
const PAGE = 300;
const PAGE_CALLS = 7;
const dataStream = (variant: Variant) => `logs-mlplatform.job-${STAGES[variant]}`;

/** Empties a variant's lines and its chunk records (a chunk already recorded would be skipped as a redelivery). */
async function resetVariant(stack: StackInfo, variant: Variant): Promise<void> {
  await resetDataStream(stack.elasticsearch, dataStream(variant));
  await resetDataStream(stack.elasticsearch, chunkRecordStream(STAGES[variant]));
}

// ---------------------------------------------------------------------------------------------
// Child side: the real indexer over the chunk files, into the variant's stage.

async function child(variant: Variant, dir: string, chunks: number): Promise<void> {
  const stack = readStackFile();
  if (!stack) throw new Error('no .local/stack.json: run `npm run stack:up`');
  const current = benchConfig({ STAGE: STAGES[variant], LOG_BUCKET: BUCKET, ES_NODE: stack.elasticsearch.url, CLUSTER_KIND: stack.elasticsearch.kind });
  // The baseline's documents as they were written before issue 17: user JSON in `json` only.
  const config = variant === 'stored' ? { ...current, userJson: 'flattened' as const } : current;
  const { username, password } = stack.elasticsearch;
  const transport = httpTransport({
    node: stack.elasticsearch.url,
    sign: secretSigner({ username, password }),
    requestTimeoutMs: config.cluster.requestTimeoutMs,
  });
  const store = fileChunkStore((_bucket, key) => chunkFile(dir, Number(path.basename(key, '.log.gz'))));
  const deps = benchDeps(config, store, clusterBulkSender(transport));
  const stats = emptyStats();
  const slots = new Slots(config.bulk.concurrency);
  const started = performance.now();
  for (let seq = 0; seq < chunks; seq++) {
    await indexChunk(
      { bucket: BUCKET, key: chunkObjectKey(JOB_ID, seq), eventTime: CHUNK_EVENT_TIME, size: undefined },
      { deps, deadlineAt: Date.now() + 30 * 60_000, slots, stats, redelivery: false },
    );
  }
  if (stats.indexed + stats.duplicates !== stats.lines || stats.rejected > 0) throw new Error(`indexChunk: ${JSON.stringify(stats)}`);
  reportResult({ variant, ms: performance.now() - started, docs: stats.indexed });
}

// ---------------------------------------------------------------------------------------------
// Parent side.

/** The node's cumulative indexing time and process CPU (one node: the local stack's). */
async function nodeCounters(stack: StackInfo): Promise<{ indexMs: number; cpuMs: number }> {
  const out = await esRequest(
    stack.elasticsearch,
    'GET',
    '/_nodes/_local/stats/indices,process?filter_path=nodes.*.indices.indexing.index_time_in_millis,nodes.*.process.cpu.total_in_millis',
  );
  const node = Object.values(out.nodes ?? {})[0] as {
    indices?: { indexing?: { index_time_in_millis?: number } };
    process?: { cpu?: { total_in_millis?: number } };
  };
  return { indexMs: Number(node?.indices?.indexing?.index_time_in_millis ?? 0), cpuMs: Number(node?.process?.cpu?.total_in_millis ?? 0) };
}

/** The raw log the chunks hold: bytes and printed lines (`\n`-terminated; `\r` redraws are part of their line). */
function rawLog(dir: string, chunks: number): { bytes: number; lines: number } {
  let bytes = 0;
  let lines = 0;
  for (let seq = 0; seq < chunks; seq++) {
    const text = gunzipSync(readFileSync(chunkFile(dir, seq)));
    bytes += text.length;
    for (let i = text.indexOf(10); i >= 0; i = text.indexOf(10, i + 1)) lines++;
  }
  return { bytes, lines };
}

interface MeasureOptions {
  rounds: number;
  mb: number;
  chunks: number;
  fields: boolean;
  log: 'synthetic' | 'coloured';
}

async function measureRun(stack: StackInfo, variant: Variant, dir: string, o: MeasureOptions): Promise<RunResult> {
  const stream = dataStream(variant);
  await resetVariant(stack, variant);
  const before = await nodeCounters(stack);
  const result = await runChild(SCRIPT, ['--child', variant, '--dir', dir, '--chunks', String(o.chunks)]);
  await refresh(stack.elasticsearch, stream);
  const after = await nodeCounters(stack);
  const count = await countDocuments(stack.elasticsearch, stream, { match_all: {} });
  if (count !== result['docs']) throw new Error(`${variant}: ${count} documents in ${stream}, expected ${result['docs']}`);
  const { storeBytes } = await mergedStoreBytes(stack.elasticsearch, stream);
  return {
    ...result,
    ...(await pageTimes(stack, stream)),
    storeBytes,
    indexMs: after.indexMs - before.indexMs,
    cpuMs: after.cpuMs - before.cpuMs,
  };
}

/** The cluster's `took` (median ms) for the job's first, middle and last page in the merged order, as the logs API asks. */
async function pageTimes(stack: StackInfo, stream: string): Promise<{ firstMs: number; middleMs: number; lastMs: number }> {
  const scope = { jobId: JOB_ID, filters: {} };
  const search = (anchor: LinesAnchor, size = PAGE + 1) =>
    esRequest(stack.elasticsearch, 'POST', `/${stream}/_search?request_cache=false`, linesSearch(scope, anchor, { order: 'merged', size }).body);
  const span = await esRequest(stack.elasticsearch, 'POST', `/${stream}/_search`, {
    size: 0,
    aggs: { from: { min: { field: 'joblogs.captured' } }, to: { max: { field: 'joblogs.captured' } } },
  });
  const middleAt = Math.round((span.aggregations.from.value + span.aggregations.to.value) / 2);
  const middle = await search({ kind: 'at', time: middleAt }, 1);
  const middleKey: Cursor = { order: 'merged', key: lineKey(middle.hits.hits[0], 'merged') };
  const took = async (anchor: LinesAnchor): Promise<number> => {
    const ms: number[] = [];
    for (let i = 0; i < PAGE_CALLS; i++) {
      const answer = await search(anchor);
      if (answer.hits.hits.length !== PAGE + 1) throw new Error(`${stream}: a page of ${answer.hits.hits.length} lines`);
      ms.push(answer.took);
    }
    return ms.sort((a, b) => a - b)[PAGE_CALLS >> 1]!;
  };
  return {
    firstMs: await took({ kind: 'after', cursor: 'start' }),
    middleMs: await took({ kind: 'after', cursor: middleKey }),
    lastMs: await took({ kind: 'before', cursor: 'end' }),
  };
}

/** Elasticsearch's per-field disk usage of a variant's data stream (not on OpenSearch, which has no `_disk_usage`). */
async function printFieldUsage(stack: StackInfo, variant: Variant): Promise<void> {
  const out = await esRequest(stack.elasticsearch, 'POST', `/${dataStream(variant)}/_disk_usage?run_expensive_tasks=true`);
  const fields: Record<string, Record<string, number>> = {};
  for (const [name, index] of Object.entries(out as Record<string, { fields?: Record<string, Record<string, number>> }>)) {
    if (name === '_shards') continue;
    for (const [field, usage] of Object.entries(index.fields ?? {})) {
      const sum = (fields[field] ??= {});
      for (const [k, v] of Object.entries(usage as Record<string, unknown>)) {
        // `inverted_index` is an object of its own ({ total_in_bytes }).
        const bytes = typeof v === 'number' ? v : (v as { total_in_bytes?: unknown } | null)?.total_in_bytes;
        const key = typeof v === 'number' ? k : `${k}.total_in_bytes`;
        if (typeof bytes === 'number') sum[key] = (sum[key] ?? 0) + bytes;
      }
    }
  }
  const rows = Object.entries(fields)
    .sort(([, a], [, b]) => (b['total_in_bytes'] ?? 0) - (a['total_in_bytes'] ?? 0))
    .slice(0, 25);
  console.log(`\n## ${variant}: disk usage per field (top 25, KiB)\n`);
  console.log(['field', 'total', 'inverted index', 'stored', 'doc values', 'points', 'norms'].join('\t'));
  const k = (n: number | undefined) => ((n ?? 0) / 1024).toFixed(0);
  for (const [field, u] of rows) {
    console.log(
      [
        field,
        k(u['total_in_bytes']),
        k(u['inverted_index.total_in_bytes']),
        k(u['stored_fields_in_bytes']),
        k(u['doc_values_in_bytes']),
        k(u['points_in_bytes']),
        k(u['norms_in_bytes']),
      ].join('\t'),
    );
  }
}

/**
 * Lucene's files of a variant's data stream by kind (`_stats/segments?include_segment_file_sizes`,
 * which both products have): stored fields, doc values, postings, points… — where OpenSearch,
 * which has no `_disk_usage`, spends its bytes.
 */
async function printFileSizes(stack: StackInfo, variant: Variant): Promise<void> {
  const out = await esRequest(stack.elasticsearch, 'GET', `/${dataStream(variant)}/_stats/segments?include_segment_file_sizes=true`);
  const files = (out._all?.primaries?.segments?.file_sizes ?? {}) as Record<string, { size_in_bytes: number; description: string }>;
  const total = Object.values(files).reduce((n, f) => n + f.size_in_bytes, 0);
  console.log(`\n## ${variant}: Lucene files by kind (KiB, share)\n`);
  for (const [ext, f] of Object.entries(files).sort(([, a], [, b]) => b.size_in_bytes - a.size_in_bytes)) {
    console.log([ext, (f.size_in_bytes / 1024).toFixed(0), `${((100 * f.size_in_bytes) / total).toFixed(1)} %`, f.description].join('\t'));
  }
}

/** A variant's stage with the lean plan changed: the stage's templates first (its chunk records' too), then the variant's over them. */
async function installVariantPlan(stack: StackInfo, variant: Variant, plan: MappingPlan): Promise<void> {
  await installStageTemplates({ ...stack.elasticsearch }, STAGES[variant]);
  for (const r of templateRequests({ stage: STAGES[variant], retentionDays: 1, plan })) await esRequest(stack.elasticsearch, r.method, r.path, r.body);
}

/** Installs each variant's templates; returns the variants this cluster has (no `lean-stored` where `lean` is stored already) and what `lean` is. */
async function installPlans(stack: StackInfo): Promise<{ variants: Variant[]; note: string }> {
  await installStoredAsWrittenTemplates({ ...stack.elasticsearch }, STAGES.stored);
  const { plan, identity } = await installStageTemplates({ ...stack.elasticsearch }, STAGES.lean);
  const s = plan.storage;
  const note = `${identity.product} ${identity.version}: lean = ${plan.indexMode ? `index.mode ${plan.indexMode}, ` : ''}_source ${s.source}, codec ${s.codec}, message ${plan.text}`;
  await installVariantPlan(stack, 'lean-unsorted', { ...plan, storage: { ...s, sorted: false } });
  if (s.source === 'stored') return { variants: ['stored', 'lean-unsorted', 'lean'], note };
  await installVariantPlan(stack, 'lean-stored', { ...plan, indexMode: 'standard', storage: { ...s, source: 'stored' } });
  return { variants: [...VARIANTS], note };
}

async function measure(stack: StackInfo, o: MeasureOptions): Promise<void> {
  requireNode24();
  const dir = o.log === 'coloured' ? colouredChunkFixture({ mb: o.mb, count: o.chunks }) : chunkFixture({ mb: o.mb, count: o.chunks, seed: SEED });
  const raw = rawLog(dir, o.chunks);
  try {
    const { variants, note: plans } = await installPlans(stack);
    const gzipMb = readdirSync(dir).reduce((sum, f) => sum + readFileSync(path.join(dir, f)).length, 0) / MB;
    console.log(`# search storage benchmark — ${machineNote()}, ${stack.elasticsearch.kind} at ${stack.elasticsearch.url}`);
    console.log(`${plans}`);
    console.log(
      `${o.log} log: ${o.chunks} chunks, ${(raw.bytes / MB).toFixed(1)} MiB of log (${gzipMb.toFixed(1)} MiB gzip), ${raw.lines} printed lines (${(raw.bytes / raw.lines).toFixed(0)} B/line); ` +
        "store = primaries after a force-merge to one segment; CPU = the node's indexing time and process CPU from the first bulk to the refresh\n",
    );
    const perLine = (r: RunResult) => (r['storeBytes'] as number) / raw.lines;
    const cpuPerKLine = (r: RunResult) => ((r['cpuMs'] as number) / raw.lines) * 1000;
    const indexPerKLine = (r: RunResult) => ((r['indexMs'] as number) / raw.lines) * 1000;
    await runRounds({
      name: 'search-storage',
      variants,
      baseline: 'stored',
      rounds: o.rounds,
      measure: (variant) => measureRun(stack, variant, dir, o),
      columns: [
        { label: 'docs', value: (r) => r['docs'] as number, digits: 0 },
        { label: 'store MiB', value: (r) => (r['storeBytes'] as number) / MB, digits: 2 },
        { label: 'B/line', value: perLine, digits: 1 },
        { label: 'vs raw', value: (r) => (r['storeBytes'] as number) / raw.bytes, digits: 3, unit: '×' },
        { label: 'store vs stored', value: (r, base) => perLine(r) / perLine(base), digits: 3, unit: '×' },
        { label: 'index ms/1k lines', value: indexPerKLine, digits: 1 },
        { label: 'CPU ms/1k lines', value: cpuPerKLine, digits: 1 },
        { label: 'index time vs stored', value: (r, base) => indexPerKLine(r) / indexPerKLine(base), digits: 3, unit: '×' },
        { label: 'CPU vs stored', value: (r, base) => cpuPerKLine(r) / cpuPerKLine(base), digits: 3, unit: '×' },
        { label: 'first page ms', value: (r) => r['firstMs'] as number, digits: 0 },
        { label: 'middle page ms', value: (r) => r['middleMs'] as number, digits: 0 },
        { label: 'last page ms', value: (r) => r['lastMs'] as number, digits: 0 },
        { label: 'first vs stored', value: (r, base) => (r['firstMs'] as number) / Math.max(1, base['firstMs'] as number), digits: 3, unit: '×' },
        { label: 'middle vs stored', value: (r, base) => (r['middleMs'] as number) / Math.max(1, base['middleMs'] as number), digits: 3, unit: '×' },
        { label: 'last vs stored', value: (r, base) => (r['lastMs'] as number) / Math.max(1, base['lastMs'] as number), digits: 3, unit: '×' },
      ],
      aim: [{ variant: 'lean', column: 'vs raw', atMost: AIM }],
      context: { mb: o.mb, chunks: o.chunks, log: o.log, raw, plans },
    });
    if (o.fields) {
      const elastic = KIND_TRAITS[stack.elasticsearch.kind].product === 'elasticsearch';
      for (const v of variants) await (elastic ? printFieldUsage(stack, v) : printFileSizes(stack, v));
    }
  } finally {
    for (const variant of VARIANTS) {
      await resetVariant(stack, variant).catch((error: unknown) =>
        console.error(`[bench] could not remove ${dataStream(variant)}: ${(error as Error).message}`),
      );
      const names = templateNames(STAGES[variant]);
      for (const p of [
        `/_index_template/${names.index}`,
        `/_index_template/${names.chunks}`,
        `/_component_template/${names.mappings}`,
        `/_component_template/${names.settings}`,
      ]) {
        await esRequest(stack.elasticsearch, 'DELETE', p).catch(() => undefined);
      }
    }
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      child: { type: 'string' },
      dir: { type: 'string' },
      rounds: { type: 'string', default: '2' },
      mb: { type: 'string', default: '24' },
      chunks: { type: 'string', default: '4' },
      fields: { type: 'boolean', default: false },
      log: { type: 'string', default: 'synthetic' },
    },
  });
  const chunks = Number(values.chunks);
  if (!Number.isInteger(chunks) || chunks < 1) throw new Error('--chunks must be a positive integer');
  if (values.child) {
    const variant = VARIANTS.find((v) => v === values.child);
    if (!variant || !values.dir) throw new Error(`--child ${VARIANTS.join('|')} needs --dir`);
    await child(variant, values.dir, chunks);
    return;
  }
  const rounds = Number(values.rounds);
  const mb = Number(values.mb);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds must be a positive integer');
  if (!(mb >= 1)) throw new Error('--mb must be ≥ 1');
  const log = values.log;
  if (log !== 'synthetic' && log !== 'coloured') throw new Error('--log must be synthetic or coloured');
  await withLocalStack((stack) => measure(stack, { rounds, mb, chunks, fields: values.fields, log }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
