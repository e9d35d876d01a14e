/**
 * CPU cost of the indexer's read path, as a ratio against plain "stream gunzip + count lines"
 * measured in the same run on the same ≥100 MB gzip file.
 *
 * Each variant reports its elapsed time and its CPU time (all threads); on shared busy cores the
 * CPU ratio is the steadier figure.
 *
 * Variants (each run in its own child process, interleaved round by round):
 * - `baseline`   createReadStream → zlib createGunzip → count `\n`: the floor any indexer pays.
 * - `split`      gunzipChunk → LineSplitter only          } stages of `pipeline`, to attribute
 * - `ecs`        … → EcsDocumentWriter (no bulk items) } its cost (not compared to the aim)
 * - `pipeline`   gunzipChunk → LineSplitter → EcsDocumentWriter → BulkBatcher.addDocument, every
 *                closed batch's NDJSON body (UTF-8 bytes) built and dropped.
 * - `indexChunk` the real `indexChunk()` reading the file through a ChunkStore, with a BulkSender
 *                that answers 201 for every action without any I/O: everything but the network.
 * - `indexChunk-off` the same with event grouping off (`GROUPING=off`): one document per line, as
 *                before issue 14. `indexChunk`'s "vs grouping off" is the cost of grouping (aim ≤ 5 %).
 * - `indexChunk-framed` `indexChunk` on the same log as the joblogs shipper uploads it: `framed-v1`
 *                frames with event marks, made by the shipper's own Framer (framedCpuFixture). Its
 *                ratios are against the same baseline (gunzip + count of the raw log): the path our
 *                own producers take, where every line is a JSON frame to read first.
 * - `indexChunk-os` `indexChunk` for an OpenSearch stage: user JSON's leaves also written as
 *                `joblogs.json_kv` terms (docs/search-storage.md). Not in the default set.
 * - `esf`        the same gzip file through `bench/esf_like.py` (indexer-esf.ts): the Elastic Serverless
 *                Forwarder's per-line work reimplemented in Python + orjson, one document + bulk action per
 *                line. `vs ESF` is its CPU time over ours in the same round: input lines per CPU-second,
 *                ours ÷ ESF's (issue 17's aim ≥ 15×).
 *
 * Then, computed once (no timing): documents per hour of a tqdm-heavy job, grouping on and off.
 *
 *   tsx bench/indexer-cpu.ts [--rounds 5] [--mb 100] [--variants baseline,esf,split,ecs,pipeline,indexChunk]
 *   tsx bench/indexer-cpu.ts --profile      # one --cpu-prof run of indexChunk, top functions printed
 */
import { Slots } from '../shared/core/batch/index.js';
import { createReadStream, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createGunzip } from 'node:zlib';
import { indexChunk, emptyStats } from '../functions/indexer/index-chunk.js';
import type { BulkSender } from '../shared/adapters/search/bulk-sender.js';
import type { IndexerConfig } from '../shared/config/indexer-config.js';
import {
  BulkBatcher,
  ChunkBatcher,
  describeChunk,
  LineSplitter,
  bulkActionPrefix,
  EcsDocumentWriter,
  type BulkBatch,
  type BulkItemResult,
  type RawLine,
} from '../shared/core/ingest/index.js';
import { gunzipSync } from 'node:zlib';
import { markedChunks, type CapturedText } from '../testkit/frames.js';
import { gunzipChunk } from '../shared/core/contract/index.js';
// Module by module, not the barrels: each measured child loads this file, and its peak RSS is a figure.
import { MB } from '../testkit/synthetic-log.js';
import {
  BENCH_DIR,
  cpuFixture,
  framedCpuFixture,
  machineNote,
  printTable,
  reportResult,
  requireNode24,
  runChild,
  runRounds,
  type RunResult,
} from '../testkit/bench/index.js';
import { benchChunk, benchConfig, benchDeps, CHUNK_EVENT_TIME, chunkObjectKey, fileChunkStore, FRAMED_CHUNK_METADATA } from './chunk-fixture.js';
import { ensureEsfPython, runEsfChild } from './indexer-esf.js';

