import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { clusterBulkSender, isOk, type ClusterTransport } from '../../../shared/adapters/search/index.js';
import { clusterJobIndex, type JobIndex } from '../../../shared/adapters/search/job-index.js';
import { identifyCluster, setupCluster } from '../../../shared/adapters/search/setup.js';
import { kindOf, templateNames, type ClusterKind } from '../../../shared/core/cluster/index.js';
import { createLogger } from '../../../shared/adapters/logger.js';
import { s3ChunkStore } from '../../../shared/adapters/s3/chunk-store.js';
import { loadIndexerConfig } from '../../../shared/config/indexer-config.js';
import { Slots } from '../../../shared/core/batch/index.js';
import { parseChunkKey } from '../../../shared/core/contract/index.js';
import { describeError, isPermanent } from '../../../shared/core/errors.js';
import { documentIdPrefix } from '../../../shared/core/ingest/index.js';
import {
  KeyWatermark,
  MAX_LISTED,
  resumeOrStart,
  selectionListing,
  type BackfillSelection,
  type BackfillState,
  type BackfillTarget,
} from '../../../shared/core/ops/index.js';
import type { IndexerDeps } from '../../../functions/indexer/deps.js';
import { emptyStats, indexChunk } from '../../../functions/indexer/index-chunk.js';
import { ES_REQUEST_TIMEOUT_MS, type AdminDeps } from '../deps.js';
import { AdminExitCode, TargetNotReadyError } from '../errors.js';
import { Progress } from '../progress.js';

export interface BackfillOptions {
  selection: BackfillSelection;
  /** The stage whose data streams receive the documents (default: the stage itself). */
  targetStage: string;
  /** The target cluster; default the target stage's (its stack output EsNode). */
  targetEsUrl: string | undefined;
  /** Where progress is kept between runs; default under ~/.cache/joblogs/admin/. */
  stateFile: string | undefined;
  concurrency: number;
  installTemplates: boolean;
  retentionDays: number;
  dryRun: boolean;
}

export interface BackfillResult {
  state: BackfillState;
  stateFile: string;
  resumed: boolean;
  /** Chunks this run looked at (after the resume point). */
  selected: number;
  seconds: number;
  throughput: { chunksPerS: number; linesPerS: number; mibPerS: number };
  dryRun: boolean;
}

/** Tries of a chunk that failed for a transient reason before the run stops (and can be resumed). */
const TRIES = 3;
const SAVE_EVERY_MS = 5_000;
const RECORD_CHECK_BATCH = 500;
/** Time given to one chunk (no Lambda deadline here; the indexer's headroom logic still applies). */
const CHUNK_DEADLINE_MS = 10 * 60_000;

/**
 * `joblogs admin backfill`: indexes a stage's chunks again, into the same cluster or another
 * (another stage's, or `--es-url`), without a single duplicate:
 *
 * - ids are deterministic (bucket, key, line) and documents are `create`d, so a line already in
 *   the data stream's write index is a 409, never a second copy;
 * - a chunk the target already has a record of (`joblogs-chunks-<stage>`) is not read at all;
 * - a chunk some of whose lines sit in an *older* backing index (after a rollover) is left alone
 *   and listed: `create` there would add a second copy.
 *
 * Resumable: progress goes to a state file after every few seconds; a second run with the same
 * selection and target goes on after the last chunk done. A transient failure (S3,
 * Elasticsearch) stops the run after retries — run it again.
 */
export async function backfillCommand(o: BackfillOptions, deps: AdminDeps): Promise<{ result: BackfillResult; exitCode: number }> {
  const target: BackfillTarget = { stage: o.targetStage, esNode: await targetNode(o, deps) };
  const transport = deps.transportFor(target.esNode);
  const kind = kindOf(await identifyCluster(transport));
  if (!o.dryRun) await ensureTemplates(transport, kind, target, o, deps);
  const stateFile = o.stateFile ?? defaultStateFile(deps.stage.bucket, o.selection, target);
  const { state, resumed } = resumeOrStart(readState(stateFile), { bucket: deps.stage.bucket, selection: o.selection, target }, new Date(deps.now()));
  const chunks = await selectChunks(o.selection, state.doneThrough, deps);
  const run = new BackfillRun({
    state,
    stateFile,
    target,
    index: clusterJobIndex(transport, { requestTimeoutMs: ES_REQUEST_TIMEOUT_MS }),
    indexer: indexerDeps(target, kind, transport, deps),
    deps,
    dryRun: o.dryRun,
  });
  const started = deps.now();
  await run.all(chunks, o.concurrency);
  const seconds = Math.max(0.001, (deps.now() - started) / 1000);
  const c = state.counts;
  const attention = c.unsafe + c.failed > 0;
  return {
    result: {
      state,
      stateFile,
      resumed,
      selected: chunks.length,
      seconds,
      dryRun: o.dryRun,
      throughput: { chunksPerS: chunks.length / seconds, linesPerS: run.lines / seconds, mibPerS: run.bytes / 1048576 / seconds },
    },
    exitCode: attention ? AdminExitCode.attention : AdminExitCode.ok,
  };
}

