import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { OpenedChunk } from '../../shared/adapters/s3/chunk-store.js';
import { gunzipChunk } from '../../shared/core/contract/index.js';
import { lineDefaults, readPrintedLines, SourceItems, type SourceItem, type SourcePlan, type SourcePosition } from '../../shared/core/download/index.js';
import { isPermanent, type JoblogsError } from '../../shared/core/errors.js';

export interface SourceReaderDeps {
  open(seq: number): Promise<OpenedChunk>;
  /** Each chunk's metadata, once, as it is opened. */
  onChunk(metadata: Record<string, string | undefined>): void;
  prefetch: number;
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
async function* readChunk(chunk: FetchedChunk, at: { seq: number; startIndex: number }, items: SourceItems, deps: SourceReaderDeps): AsyncGenerator<SourceItem[]> {
  deps.onChunk(chunk.metadata);
  const defaults = lineDefaults(chunk.metadata, items.time);
  items.chunkStarts();
  try {
    const text = chunk.plain ? bodyOf(chunk.plain) : gunzipChunk(chunk.body);
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
  }
  if (items.pending) yield items.take();
}

const UNREADABLE: Record<string, string> = { NOT_GZIP: 'not gzip', CORRUPT_GZIP: 'corrupt gzip' };
const unreadableReason = (error: JoblogsError) => UNREADABLE[error.code] ?? error.code.toLowerCase().replace(/_/g, ' ');

const MAX_PREFETCHED_BYTES = 32 * 1024 * 1024;
const gunzipAsync = promisify(gunzip);

/** An opened chunk; `plain` when it was read whole and decompressed ahead. */
type FetchedChunk = OpenedChunk & { plain?: Buffer };

const bodyOf = (buffer: Buffer) =>
  Object.assign(
    (async function* () {
      yield buffer;
    })(),
    { destroy() {} },
  );

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
 * Opens a chunk (undefined when it no longer exists). Small ones are read whole and decompressed
 * on the thread pool right away, so fetching and gunzip overlap the reading of earlier chunks; one
 * that does not decompress keeps its raw bytes for the streaming reader, which keeps its readable
 * head and names the error.
 */
async function fetchChunk(deps: SourceReaderDeps, seq: number): Promise<FetchedChunk | undefined> {
  let chunk: OpenedChunk;
  try {
    chunk = await deps.open(seq);
  } catch (error) {
    if (isPermanent(error)) return undefined; // gone (deleted, expired)
    throw error;
  }
  if (chunk.contentLength === undefined || chunk.contentLength > MAX_PREFETCHED_BYTES) return chunk;
  const parts: Buffer[] = [];
  for await (const part of chunk.body) parts.push(part as Buffer);
  const whole = Buffer.concat(parts);
  // One output callback per MiB instead of one per 16 KiB (zlib's default chunk size).
  const plain = await gunzipAsync(whole, { chunkSize: 1 << 20 }).catch(() => undefined);
  return plain ? { ...chunk, body: bodyOf(whole), plain } : { ...chunk, body: bodyOf(whole) };
}