const SCRIPT = fileURLToPath(import.meta.url);
const VARIANTS = ['baseline', 'esf', 'split', 'ecs', 'pipeline', 'indexChunk-off', 'indexChunk', 'indexChunk-framed', 'indexChunk-os'] as const;
/** The variants that read the framed fixture (the others read the raw one). */
const FRAMED: readonly Variant[] = ['indexChunk-framed'];
/** The variants the aims are checked on: the whole indexer, on both inputs. */
const INDEXERS: readonly Variant[] = ['indexChunk', 'indexChunk-framed'];
type Variant = (typeof VARIANTS)[number];
/** Ours/baseline throughput the indexer should keep. */
const AIM = 0.35;
/** Grouping may cost at most 5 % of the indexer's throughput (issue 14). */
const GROUPING_AIM = 0.95;
/** Input lines per CPU-second, ours ÷ the Elastic Serverless Forwarder-like baseline's (issue 17). */
const ESF_AIM = 15;
const READ_CHUNK = 64 * 1024;

const BUCKET = 'joblogs-bench';
const KEY = chunkObjectKey('bench-job-0001', 0);

// ---------------------------------------------------------------------------------------------
// Child side: one variant, one pass over the file, one JSON result.

async function runBaseline(file: string): Promise<Omit<RunResult, 'peakRssMb'>> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  let bytes = 0;
  let lines = 0;
  const gunzip = createReadStream(file, { highWaterMark: READ_CHUNK }).pipe(createGunzip({ chunkSize: READ_CHUNK }));
  for await (const buf of gunzip as AsyncIterable<Buffer>) {
    bytes += buf.length;
    for (let i = buf.indexOf(0x0a); i !== -1; i = buf.indexOf(0x0a, i + 1)) lines++;
  }
  return { variant: 'baseline', ms: performance.now() - started, cpuMs: cpuMsSince(cpu), bytes, lines, docs: lines };
}

/**
 * CPU time of this process (every thread: zlib inflates on the thread pool) since `start`, in ms.
 * On shared, busy cores it moves far less than the elapsed time, so its ratio is the steadier one.
 */
function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/** How far down the pipeline a run goes: the `split` and `ecs` stages attribute its cost. */
type Stage = 'split' | 'ecs' | 'pipeline';

async function runPipeline(file: string, config: IndexerConfig, stage: Stage): Promise<Omit<RunResult, 'peakRssMb'>> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const chunk = benchChunk(config, BUCKET, KEY);
  const splitter = new LineSplitter(config.maxLineBytes);
  const batcher = new BulkBatcher(config.bulk);
  let bytes = 0;
  let docs = 0;
  let batches = 0;
  let bodyBytes = 0;
  const close = (batch: BulkBatch | undefined): void => {
    if (!batch) return;
    batches++;
    bodyBytes += batch.body.length;
  };
  const writer = new EcsDocumentWriter(chunk);
  const actionPrefix = bulkActionPrefix(chunk.dataStream);
  const take = (lines: Iterable<RawLine>): void => {
    for (const line of lines) {
      if (stage === 'split') {
        docs++;
        continue;
      }
      const doc = writer.write(line);
      if (!doc) continue;
      docs++;
      if (stage === 'pipeline') close(batcher.addDocument(actionPrefix, doc));
    }
  };
  for await (const buf of gunzipChunk(createReadStream(file, { highWaterMark: READ_CHUNK }), config.maxChunkBytes)) {
    bytes += buf.length;
    take(splitter.push(buf));
  }
  take(splitter.end());
  close(batcher.flush());
  return { variant: stage, ms: performance.now() - started, cpuMs: cpuMsSince(cpu), bytes, docs, batches, bodyMb: bodyBytes / MB };
}

