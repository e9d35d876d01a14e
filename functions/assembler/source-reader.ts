import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { OpenedChunk } from '../../shared/adapters/s3/chunk-store.js';
import { gunzipChunk } from '../../shared/core/contract/index.js';
import { lineDefaults, readPrintedLines, SourceItems, type SourceItem, type SourcePlan, type SourcePosition } from '../../shared/core/download/index.js';
import { isPermanent, type JoblogsError } from '../../shared/core/errors.js';

export interface SourceReaderDeps {
  open(seq: number): Promise<OpenedChunk>;
  prefetch: number;
  /** Bytes prefetched chunks may hold (compressed and inflated), shared by every source of the invocation. */
  budget: ByteBudget;
  /** The contract's bound on what a chunk inflates to. */
  maxChunkBytes: number;
  /** Time of a gap before the first line (the job's start). */
  startTime: number;
}

/**
 * The items of one source in order — its printed lines, with an explicit gap item wherever chunks
 * are missing or unreadable — from `start` on, in batches. Chunks are fetched `prefetch` ahead so
 * S3 latency overlaps with reading; a line continued across a chunk boundary is joined.
 */
export async function* readSource(plan: SourcePlan, deps: SourceReaderDeps, start?: SourcePosition): AsyncGenerator<SourceItem[]> {
  const firstSeq = start?.seq ?? 0;
  const missing = new Set(plan.missing);
  const items = new SourceItems(start, deps.startTime);
  const chunks = new ChunkPrefetch(presentSeqs(plan, firstSeq, missing), deps);
  for (let seq = firstSeq; seq <= plan.lastSeq; seq++) {
    const chunk = missing.has(seq) ? undefined : await chunks.take(seq);
    if (!chunk) {
      items.missing(seq, 'missing');
      continue;
    }
    yield* readChunk(chunk, { seq, startIndex: seq === firstSeq ? (start?.index ?? 0) : 0 }, items, deps);
  }
  items.end(plan.lineCount);
  if (items.pending) yield items.take();
}

function presentSeqs(plan: SourcePlan, firstSeq: number, missing: Set<number>): number[] {
  const present: number[] = [];
  for (let seq = firstSeq; seq <= plan.lastSeq; seq++) if (!missing.has(seq)) present.push(seq);
  return present;
}

/** One chunk's lines into `items`; what it held past a corrupt or non-gzip spot becomes a gap. */
async function* readChunk(
  chunk: FetchedChunk,
  at: { seq: number; startIndex: number },
  items: SourceItems,
  deps: SourceReaderDeps,
): AsyncGenerator<SourceItem[]> {
  const defaults = lineDefaults(chunk.metadata, items.time);
  items.chunkStarts();
  try {
    const text = chunk.plain ? slicesOf(chunk.plain) : gunzipChunk(chunk.body, deps.maxChunkBytes);
    for await (const lines of readPrintedLines(text, defaults, at.startIndex)) {
      for (const line of lines) items.line(at.seq, line);
      if (items.pending) yield items.take();
    }
  } catch (error) {
    if (!isPermanent(error)) throw error;
    // What was readable is kept; the rest of this chunk is marked, never silently skipped.
    items.unreadable(at.seq, unreadableReason(error));
  } finally {
    chunk.body.destroy();
    deps.budget.give(chunk.held ?? 0);
  }
  if (items.pending) yield items.take();
}

const UNREADABLE: Record<string, string> = { NOT_GZIP: 'not gzip', CORRUPT_GZIP: 'corrupt gzip', CHUNK_TOO_LARGE: 'larger than the contract allows' };
const unreadableReason = (error: JoblogsError) => UNREADABLE[error.code] ?? error.code.toLowerCase().replace(/_/g, ' ');

/** Chunks up to this size (compressed) are read whole and inflated ahead; bigger ones stream. */
const MAX_PREFETCHED_BYTES = 1024 * 1024;
/** Inflated text is handed to the line reader in pieces this big: one batch of lines each, bounded. */
const SLICE_BYTES = 64 * 1024;
const gunzipAsync = promisify(gunzip);

