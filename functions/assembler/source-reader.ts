import {
  CorruptGzipError,
  gunzipChunk,
  lineDefaults,
  NotGzipError,
  ObjectGoneError,
  readPrintedLines,
  type Gap,
  type PrintedLine,
  type SourcePlan,
} from '../../shared/core/index.js';
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
 * are missing or unreadable — from `start` on. Chunks are fetched `prefetch` ahead so S3 latency
 * overlaps with reading; a line continued across a chunk boundary is joined.
 */
export async function* readSource(plan: SourcePlan, deps: SourceReaderDeps, start?: SourcePosition): AsyncGenerator<SourceItem> {
  const missing = new Set(plan.missing);
  const firstSeq = start?.seq ?? 0;
  const seqs: number[] = [];
  for (let seq = firstSeq; seq <= plan.lastSeq; seq++) seqs.push(seq);
  const fetches = new Map<number, Promise<Fetched>>();
  const presentAhead = seqs.filter((s) => !missing.has(s));
  const fetchAhead = (from: number) => {
    for (const seq of presentAhead) {
      if (seq < from || fetches.has(seq)) continue;
      if (fetches.size >= deps.prefetch) break;
      const p = fetchChunk(deps, seq);
      p.catch(() => undefined);
      fetches.set(seq, p);
    }
  };

  let nextLine = start ? start.nextLine : 0;
  let time = start?.time ?? deps.startTime;
  let carry: { line: PrintedLine; pos: SourcePosition; parts: Buffer[] } | undefined;
  let gap: { gap: Gap; pos: SourcePosition } | undefined;

  const flushCarry = function* (): Generator<SourceItem> {
    if (!carry) return;
    yield { kind: 'line', line: { ...carry.line, bytes: Buffer.concat(carry.parts) }, pos: carry.pos };
    carry = undefined;
  };
  const openGap = (seq: number, reason: string): Generator<SourceItem> | undefined => {
    if (gap && gap.gap.toSeq === seq - 1 && gap.gap.reason === reason) {
      gap.gap.toSeq = seq;
      return undefined;
    }
    const previous = gap;
    gap = { gap: { fromSeq: seq, toSeq: seq, fromLine: nextLine, toLine: undefined, time, reason }, pos: { seq, index: 0, nextLine, time } };
    return previous ? (function* () { yield { kind: 'gap' as const, ...previous }; })() : undefined;
  };
  const closeGap = function* (firstLineOfNext: number | undefined): Generator<SourceItem> {
    if (!gap) return;
    gap.gap.toLine = firstLineOfNext === undefined ? undefined : firstLineOfNext - 1;
    yield { kind: 'gap', ...gap };
    gap = undefined;
  };

  for (const seq of seqs) {
    if (missing.has(seq)) {
      yield* flushCarry();
      const previous = openGap(seq, 'missing');
      if (previous) yield* previous;
      continue;
    }
    fetchAhead(seq);
    const fetched = fetches.get(seq) ?? fetchChunk(deps, seq);
    fetches.delete(seq);
    let chunk: OpenedChunk;
    try {
      chunk = (await fetched).chunk;
    } catch (error) {
      if (!(error instanceof ObjectGoneError)) throw error;
      yield* flushCarry();
      const previous = openGap(seq, 'missing');
      if (previous) yield* previous;
      continue;
    }
    deps.onChunk(chunk.metadata);
    const defaults = lineDefaults(chunk.metadata, time);
    const startIndex = seq === firstSeq ? (start?.index ?? 0) : 0;
    let first = true;
    try {
      for await (const line of readPrintedLines(gunzipChunk(chunk.body), defaults, startIndex)) {
        if (first) {
          first = false;
          yield* closeGap(line.line);
        }
        time = Math.max(time, line.time);
        if (line.lastLine !== undefined) nextLine = line.lastLine + 1;
        if (carry) {
          carry.parts.push(line.bytes);
          if (line.complete) yield* flushCarry();
          continue;
        }
        const pos: SourcePosition = { seq, index: line.index, nextLine: line.line, time };
        if (!line.complete) {
          carry = { line, pos, parts: [line.bytes] };
          continue;
        }
        yield { kind: 'line', line, pos };
      }
    } catch (error) {
      if (!(error instanceof CorruptGzipError || error instanceof NotGzipError)) throw error;
      // What was readable is kept; the rest of this chunk is marked, never silently skipped.
      yield* flushCarry();
      yield* closeGap(undefined);
      const previous = openGap(seq, error instanceof NotGzipError ? 'not gzip' : 'corrupt gzip');
      if (previous) yield* previous;
    } finally {
      chunk.body.destroy();
    }
  }
  yield* flushCarry();
  if (gap) {
    gap.gap.toLine = plan.lineCount === undefined ? undefined : plan.lineCount - 1;
    yield { kind: 'gap', ...gap };
  }
}

interface Fetched {
  chunk: OpenedChunk;
}

const MAX_PREFETCHED_BYTES = 32 * 1024 * 1024;

/** Opens a chunk; small ones are read whole right away so the fetch overlaps other work. */
async function fetchChunk(deps: SourceReaderDeps, seq: number): Promise<Fetched> {
  const chunk = await deps.open(seq);
  if (chunk.contentLength === undefined || chunk.contentLength > MAX_PREFETCHED_BYTES) return { chunk };
  const parts: Buffer[] = [];
  for await (const part of chunk.body) parts.push(part as Buffer);
  const whole = Buffer.concat(parts);
  return { chunk: { ...chunk, body: Object.assign((async function* () { yield whole; })(), { destroy() {} }) } };
}