async function targetNode(o: BackfillOptions, deps: AdminDeps): Promise<string> {
  if (o.targetEsUrl) return o.targetEsUrl;
  if (o.targetStage === deps.stage.stage) return deps.elasticsearch().node;
  const read = await deps.stageOutputs.read(`joblogs-${o.targetStage}`);
  const node = read.outputs?.['EsNode'];
  if (!node)
    throw new TargetNotReadyError(`No Elasticsearch URL for target stage ${o.targetStage} (${read.outputs ? 'no EsNode output' : read.why}); pass --es-url`);
  return node;
}

/** Documents without the stage's templates would get dynamic mappings, and chunk records no stream. */
async function ensureTemplates(transport: ClusterTransport, kind: ClusterKind, target: BackfillTarget, o: BackfillOptions, deps: AdminDeps): Promise<void> {
  const name = templateNames(target.stage).index;
  const exists = await transport.request({ method: 'GET', path: `/_index_template/${name}`, timeoutMs: ES_REQUEST_TIMEOUT_MS });
  if (isOk(exists)) return;
  if (!o.installTemplates)
    throw new TargetNotReadyError(
      `${target.esNode} has no index template ${name}: install the stage's templates first (--install-templates, or deploy/es-setup.ts)`,
    );
  // The deploy step's own setup, on the kind the target is; a cluster that cannot keep the retention gets a warning here, not a refusal.
  await setupCluster(transport, {
    declared: kind,
    stage: target.stage,
    retentionDays: o.retentionDays,
    lifecycle: 'optional',
    warn: (m) => deps.io.stderr(`${m}\n`),
  });
}

function defaultStateFile(bucket: string, selection: BackfillSelection, target: BackfillTarget): string {
  const id = createHash('sha256').update(JSON.stringify({ bucket, selection, target })).digest('hex').slice(0, 16);
  return path.join(process.env['XDG_CACHE_HOME'] ?? path.join(homedir(), '.cache'), 'joblogs', 'admin', `backfill-${target.stage}-${id}.json`);
}

function readState(file: string): BackfillState | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as BackfillState;
  } catch {
    return undefined;
  }
}

function writeState(file: string, state: BackfillState): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

interface SelectedChunk {
  key: string;
  jobId: string;
  source: string;
  seq: number;
  size: number;
  lastModified: Date | undefined;
}

async function selectChunks(selection: BackfillSelection, after: string | null, deps: AdminDeps): Promise<SelectedChunk[]> {
  const { prefix, since } = selectionListing(selection);
  const out: SelectedChunk[] = [];
  for await (const object of deps.bucket.listObjects(prefix, { startAfter: after ?? undefined })) {
    if (since && (object.lastModified?.getTime() ?? 0) < since.getTime()) continue;
    try {
      out.push({ key: object.key, ...parseChunkKey(object.key, 'chunks/'), size: object.size, lastModified: object.lastModified });
    } catch {
      // Not a chunk (the indexer would dead-letter it): nothing to index.
    }
  }
  return out;
}

/** The indexer's own dependencies, pointed at the target; its dead letters are kept here, not written to the bucket. */
function indexerDeps(target: BackfillTarget, kind: ClusterKind, transport: ClusterTransport, deps: AdminDeps): IndexerDeps {
  const config = loadIndexerConfig({
    STAGE: target.stage,
    LOG_BUCKET: deps.stage.bucket,
    ES_NODE: target.esNode,
    CLUSTER_KIND: kind,
    CLUSTER_AUTH: deps.config.clusterAuth,
    AWS_REGION: deps.config.region,
    S3_FORCE_PATH_STYLE: String(deps.config.forcePathStyle),
    ES_REQUEST_TIMEOUT_MS: '60000',
  });
  return {
    config,
    chunks: s3ChunkStore(deps.s3),
    deadLetters: { write: async (report) => `(not written: ${report.code})` },
    sendBulk: clusterBulkSender(transport),
    logger: createLogger('joblogs-admin-backfill', new Writable({ write: (_c, _e, done) => done() })),
    now: Date.now,
    sleep: deps.sleep,
    random: Math.random,
  };
}

interface BackfillRunOptions {
  state: BackfillState;
  stateFile: string;
  target: BackfillTarget;
  index: JobIndex;
  indexer: IndexerDeps;
  deps: AdminDeps;
  dryRun: boolean;
}

/** One run over the selected chunks: a few at a time, the state saved as the resume point moves. */
class BackfillRun {
  lines = 0;
  bytes = 0;
  readonly #o: BackfillRunOptions;
  readonly #mark: KeyWatermark;
  readonly #slots: Slots;
  #savedAt = 0;
  #writeIndices: Set<string> | undefined;