/** An opened chunk; `plain` when it was read whole and inflated ahead, `held` the budget bytes it holds. */
type FetchedChunk = OpenedChunk & { plain?: Buffer; held?: number };

const bodyOf = (buffer: Buffer) =>
  Object.assign(
    (async function* () {
      yield buffer;
    })(),
    { destroy() {} },
  );

function* slicesOfSync(buffer: Buffer): Generator<Buffer> {
  for (let at = 0; at < buffer.length; at += SLICE_BYTES) yield buffer.subarray(at, at + SLICE_BYTES);
}
const slicesOf = (buffer: Buffer) =>
  Object.assign(
    (async function* () {
      yield* slicesOfSync(buffer);
    })(),
    { destroy() {} },
  );

/**
 * Bytes the prefetched chunks of one invocation may hold in all, whatever the number of sources:
 * a chunk is read whole and inflated ahead only while the budget allows, otherwise it streams
 * (bounded by the contract's limit as it is read). Memory stays bounded whatever the input.
 */
export class ByteBudget {
  #left: number;
  constructor(bytes: number) {
    this.#left = bytes;
  }
  take(bytes: number): boolean {
    if (bytes > this.#left) return false;
    this.#left -= bytes;
    return true;
  }
  give(bytes: number): void {
    this.#left += bytes;
  }
}

/** Keeps the next `deps.prefetch` chunks of a source being fetched while earlier ones are read. */
class ChunkPrefetch {
  readonly #fetches = new Map<number, Promise<FetchedChunk | undefined>>();
  #next = 0;

  constructor(
    private readonly seqs: number[],
    private readonly deps: SourceReaderDeps,
  ) {}

  /** Chunk `seq` (which must be the next present one), or undefined when it is gone from S3. */
  async take(seq: number): Promise<FetchedChunk | undefined> {
    this.#fill();
    const fetched = this.#fetches.get(seq)!;
    this.#fetches.delete(seq);
    return fetched;
  }

  #fill(): void {
    while (this.#fetches.size < this.deps.prefetch && this.#next < this.seqs.length) {
      const seq = this.seqs[this.#next++]!;
      const fetching = fetchChunk(this.deps, seq);
      fetching.catch(() => undefined);
      this.#fetches.set(seq, fetching);
    }
  }
}

/**
 * Opens a chunk (undefined when it no longer exists). A small one is read whole and inflated on
 * the thread pool right away — so fetching and gunzip overlap the reading of earlier chunks — when
 * the invocation's budget has room for its compressed and inflated bytes; zlib stops at the
 * contract's bound (`maxOutputLength`). Anything else (big, over the budget, not gzip, corrupt,
 * too large) streams, and the streaming reader keeps its readable head and names the error.
 */
async function fetchChunk(deps: SourceReaderDeps, seq: number): Promise<FetchedChunk | undefined> {
  let chunk: OpenedChunk;
  try {
    chunk = await deps.open(seq);
  } catch (error) {
    if (isPermanent(error)) return undefined; // gone (deleted, expired)
    throw error;
  }
  const size = chunk.contentLength;
  if (size === undefined || size > MAX_PREFETCHED_BYTES || !deps.budget.take(size)) return chunk;
  const parts: Buffer[] = [];
  for await (const part of chunk.body) parts.push(part as Buffer);
  const whole = Buffer.concat(parts);
  // One output callback per MiB instead of one per 16 KiB (zlib's default chunk size).
  const plain = await gunzipAsync(whole, { chunkSize: 1 << 20, maxOutputLength: deps.maxChunkBytes }).catch(() => undefined);
  if (plain && deps.budget.take(plain.length)) return { ...chunk, body: bodyOf(whole), plain, held: size + plain.length };
  return { ...chunk, body: bodyOf(whole), held: size };
}
