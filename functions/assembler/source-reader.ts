import { CorruptGzipError, NotGzipError, ObjectGoneError } from '../../shared/core/errors.js';
import { gunzipChunk } from '../../shared/core/contract/index.js';
import { lineDefaults, readPrintedLines, type Gap, type PrintedLine, type SourcePlan } from '../../shared/core/download/index.js';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { OpenedChunk } from '../../shared/adapters/s3/chunk-store.js';

/** Where a source's reading stands: the chunk and line index the next item starts at. */
export interface SourcePosition {
  seq: number;
  index: number;
  /** Line number expected next (for the gap marker's line range after a resume). */
  nextLine?: number | undefined;
  /** Time of the last line read (gap markers sort after it). */
  time: number;
}

export type SourceItem = { kind: 'line'; line: PrintedLine; pos: SourcePosition } | { kind: 'gap'; gap: Gap; pos: SourcePosition };

export interface SourceReaderDeps {
  open(seq: number): Promise<OpenedChunk>;
  /** Each chunk's metadata, once, as it is opened (owner/team come from here). */
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
  const missing = new Set(plan.missing);
  const firstSeq = start?.seq ?? 0;
  const present: number[] = [];
  for (let seq = firstSeq; seq <= plan.lastSeq; seq++) if (!missing.has(seq)) present.push(seq);
  const fetches = new Map<number, Promise<FetchedChunk>>();
  let nextFetch = 0;
  const fetchAhead = () => {
    while (fetches.size < deps.prefetch && nextFetch < present.length) {
      const seq = present[nextFetch++]!;
      const p = fetchChunk(deps, seq);
      p.catch(() => undefined);
      fetches.set(seq, p);
    }
  };

  let nextLine = start ? start.nextLine : 0;
  let time = start?.time ?? deps.startTime;
  let carry: { line: PrintedLine; pos: SourcePosition; parts: Buffer[] } | undefined;
  let gap: { gap: Gap; pos: SourcePosition } | undefined;
  let out: SourceItem[] = [];

  const flushCarry = () => {
    if (!carry) return;
    out.push({ kind: 'line', line: { ...carry.line, bytes: Buffer.concat(carry.parts) }, pos: carry.pos });
    carry = undefined;
  };
  const openGap = (seq: number, reason: string) => {
    flushCarry();
    if (gap && gap.gap.toSeq === seq - 1 && gap.gap.reason === reason) {
      gap.gap.toSeq = seq;
      return;
    }
    if (gap) out.push({ kind: 'gap', ...gap });
    gap = { gap: { fromSeq: seq, toSeq: seq, fromLine: nextLine, toLine: undefined, time, reason }, pos: { seq, index: 0, nextLine, time } };
  };
  const closeGap = (firstLineOfNext: number | undefined) => {
    if (!gap) return;
    gap.gap.toLine = firstLineOfNext === undefined ? undefined : firstLineOfNext - 1;
    out.push({ kind: 'gap', ...gap });
    gap = undefined;
  };

  for (let seq = firstSeq; seq <= plan.lastSeq; seq++) {
    if (missing.has(seq)) {
      openGap(seq, 'missing');
      continue;
    }
    fetchAhead();
    const fetched = fetches.get(seq)!;
    fetches.delete(seq);
    let chunk: FetchedChunk;
    try {
      chunk = await fetched;
    } catch (error) {
      if (!(error instanceof ObjectGoneError)) throw error;
      openGap(seq, 'missing');
      continue;
    }
    deps.onChunk(chunk.metadata);
    const defaults = lineDefaults(chunk.metadata, time);
    const startIndex = seq === firstSeq ? (start?.index ?? 0) : 0;
    let first = true;
    try {
      const text = chunk.plain ? bodyOf(chunk.plain) : gunzipChunk(chunk.body);
      for await (const lines of readPrintedLines(text, defaults, startIndex)) {
        for (const line of lines) {
          if (first) {
            first = false;
            closeGap(line.line);
          }
          time = Math.max(time, line.time);
          if (line.lastLine !== undefined) nextLine = line.lastLine + 1;
          if (carry) {
            carry.parts.push(line.bytes);
            if (line.complete) flushCarry();
            continue;
          }
          const pos: SourcePosition = { seq, index: line.index, nextLine: line.line, time };
          if (line.complete) out.push({ kind: 'line', line, pos });
          else carry = { line, pos, parts: [line.bytes] };
        }
        if (out.length > 0) {
          yield out;
          out = [];
        }
      }
    } catch (error) {
      if (!(error instanceof CorruptGzipError || error instanceof NotGzipError)) throw error;
      // What was readable is kept; the rest of this chunk is marked, never silently skipped.
      closeGap(undefined);
      openGap(seq, error instanceof NotGzipError ? 'not gzip' : 'corrupt gzip');
    } finally {
      chunk.body.destroy();
    }
    if (out.length > 0) {
      yield out;
      out = [];
    }
  }
  flushCarry();
  if (gap) {
    gap.gap.toLine = plan.lineCount === undefined ? undefined : plan.lineCount - 1;
    out.push({ kind: 'gap', ...gap });
  }
  if (out.length > 0) yield out;
}

const MAX_PREFETCHED_BYTES = 32 * 1024 * 1024;
const gunzipAsync = promisify(gunzip);

/** An opened chunk; `plain` when it was read whole and decompressed ahead. */
type FetchedChunk = OpenedChunk & { plain?: Buffer };

const bodyOf = (buffer: Buffer) => Object.assign((async function* () { yield buffer; })(), { destroy() {} });

/**
 * Opens a chunk. Small ones are read whole and decompressed on the thread pool right away, so
 * fetching and gunzip overlap the reading of earlier chunks; one that does not decompress keeps
 * its raw bytes for the streaming reader, which keeps its readable head and names the error.
 */
async function fetchChunk(deps: SourceReaderDeps, seq: number): Promise<FetchedChunk> {
  const chunk = await deps.open(seq);
  if (chunk.contentLength === undefined || chunk.contentLength > MAX_PREFETCHED_BYTES) return chunk;
  const parts: Buffer[] = [];
  for await (const part of chunk.body) parts.push(part as Buffer);
  const whole = Buffer.concat(parts);
  // One output callback per MiB instead of one per 16 KiB (zlib's default chunk size).
  const plain = await gunzipAsync(whole, { chunkSize: 1 << 20 }).catch(() => undefined);
  return plain ? { ...chunk, body: bodyOf(whole), plain } : { ...chunk, body: bodyOf(whole) };
}