/**
 * A BulkSender that accepts everything without I/O. One shared array of `maxActions` 201s: the
 * indexer reads `results[i]` for each item of its batch, so a longer array costs nothing.
 */
function nullBulkSender(maxActions: number, onBody: (bytes: number) => void): BulkSender {
  const created: BulkItemResult[] = Array.from({ length: maxActions }, () => ({ status: 201 }));
  return async (body) => {
    onBody(body.length);
    return created;
  };
}

async function runIndexChunk(file: string, config: IndexerConfig, variant: Variant): Promise<Omit<RunResult, 'peakRssMb'>> {
  let gzipBytes = 0;
  let batches = 0;
  let bodyBytes = 0;
  const sendBulk = nullBulkSender(config.bulk.maxActions, (n) => {
    batches++;
    bodyBytes += n;
  });
  const deps = benchDeps(
    config,
    fileChunkStore(
      () => file,
      (n) => (gzipBytes += n),
      FRAMED.includes(variant) ? FRAMED_CHUNK_METADATA : undefined,
    ),
    sendBulk,
  );
  const stats = emptyStats();
  const started = performance.now();
  const cpu = process.cpuUsage();
  await indexChunk(
    { bucket: BUCKET, key: KEY, eventTime: CHUNK_EVENT_TIME, size: statSync(file).size },
    { deps, deadlineAt: Number.MAX_SAFE_INTEGER, slots: new Slots(config.bulk.concurrency), stats, redelivery: false },
  );
  const ms = performance.now() - started;
  const cpuMs = cpuMsSince(cpu);
  if (stats.indexed !== stats.lines) throw new Error(`indexed ${stats.indexed} of ${stats.lines} lines`);
  return { variant, ms, cpuMs, gzipMb: gzipBytes / MB, docs: stats.indexed, batches, bodyMb: bodyBytes / MB };
}

async function child(variant: Variant, file: string): Promise<void> {
  if (variant === 'esf') throw new Error('esf runs in Python (bench/esf_like.py), not as a Node child');
  // One ≥ 100 MiB file is the fixture: beyond the contract's 8 MiB per chunk, so the bound is lifted here.
  const config = benchConfig({
    LOG_BUCKET: BUCKET,
    GROUPING: variant.startsWith('indexChunk') && variant !== 'indexChunk-off' ? 'on' : 'off',
    CHUNK_MAX_BYTES: String(256 * 1024 * 1024),
    ...(variant === 'indexChunk-os' ? { CLUSTER_KIND: 'opensearch-2' } : {}),
  });
  const result =
    variant === 'baseline'
      ? await runBaseline(file)
      : variant === 'split' || variant === 'ecs' || variant === 'pipeline'
        ? await runPipeline(file, config, variant)
        : await runIndexChunk(file, config, variant);
  reportResult(result);
}

// ---------------------------------------------------------------------------------------------
// Parent side: fixture, interleaved rounds, summary.

