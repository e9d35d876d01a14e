import { describe, expect, it } from 'vitest';
import { documentIdPrefix, LineSplitter } from '../../../../../shared/core/ingest/index.js';
import { barStatesOf, RedrawReader, toApiLine } from '../../../../../shared/core/logs/index.js';
import { markedChunks } from '../../../../../testkit/frames.js';
import { gunzipSync } from 'node:zlib';

const BUCKET = 'joblogs-logs-prod';
const KEY = 'chunks/v1/job-42/main/0000000003.log.gz';

function barHit(o: { id?: string; key?: string; sequence?: number; line?: number; lastLine?: number; span?: number; message?: string } = {}) {
  return {
    _id: o.id ?? `${documentIdPrefix(BUCKET, o.key ?? KEY)}-1`,
    _source: {
      '@timestamp': '2026-11-25T10:00:00.000Z',
      message: o.message ?? '100%|██████████| 2/2',
      event: { sequence: o.sequence ?? 30_000_001 },
      joblogs: {
        source: 'main',
        stream: 'stderr',
        chunk_seq: 3,
        chunk_key: o.key ?? KEY,
        redraws: 2,
        span: o.span ?? 3,
        ...(o.line !== undefined ? { line: o.line, last_line: o.lastLine } : {}),
      },
    },
  };
}

describe('toApiLine', () => {
  it('says how many lines an event or a collapsed bar stands for, and the redraws behind a bar', () => {
    const event = toApiLine(
      { _source: { message: 'a\nb\nc', event: { sequence: 5 }, joblogs: { source: 'main', line: 10, span: 3, last_line: 12 } } },
      'source',
    );
    expect(event).toMatchObject({ line: 10, span: 3 });
    expect(event).not.toHaveProperty('redraws');
    const interleaved = toApiLine(
      { _source: { message: 'a\nb', event: { sequence: 5 }, joblogs: { source: 'main', line: 10, span: 2, last_line: 12, lines: [10, 12] } } },
      'source',
    );
    expect(interleaved).toMatchObject({ span: 3, lines: [10, 12] });
    expect(toApiLine(barHit({ line: 20, lastLine: 25, span: 4 }), 'source')).toMatchObject({ line: 20, span: 6, redraws: 2 });
    expect(toApiLine({ _source: { message: 'x', event: { sequence: 1 }, joblogs: { source: 'main', line: 1 } } }, 'source')).not.toHaveProperty('span');
  });
});

describe("a line's capture time", () => {
  const captured = (value: unknown) =>
    toApiLine({ _source: { message: 'x', event: { sequence: 1 }, joblogs: { source: 'main', captured: value } } }, 'merged').captured;

  it('is joblogs.captured in RFC 3339, whether the cluster gives it as a number or as digits', () => {
    expect(captured(1764064800123)).toBe('2025-11-25T10:00:00.123Z');
    expect(captured('1764064800123')).toBe('2025-11-25T10:00:00.123Z');
  });

  it('is the epoch for a document without one or with a value no date holds, never an error', () => {
    expect(captured(undefined)).toBe('1970-01-01T00:00:00.000Z');
    expect(captured('not a time')).toBe('1970-01-01T00:00:00.000Z');
    expect(captured(9e15)).toBe('1970-01-01T00:00:00.000Z');
  });
});

describe("a collapsed bar's states", () => {
  it("are read only from the job's own chunk, the one the document's id was made from", () => {
    const o = { bucket: BUCKET, jobId: 'job-42', chunkPrefix: 'chunks/' };
    expect(barStatesOf(barHit(), o)).toMatchObject({ chunkKey: KEY, position: 1, stream: 'stderr' });
    expect(barStatesOf(barHit({ key: 'chunks/v1/other-job/main/0000000003.log.gz' }), o)).toBeUndefined();
    expect(barStatesOf(barHit({ id: `${documentIdPrefix(BUCKET, 'chunks/v1/job-42/main/0000000004.log.gz')}-1` }), o)).toBeUndefined();
    expect(barStatesOf(barHit({ key: '../registry/v1/job-42.json' }), o)).toBeUndefined();
  });

  it('are every earlier state with content, from the frames of its stream, marked frames and other streams left out', () => {
    const chunks = markedChunks({
      jobId: 'job-42',
      lines: [
        { stream: 'stderr', text: '', terminator: '\r' },
        { stream: 'stderr', text: ' 50%|█████     | 1/2', terminator: '\r' },
        { stream: 'stdout', text: 'step 1', terminator: '\n' },
        { stream: 'stderr', text: '100%|██████████| 2/2', terminator: '\n' },
        { stream: 'stderr', text: 'after', terminator: '\n' },
      ],
      cuts: [],
    });
    const reader = new RedrawReader(
      { bucket: BUCKET, chunkKey: KEY, position: 0, stream: 'stderr', firstLine: 0, lastLine: 3, span: 4, shown: '100%|██████████| 2/2' },
      true,
      '2026-11-25T10:00:00.000Z',
    );
    const splitter = new LineSplitter(1 << 20);
    for (const line of splitter.push(gunzipSync(chunks[0]!.body))) if (!reader.add(line)) break;
    expect(reader.earlier.map((s) => s.text)).toEqual([' 50%|█████     | 1/2']);
  });
});