  constructor(o: BackfillRunOptions) {
    this.#o = o;
    this.#mark = new KeyWatermark(o.state.doneThrough);
    this.#slots = new Slots(o.indexer.config.bulk.concurrency);
  }

  async all(chunks: readonly SelectedChunk[], concurrency: number): Promise<void> {
    const { deps } = this.#o;
    const progress = new Progress(deps.io, { unit: 'chunks', total: chunks.length, enabled: deps.config.progress });
    this.#writeIndices = await this.#o.index.writeIndices(this.#o.target.stage);
    let next = 0;
    try {
      for (let from = 0; from < chunks.length; from += RECORD_CHECK_BATCH) {
        const batch = chunks.slice(from, from + RECORD_CHECK_BATCH);
        const recorded = await this.#o.index.recordedChunks(
          this.#o.target.stage,
          batch.map((c) => documentIdPrefix(deps.stage.bucket, c.key)),
        );
        next = 0;
        const worker = async () => {
          while (next < batch.length) {
            const chunk = batch[next++]!;
            this.#mark.started(chunk.key);
            await this.#one(chunk, recorded.has(documentIdPrefix(deps.stage.bucket, chunk.key)));
            this.#mark.done(chunk.key);
            progress.advance();
            this.#maybeSave();
          }
        };
        await Promise.all(Array.from({ length: Math.min(concurrency, batch.length) }, worker));
      }
    } finally {
      progress.finish();
      this.#save();
    }
  }

  async #one(chunk: SelectedChunk, recorded: boolean): Promise<void> {
    const { state, deps } = this.#o;
    const c = state.counts;
    c.chunks++;
    if (recorded) {
      c.alreadyIndexed++;
      return;
    }
    const present = await this.#o.index.chunkDocumentsByIndex(this.#o.target.stage, chunk);
    const older = [...present.keys()].filter((index) => !this.#writeIndices!.has(index));
    if (older.length > 0) {
      c.unsafe++;
      this.#attention(chunk.key, 'OLDER_BACKING_INDEX', `some of its lines are in ${older.join(', ')} (not the write index): indexing it would duplicate them`);
      return;
    }
    if (this.#o.dryRun) return;
    for (let attempt = 1; ; attempt++) {
      const stats = emptyStats();
      try {
        await indexChunk(
          { bucket: deps.stage.bucket, key: chunk.key, eventTime: chunk.lastModified?.toISOString(), size: chunk.size },
          { deps: this.#o.indexer, deadlineAt: Date.now() + CHUNK_DEADLINE_MS, slots: this.#slots, stats, redelivery: false },
        );
        this.#add(stats);
        return;
      } catch (error) {
        this.#add(stats);
        if (isPermanent(error)) {
          c.failed++;
          this.#attention(chunk.key, describeError(error).code, describeError(error).message);
          return;
        }
        if (attempt >= TRIES) throw error;
        await deps.sleep(1000 * 2 ** (attempt - 1));
      }
    }
  }

  #add(stats: ReturnType<typeof emptyStats>): void {
    const c = this.#o.state.counts;
    c.indexed += stats.indexed;
    c.duplicates += stats.duplicates;
    c.lines += stats.lines;
    c.bytes += stats.bytes;
    this.lines += stats.lines;
    this.bytes += stats.bytes;
  }

  #attention(key: string, code: string, reason: string): void {
    if (this.#o.state.attention.length < MAX_LISTED) this.#o.state.attention.push({ key, code, reason });
  }

  #maybeSave(): void {
    if (this.#o.deps.now() - this.#savedAt >= SAVE_EVERY_MS) this.#save();
  }

  #save(): void {
    if (this.#o.dryRun) return;
    this.#savedAt = this.#o.deps.now();
    this.#o.state.doneThrough = this.#mark.through;
    this.#o.state.updatedAt = new Date(this.#savedAt).toISOString();
    writeState(this.#o.stateFile, this.#o.state);
  }
}

export function renderBackfill(r: BackfillResult): string {
  const c = r.state.counts;
  const lines = [
    `${r.dryRun ? 'dry run: ' : ''}backfill of ${JSON.stringify(r.state.selection)} into stage ${r.state.target.stage} (${r.state.target.esNode})${r.resumed ? `, resumed after ${r.state.doneThrough ?? 'the start'}` : ''}`,
    `${c.chunks} chunk(s) in all: ${c.indexed} document(s) created, ${c.duplicates} already there (409), ${c.alreadyIndexed} chunk(s) already recorded, ${c.unsafe} left alone, ${c.failed} failed`,
    `this run: ${r.selected} chunk(s) in ${r.seconds.toFixed(1)} s — ${r.throughput.chunksPerS.toFixed(1)} chunks/s, ${Math.round(r.throughput.linesPerS)} lines/s, ${r.throughput.mibPerS.toFixed(2)} MiB/s`,
    `state: ${r.stateFile}`,
  ];
  for (const a of r.state.attention) lines.push(`  ${a.code} ${a.key}: ${a.reason}`);
  return `${lines.join('\n')}\n`;
}