async function compare(options: { rounds: number; mb: number; variants: Variant[] }): Promise<void> {
  requireNode24();
  const file = await cpuFixture(options.mb);
  const framed = options.variants.some((v) => FRAMED.includes(v)) ? await framedCpuFixture(options.mb) : undefined;
  // esf right after the baseline: every round's `vs ESF` compares with the ESF run of that round.
  const variants: Variant[] = ['baseline', ...options.variants.filter((v) => v === 'esf'), ...options.variants.filter((v) => v !== 'baseline' && v !== 'esf')];
  const python = variants.includes('esf') ? await ensureEsfPython() : undefined;
  console.log(`# indexer CPU benchmark — ${machineNote()}`);
  console.log(
    `fixture ${path.relative(process.cwd(), file)} (${(statSync(file).size / MB).toFixed(1)} MiB gzip), ${options.rounds} rounds of ${variants.join(', ')}\n`,
  );
  if (framed) console.log(`framed as the shipper uploads it: ${path.relative(process.cwd(), framed)} (${(statSync(framed).size / MB).toFixed(1)} MiB gzip)\n`);
  // The uncompressed size, measured by the baseline (the other variants do not all see it): MB/s of every variant are MiB of log.
  let uncompressed = 0;
  const mbps = (r: RunResult) => uncompressed / MB / (r.ms / 1000);
  // Grouping on against off in the same round: off runs just before on.
  const offByRound = new Map<number, RunResult>();
  const esfByRound = new Map<number, RunResult>();
  const cpuMs = (r: RunResult) => r['cpuMs'] as number;
  await runRounds({
    name: 'indexer-cpu',
    variants,
    baseline: 'baseline',
    rounds: options.rounds,
    measure: async (variant, round) => {
      const input = FRAMED.includes(variant) ? framed! : file;
      const run = variant === 'esf' ? runEsfChild(python!, file) : runChild(SCRIPT, ['--child', variant, '--file', input]);
      const result: RunResult = { ...(await run), round };
      if (variant === 'baseline') uncompressed = result['bytes'] as number;
      if (variant === 'esf') esfByRound.set(round, result);
      if (variant === 'indexChunk-off') offByRound.set(round, result);
      return result;
    },
    columns: [
      { label: 'time s', value: (r) => r.ms / 1000, digits: 2 },
      { label: 'MB/s', value: mbps, digits: 1 },
      { label: 'lines/s (k)', value: (r) => (r['docs'] as number) / r.ms, digits: 0 },
      { label: 'lines', value: (r) => r['docs'] as number, digits: 0 },
      { label: 'peak RSS MiB', value: (r) => r.peakRssMb, digits: 0 },
      { label: 'ratio vs baseline', value: (r, base) => base.ms / r.ms, digits: 3, unit: '×' },
      { label: 'CPU s', value: (r) => (r['cpuMs'] as number) / 1000, digits: 2 },
      { label: 'CPU ratio vs baseline', value: (r, base) => (base['cpuMs'] as number) / (r['cpuMs'] as number), digits: 3, unit: '×' },
      // Every variant reads the same input: lines = the baseline's `\n` count, so the ratio is one of CPU times.
      { label: 'input lines/CPU-s (k)', value: (r, base) => (base['lines'] as number) / cpuMs(r), digits: 0 },
      {
        label: 'vs ESF',
        value: (r) => (r.variant !== 'esf' && esfByRound.has(r['round'] as number) ? cpuMs(esfByRound.get(r['round'] as number)!) / cpuMs(r) : undefined),
        digits: 1,
        unit: '×',
      },
      {
        label: 'vs grouping off',
        value: (r) => (r.variant === 'indexChunk' && offByRound.has(r['round'] as number) ? offByRound.get(r['round'] as number)!.ms / r.ms : undefined),
        digits: 3,
        unit: '×',
      },
    ],
    aim: [
      ...variants.filter((v) => v === 'pipeline' || INDEXERS.includes(v)).map((variant) => ({ variant, column: 'ratio vs baseline', atLeast: AIM })),
      ...(variants.includes('indexChunk') && variants.includes('indexChunk-off')
        ? [{ variant: 'indexChunk' as const, column: 'vs grouping off', atLeast: GROUPING_AIM }]
        : []),
      ...(variants.includes('esf') ? variants.filter((v) => INDEXERS.includes(v)).map((variant) => ({ variant, column: 'vs ESF', atLeast: ESF_AIM })) : []),
    ],
    context: {
      fixture: file,
      get uncompressedBytes() {
        return uncompressed;
      },
    },
  });
  console.log(
    `MB = MiB of uncompressed log (${(uncompressed / MB).toFixed(1)} MiB); lines: baseline counts \`\\n\`; ours count documents (non-empty lines and parts, \`\\r\` ends a line too; with grouping an event or a bar's states in a chunk are one); esf counts its documents (non-blank lines of Python's \`str.splitlines\`).`,
  );
  if (variants.includes('esf'))
    console.log(
      "vs ESF = input lines per CPU-second over the ESF-like baseline's (bench/esf_like.py: the Elastic Serverless Forwarder's per-line work reimplemented in Python + orjson) in the same round.",
    );
  printTqdmHour();
}

