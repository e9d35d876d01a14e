/**
 * Chunks exactly as the shipper frames them — its event marker deciding each frame's mark and
 * each chunk's `open-events` — but cut at chosen lines instead of by size and time, so a test
 * can put a chunk boundary anywhere (inside an event, inside a progress bar).
 *
 * @example
 * const chunks = markedChunks({ jobId, lines, cuts: [7] }); // two chunks, the boundary after line 7
 * for (const c of chunks) await s3.send(new PutObjectCommand({ Bucket, Key: c.key, Body: c.body, Metadata: c.metadata }));
 */
import { gzipSync } from 'node:zlib';
import { chunkKey, ChunkFormat, encodeFrame, EventMetadata, EVENTS_MARKED, type FrameStream, type FrameTerminator } from '../shared/core/contract/index.js';
import { EventMarker, type EventMarkerOptions } from '../shared/shipper/event-marker.js';
import type { PrintedChunk } from './invariant.js';

/** One captured line of a stream. */
export interface CapturedText {
  stream: FrameStream;
  text: string;
  terminator: FrameTerminator;
}

export interface MarkedChunk {
  key: string;
  body: Buffer;
  metadata: Record<string, string>;
  /** What the invariant needs: each frame's text, number and stream. */
  printed: PrintedChunk;
  final: boolean;
}

/**
 * Frames `lines` into chunks ending after each index in `cuts` (and at the end; the last chunk is
 * final). `marks: false` writes frames without marks, as a shipper before event marks did.
 */
export function markedChunks(o: {
  jobId: string;
  source?: string;
  lines: readonly CapturedText[];
  cuts: readonly number[];
  firstSeq?: number;
  time?: number;
  marks?: boolean;
  events?: Partial<EventMarkerOptions>;
}): MarkedChunk[] {
  const marker = o.marks === false ? undefined : new EventMarker({ maxLines: 500, maxBytes: 1024 * 1024, holdMs: 0, idleMs: 0, ...o.events });
  const source = o.source ?? 'main';
  const bounds = [...new Set(o.cuts)].filter((c) => c >= 0 && c < o.lines.length - 1).sort((a, b) => a - b);
  const chunks: MarkedChunk[] = [];
  let frames: string[] = [];
  let printed: string[] = [];
  let numbers: Array<{ line: number; stream: string }> = [];
  const time = o.time ?? Date.UTC(2026, 10, 25, 10, 0, 0);
  const seal = (final: boolean) => {
    const open = marker ? (final ? [] : marker.sealed()) : undefined;
    const seq = (o.firstSeq ?? 0) + chunks.length;
    const key = chunkKey({ jobId: o.jobId, source, seq });
    const metadata: Record<string, string> = { format: ChunkFormat.framedV1, producer: 'joblogs-shipper/0.1.0', 'chunk-start': new Date(time).toISOString() };
    if (open) metadata[EventMetadata.marks] = EVENTS_MARKED;
    if (open && open.length > 0) metadata[EventMetadata.openEvents] = open.join(',');
    if (final) Object.assign(metadata, { final: 'true', 'exit-code': '1', 'line-count': String(o.lines.length) });
    chunks.push({ key, body: gzipSync(frames.map((f) => `${f}\n`).join('')), metadata, printed: { key, lines: printed, frames: numbers }, final });
    frames = [];
    printed = [];
    numbers = [];
  };
  o.lines.forEach((line, n) => {
    const bytes = Buffer.from(line.text, 'utf8');
    const mark = marker?.mark(line.stream, bytes, line.terminator, time + n);
    frames.push(encodeFrame({ time: time + n, stream: line.stream, line: n, bytes, terminator: line.terminator, ...(mark ? { mark } : {}) }));
    printed.push(line.text);
    numbers.push({ line: n, stream: line.stream });
    if (bounds.includes(n)) seal(false);
  });
  seal(true);
  return chunks;
}