/**
 * Documents of one hour of a tqdm-heavy job, grouping off and on: a bar redrawn 10 times a
 * second (tqdm's default `mininterval`), a new bar every 5 minutes, a log line every 10 s, a
 * warning every 15 minutes and a logged traceback every 30; framed by the shipper's marker into
 * one chunk per second (its flush interval) and grouped by the indexer's batcher.
 */
function printTqdmHour(): void {
  const lines: CapturedText[] = [];
  const cuts: number[] = [];
  for (let second = 0; second < 3600; second++) {
    for (let tenth = 0; tenth < 10; tenth++) {
      const n = (second % 300) * 10 + tenth;
      lines.push({
        stream: 'stderr',
        text: `Epoch ${Math.floor(second / 300)}: ${String(Math.floor(n / 30)).padStart(3)}%|${'█'.repeat(Math.floor(n / 300))}| ${n}/3000 [01:23<03:37, 9.98it/s, loss=0.412]`,
        terminator: n === 2999 ? '\n' : '\r',
      });
    }
    if (second % 10 === 0)
      lines.push({ stream: 'stdout', text: `2026-11-25 10:00:00,000 INFO trainer: step ${second * 10} loss=0.4123 lr=3.0e-04`, terminator: '\n' });
    if (second % 900 === 450)
      lines.push(
        {
          stream: 'stdout',
          text: '/opt/conda/lib/python3.11/site-packages/torch/utils/data/dataloader.py:558: UserWarning: This DataLoader will create 8 worker processes in total.',
          terminator: '\n',
        },
        { stream: 'stdout', text: '  warnings.warn(', terminator: '\n' },
      );
    if (second % 1800 === 900)
      for (const text of [
        'Traceback (most recent call last):',
        ...Array.from({ length: 8 }, (_, f) => `  File "/workspace/train.py", line ${100 + f}, in step\n`.trimEnd()),
        'RuntimeError: CUDA out of memory',
      ])
        lines.push({ stream: 'stdout', text, terminator: '\n' });
    cuts.push(lines.length - 1);
  }
  const chunks = markedChunks({ jobId: 'bench-tqdm-hour', lines, cuts });
  const documents = (enabled: boolean) =>
    chunks.reduce((total, c) => {
      const context = describeChunk(
        { bucket: BUCKET, key: c.key, metadata: c.metadata, eventTime: CHUNK_EVENT_TIME },
        { stage: 'bench', defaultDataset: 'mlplatform.job', chunkPrefix: 'chunks/', now: Date.now },
      );
      const batcher = new ChunkBatcher(context, { maxActions: 1 << 30, maxBytes: 1 << 30 }, 0, { enabled, maxLines: 500, maxBytes: 1 << 20 });
      const splitter = new LineSplitter(1 << 20);
      for (const line of splitter.push(gunzipSync(c.body))) batcher.add(line);
      for (const line of splitter.end()) batcher.add(line);
      for (const open of batcher.end().open) batcher.completeOpen(open, { lines: [], cut: false, writer: new EcsDocumentWriter(context) });
      return total + batcher.documents;
    }, 0);
  const off = documents(false);
  const on = documents(true);
  console.log(
    `\n## Documents per hour of a tqdm-heavy job (${lines.length.toLocaleString('en')} printed lines in ${chunks.length.toLocaleString('en')} one-second chunks)`,
  );
  printTable(
    ['grouping', 'documents per hour', 'vs off'],
    [
      ['off (one per line)', off.toLocaleString('en'), '1'],
      ['on', on.toLocaleString('en'), `${(on / off).toFixed(3)}×`],
    ],
  );
}

/** One `--cpu-prof` run of a variant; prints where the self time goes. */
async function profile(options: { mb: number; variant: Variant; top: number }): Promise<void> {
  const file = FRAMED.includes(options.variant) ? await framedCpuFixture(options.mb) : await cpuFixture(options.mb);
  const dir = path.join(BENCH_DIR, 'profiles', new Date().toISOString().replace(/[:.]/g, '-'));
  mkdirSync(dir, { recursive: true });
  const result = await runChild(SCRIPT, ['--child', options.variant, '--file', file], {
    nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
  });
  const profileFile = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!profileFile) throw new Error(`no .cpuprofile written in ${dir}`);
  console.log(`# ${options.variant} under --cpu-prof: ${(result.ms / 1000).toFixed(2)} s — ${path.relative(process.cwd(), path.join(dir, profileFile))}`);
  console.log('(open it in Chrome DevTools → Performance, or VS Code, for the call tree)\n');
  summarizeProfile(path.join(dir, profileFile), options.top);
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  hitCount?: number;
  children?: number[];
}

/** Self time per function, and per source file, from a V8 .cpuprofile. */
export function summarizeProfile(file: string, top: number): void {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  const short = (url: string): string => {
    if (!url) return '(native)';
    const p = url.replace(/^file:\/\//, '');
    return p.startsWith(process.cwd()) ? path.relative(process.cwd(), p) : p.replace(/^.*node_modules\//, '');
  };
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (!us) continue;
    const { functionName, url } = node.callFrame;
    // No line numbers: tsx-compiled sources report positions in its output, not in the .ts file.
    const name = `${functionName || '(anonymous)'}  ${short(url)}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
    byFile.set(short(url), (byFile.get(short(url)) ?? 0) + us);
  }
  const show = (title: string, entries: Map<string, number>, n: number): void => {
    console.log(`## ${title}`);
    printTable(
      ['self %', 'self ms', 'where'],
      [...entries.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, n)
        .map(([k, us]) => [((us / total) * 100).toFixed(1), (us / 1000).toFixed(0), k]),
    );
    console.log('');
  };
  show(`top ${top} functions by self time (total ${(total / 1e6).toFixed(2)} s)`, byFunction, top);
  show('self time by file', byFile, 15);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      child: { type: 'string' },
      file: { type: 'string' },
      rounds: { type: 'string', default: '5' },
      mb: { type: 'string', default: '100' },
      variants: { type: 'string', default: VARIANTS.filter((v) => v !== 'indexChunk-os').join(',') },
      profile: { type: 'boolean', default: false },
      'profile-variant': { type: 'string', default: 'indexChunk' },
      top: { type: 'string', default: '25' },
    },
  });
  const isVariant = (v: string): v is Variant => (VARIANTS as readonly string[]).includes(v);
  if (values.child) {
    if (!isVariant(values.child) || !values.file) throw new Error(`--child needs one of ${VARIANTS.join(', ')} and --file`);
    await child(values.child, values.file);
    return;
  }
  const mb = Number(values.mb);
  if (!(mb >= 1)) throw new Error('--mb must be ≥ 1');
  if (values.profile) {
    const variant = values['profile-variant'];
    if (!isVariant(variant) || variant === 'esf') throw new Error(`--profile-variant must be one of ${VARIANTS.filter((v) => v !== 'esf').join(', ')}`);
    await profile({ mb, variant, top: Number(values.top) });
    return;
  }
  const variants = values.variants.split(',').map((v) => v.trim());
  const unknown = variants.filter((v) => !isVariant(v));
  if (unknown.length > 0) throw new Error(`unknown variant(s) ${unknown.join(', ')}; known: ${VARIANTS.join(', ')}`);
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds must be a positive integer');
  await compare({ rounds, mb, variants: variants as Variant[] });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
