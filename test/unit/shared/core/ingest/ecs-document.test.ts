import { isUtf8 } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { chunkKey, MAX_CHUNK_SEQ, SEQUENCE_STRIDE } from '../../../../../shared/core/contract/index.js';
import {
  describeChunk,
  documentId,
  EcsDocumentWriter,
  LineSplitter,
  toEcsDocument,
  type ChunkContext,
  type EcsDocument,
  type RawLine,
} from '../../../../../shared/core/ingest/index.js';
import { printedText } from '../../../../../shared/core/logs/index.js';

const BUCKET = 'joblogs-logs-prod';
const CHUNK_START = '2026-11-25T10:00:00.000Z';
const CHUNK_MS = Date.parse(CHUNK_START);
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

function chunk(metadata: Record<string, string> = {}, seq = 7, jobId = 'job-42', userJson: 'flattened' | 'terms' = 'flattened'): ChunkContext {
  return describeChunk(
    {
      bucket: BUCKET,
      key: chunkKey({ jobId, source: 'rank-3', seq }),
      metadata: { 'chunk-start': CHUNK_START, ...metadata },
      eventTime: '2026-11-25T10:05:00.000Z',
    },
    { stage: 'prod', defaultDataset: 'mlplatform.job', chunkPrefix: 'chunks/', now: () => CHUNK_MS, userJson },
  );
}

function line(text: string | Buffer, position = 0, part?: number): RawLine {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  return part === undefined ? { bytes, position } : { bytes, position, part };
}

function doc(text: string | Buffer, context = chunk(), position = 0) {
  const indexable = toEcsDocument(line(text, position), context);
  if (!indexable) throw new Error('expected a document');
  return indexable.document;
}

describe('toEcsDocument', () => {
  it('maps a plain line to a complete document with the chunk time and a deterministic id', () => {
    const context = chunk();
    expect(toEcsDocument(line('Loading checkpoint shards: 3 of 8', 4), context)).toEqual({
      id: documentId(context.idPrefix, 4),
      document: {
        '@timestamp': CHUNK_START,
        message: 'Loading checkpoint shards: 3 of 8',
        event: { dataset: 'mlplatform.job', sequence: 7 * SEQUENCE_STRIDE + 4 },
        data_stream: { type: 'logs', dataset: 'mlplatform.job', namespace: 'prod' },
        labels: { job_id: 'job-42' },
        joblogs: {
          source: 'rank-3',
          stream: 'stdout',
          chunk_seq: 7,
          // No capture time of its own: the chunk's, the order of the job's lines across sources.
          captured: Date.parse(CHUNK_START),
        },
      },
    });
  });

  it("keeps a frame's capture time and its terminator when it is not a newline (a progress bar redraw)", () => {
    const context = chunk({ format: 'framed-v1' });
    const redraw = doc('{"t":"2026-11-25T10:00:01.250Z","s":"stderr","n":5,"m":" 40%|████","e":"\\r"}', context);
    expect(redraw.joblogs).toMatchObject({ captured: Date.parse('2026-11-25T10:00:01.250Z'), end: '\r', line: 5, stream: 'stderr' });
    expect(doc('{"t":"2026-11-25T10:00:01.250Z","s":"stdout","n":6,"m":"done"}', context).joblogs).not.toHaveProperty('end');
  });

  it('gives the same line of the same chunk the same id and document every time', () => {
    const a = toEcsDocument(line('{"level":30,"time":1795600800123,"msg":"x"}', 9), chunk());
    const b = toEcsDocument(line('{"level":30,"time":1795600800123,"msg":"x"}', 9), chunk());
    expect(a).toEqual(b);
  });

  it('gives the same position of another chunk another id', () => {
    const a = toEcsDocument(line('x', 9), chunk({}, 7));
    const b = toEcsDocument(line('x', 9), chunk({}, 8));
    const c = toEcsDocument(line('x', 9), chunk({}, 7, 'job-43'));
    expect(new Set([a!.id, b!.id, c!.id]).size).toBe(3);
  });

  it('skips lines with no content, which still used up their position', () => {
    for (const text of ['', '   ', '\t', '\uFEFF']) expect(toEcsDocument(line(text), chunk())).toBeUndefined();
  });

  it('orders lines of consecutive chunks by event.sequence', () => {
    const lastOfChunk0 = doc('last', chunk({}, 0), SEQUENCE_STRIDE - 1);
    const firstOfChunk1 = doc('first', chunk({}, 1), 0);
    expect(lastOfChunk0.event.sequence).toBe(SEQUENCE_STRIDE - 1);
    expect(firstOfChunk1.event.sequence).toBe(SEQUENCE_STRIDE);
    expect(firstOfChunk1.event.sequence).toBeGreaterThan(lastOfChunk0.event.sequence);
  });

  it('keeps event.sequence an exact integer for the last line of the largest chunk sequence', () => {
    const sequence = doc('x', chunk({}, MAX_CHUNK_SEQ), SEQUENCE_STRIDE - 1).event.sequence;
    expect(Number.isSafeInteger(sequence)).toBe(true);
    expect(sequence - (SEQUENCE_STRIDE - 1)).toBe(MAX_CHUNK_SEQ * SEQUENCE_STRIDE);
  });

  it('keeps printed order across a chunk split by the line splitter', () => {
    const splitter = new LineSplitter(8);
    const context = chunk();
    const lines = [...splitter.push(Buffer.from('one\n\nthree is long\nfour')), ...splitter.end()];
    const docs = lines.map((l) => toEcsDocument(l, context)).filter((d) => d !== undefined);
    expect(docs.map((d) => d.document.message)).toEqual(['one', 'three is', ' long', 'four']);
    const sequences = docs.map((d) => d.document.event.sequence);
    expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
    expect(new Set(docs.map((d) => d.id)).size).toBe(4);
  });

  it('tags a part of a split line and records its part number', () => {
    const indexable = toEcsDocument(line('x'.repeat(10), 3, 2), chunk())!;
    expect(indexable.document.tags).toEqual(['split']);
    expect(indexable.document.joblogs.part).toBe(2);
    expect(indexable.document.event.sequence % 10_000_000).toBe(3);
  });

  it('decodes invalid UTF-8 with U+FFFD and tags the line', () => {
    const d = doc(Buffer.from([0x6c, 0x6f, 0x73, 0x73, 0x3d, 0xff, 0xfe, 0x20, 0xc3]));
    expect(d.message).toBe('loss=\uFFFD\uFFFD \uFFFD');
    expect(d.tags).toEqual(['invalid_utf8']);
  });

  it('does not tag a line that prints a real U+FFFD', () => {
    const d = doc('replacement char: \uFFFD');
    expect(d.message).toBe('replacement char: \uFFFD');
    expect(d).not.toHaveProperty('tags');
  });

  it('drops a leading BOM', () => {
    expect(doc(Buffer.from([0xef, 0xbb, 0xbf, 0x68, 0x69])).message).toBe('hi');
    expect(doc('\uFEFF{"msg":"json after BOM"}').message).toBe('json after BOM');
  });

  it('keeps NUL and control bytes, JSON-escaped when serialised', () => {
    const d = doc(Buffer.from('a\u0000b\u0007c'));
    expect(d.message).toBe('a\u0000b\u0007c');
    expect(JSON.stringify(d)).toContain('"message":"a\\u0000b\\u0007c"');
  });

  it('uses the time of the line when it has one', () => {
    const d = doc('2026-11-25 09:59:58,500 INFO warming up');
    expect(d['@timestamp']).toBe('2026-11-25T09:59:58.500Z');
    expect(d.log).toEqual({ level: 'info' });
    expect(d).not.toHaveProperty('tags');
  });

  it('keeps a line time up to a day after the chunk start', () => {
    expect(doc('2026-11-26T09:59:59Z INFO late').joblogs).not.toHaveProperty('original_timestamp');
    expect(doc('2026-11-26T09:59:59Z INFO late')['@timestamp']).toBe('2026-11-26T09:59:59.000Z');
  });

  it('replaces a far-future line time with the chunk time, keeping the original and a bad_timestamp tag', () => {
    const d = doc('{"@timestamp":"2031-01-01T00:00:00Z","message":"clock skew"}');
    expect(d['@timestamp']).toBe(CHUNK_START);
    expect(d.tags).toEqual(['bad_timestamp']);
    expect(d.joblogs.original_timestamp).toBe('2031-01-01T00:00:00.000Z');
  });

  it('replaces an unparsable JSON time with the chunk time, keeping the raw value', () => {
    const d = doc('{"time":"not a time","msg":"m"}');
    expect(d['@timestamp']).toBe(CHUNK_START);
    expect(d.tags).toEqual(['bad_timestamp']);
    expect(d.joblogs.original_timestamp).toBe('not a time');
  });

  it('carries both tags when an invalid UTF-8 line also has a bad time', () => {
    const bytes = Buffer.concat([Buffer.from('{"time":"soon","msg":"'), Buffer.from([0xff]), Buffer.from('"}')]);
    expect(doc(bytes).tags).toEqual(['invalid_utf8', 'bad_timestamp']);
  });

  it('fills trace and span from the chunk traceparent when the line has none', () => {
    const d = doc('plain', chunk({ traceparent: TRACEPARENT }));
    expect(d.trace).toEqual({ id: '4bf92f3577b34da6a3ce929d0e0e4736' });
    expect(d.span).toEqual({ id: '00f067aa0ba902b7' });
  });

  it('prefers the trace of the line and does not pair it with the chunk span', () => {
    const d = doc('{"msg":"m","trace_id":"0af7651916cd43dd8448eb211c80319c"}', chunk({ traceparent: TRACEPARENT }));
    expect(d.trace).toEqual({ id: '0af7651916cd43dd8448eb211c80319c' });
    expect(d).not.toHaveProperty('span');
  });

  it('uses a line span with the chunk trace when the line names only a span', () => {
    const d = doc('{"msg":"m","span_id":"b7ad6b7169203331"}', chunk({ traceparent: TRACEPARENT }));
    expect(d.trace).toEqual({ id: '4bf92f3577b34da6a3ce929d0e0e4736' });
    expect(d.span).toEqual({ id: 'b7ad6b7169203331' });
  });

  it("adds service, host, container and producer of the chunk, line values first, and never a producer's owner or team claim", () => {
    const context = chunk({
      service: 'trainer',
      host: 'ip-10-0-0-1',
      'container-id': '3f2a9c0d1e2b',
      producer: 'joblogs-shipper/0.1.0',
      owner: 'alice',
      team: 'vision',
    });
    const fromChunk = doc('x', context);
    expect(fromChunk).toMatchObject({
      service: { name: 'trainer' },
      host: { name: 'ip-10-0-0-1' },
      container: { id: '3f2a9c0d1e2b' },
      joblogs: { producer: 'joblogs-shipper/0.1.0' },
    });
    expect(fromChunk.joblogs).not.toHaveProperty('owner');
    expect(fromChunk.joblogs).not.toHaveProperty('team');
    const fromLine = doc('{"msg":"m","service.name":"evaluator","hostname":"gpu-7","container.id":"abc"}', context);
    expect(fromLine).toMatchObject({ service: { name: 'evaluator' }, host: { name: 'gpu-7' }, container: { id: 'abc' } });
  });

  it('maps a pino error line with user fields under json', () => {
    const d = doc(
      '{"level":50,"time":1795600800123,"pid":4242,"hostname":"ip-10-0-0-1","name":"trainer","err":{"type":"Error","message":"boom","stack":"Error: boom\\n    at x"},"step":12,"msg":"boom"}',
    );
    expect(d).toMatchObject({
      '@timestamp': '2026-11-25T10:00:00.123Z',
      message: 'boom',
      log: { level: 'error', logger: 'trainer' },
      host: { name: 'ip-10-0-0-1' },
      error: { type: 'Error', message: 'boom', stack_trace: 'Error: boom\n    at x' },
      json: { pid: 4242, step: 12 },
    });
  });

  it('adds the leaves of user JSON as json_kv terms only where the cluster searches them so, keeping json as written', () => {
    const text = '{"msg":"eval","step":12,"metrics":{"top1":0.5},"tags":["a"]}';
    const terms = doc(text, chunk({}, 7, 'job-42', 'terms'));
    expect(terms.json).toEqual({ step: 12, metrics: { top1: 0.5 }, tags: ['a'] });
    expect(terms.joblogs.json_kv).toEqual(['step=12', 'metrics.top1=0.5', 'tags=a']);
    expect(terms.tags).toBeUndefined();
    expect(doc(text).joblogs).not.toHaveProperty('json_kv');
    expect(doc('plain text line', chunk({}, 7, 'job-42', 'terms')).joblogs).not.toHaveProperty('json_kv');
  });

  it('tags a line whose JSON has more leaves than json_kv keeps', () => {
    const wide = JSON.stringify(Object.fromEntries(Array.from({ length: 1200 }, (_, i) => [`k${i}`, i])));
    const d = doc(wide, chunk({}, 7, 'job-42', 'terms'));
    expect(d.tags).toEqual(['json_terms_cut']);
    expect(d.joblogs.json_kv).toHaveLength(1000);
    expect(Object.keys(d.json ?? {})).toHaveLength(1200);
  });

  it('writes a coloured line as shown, searched so, with its colour codes apart: nothing of what was printed is lost', () => {
    const printed = '\x1b[32mINFO\x1b[0m step 3 loss=\x1b[1m0.25\x1b[0m';
    const coloured = doc(printed);
    expect(coloured.message).toBe('INFO step 3 loss=0.25');
    expect(coloured.joblogs.colours).toBe('0@32,4@0,17@1,21@0');
    expect(printedText(coloured)).toBe(printed);
    expect(coloured.log).toEqual({ level: 'info' });
    expect(doc('INFO step 3').joblogs).not.toHaveProperty('colours');
    // Other escapes are not colours: the download file shows them as text, so does the index.
    expect(doc('\x1b]0;title\x07 step 3')).toMatchObject({ message: '\x1b]0;title\x07 step 3' });
    expect(doc('\x1b]0;title\x07 step 3').joblogs).not.toHaveProperty('colours');
    const json = doc('{"msg":"\\u001b[33mslow\\u001b[0m batch"}');
    expect([json.message, printedText(json)]).toEqual(['slow batch', '\x1b[33mslow\x1b[0m batch']);
  });

  it('uses stderr for every line of a stderr chunk', () => {
    expect(doc('x', chunk({ stream: 'stderr' })).joblogs.stream).toBe('stderr');
  });

  describe('framed-v1', () => {
    const framed = () => chunk({ format: 'framed-v1' });

    it('uses the capture time, stream and line number of the frame', () => {
      const d = doc('{"t":"2026-11-25T10:00:01.250Z","s":"stderr","n":41,"m":"Epoch 1:  50%|█████     | 50/100"}', framed());
      expect(d).toMatchObject({
        '@timestamp': '2026-11-25T10:00:01.250Z',
        message: 'Epoch 1:  50%|█████     | 50/100',
        joblogs: { stream: 'stderr', line: 41 },
      });
      expect(d).not.toHaveProperty('tags');
    });

    it('prefers the time printed in the line over the capture time', () => {
      const d = doc(JSON.stringify({ t: '2026-11-25T10:00:01.250Z', s: 'stdout', n: 1, m: '{"level":30,"time":1795600800123,"msg":"m"}' }), framed());
      expect(d['@timestamp']).toBe('2026-11-25T10:00:00.123Z');
      expect(d.message).toBe('m');
      expect(d.log).toEqual({ level: 'info' });
    });

    it('judges a far-future line time against the capture time', () => {
      const d = doc(JSON.stringify({ t: '2026-11-25T10:00:01Z', n: 1, m: '2027-01-01T00:00:00Z INFO skewed' }), framed());
      expect(d['@timestamp']).toBe('2026-11-25T10:00:01.000Z');
      expect(d.joblogs.original_timestamp).toBe('2027-01-01T00:00:00.000Z');
    });

    it('decodes base64 bytes of output that was not UTF-8 and tags it', () => {
      const raw = Buffer.from([0x70, 0x72, 0x6f, 0x67, 0xff, 0x21]);
      const d = doc(JSON.stringify({ t: '2026-11-25T10:00:01Z', s: 'stdout', n: 2, b: raw.toString('base64') }), framed());
      expect(d.message).toBe('prog\uFFFD!');
      expect(d.tags).toEqual(['invalid_utf8']);
      expect(d.joblogs.line).toBe(2);
    });

    it("takes the shipper's escaped message as it is, and a message of bytes that are not UTF-8 as valid UTF-8", () => {
      const text = '{"loss": 0.25}\t"quoted" \\ é \u001b';
      const shipped = doc(JSON.stringify({ t: '2026-11-25T10:00:01.000Z', s: 'stdout', n: 5, m: text }), framed());
      expect(shipped.message).toBe(text);
      // A producer that writes raw bytes in `m` instead of `b`: the shipper's layout, not valid UTF-8.
      const head = Buffer.from('{"t":"2026-11-25T10:00:01.000Z","s":"stdout","n":6,"m":"caf');
      const hostile = Buffer.concat([head, Buffer.from([0xe9, 0xff]), Buffer.from('!"}')]);
      const bytes = new EcsDocumentWriter(framed()).write(line(hostile))!.json;
      expect(isUtf8(bytes)).toBe(true);
      const written = JSON.parse(bytes.toString()) as EcsDocument;
      expect(written.message).toBe('caf\uFFFD\uFFFD!');
      expect(written.tags).toEqual(['invalid_utf8']);
    });

    it('skips a frame whose printed line is empty', () => {
      expect(toEcsDocument(line('{"t":"2026-11-25T10:00:01Z","s":"stdout","n":3,"m":""}'), framed())).toBeUndefined();
    });

    it('indexes a line that is not a frame as it is, tagged bad_frame', () => {
      for (const text of ['not json at all', '[1,2]', '"str"', '{"t":"2026-11-25T10:00:01Z","n":4}']) {
        const d = doc(text, framed());
        expect(d.message).toBe(text);
        expect(d.tags).toEqual(['bad_frame']);
        expect(d['@timestamp']).toBe(CHUNK_START);
      }
    });

    it('ignores frame fields of the wrong type', () => {
      const d = doc('{"t":"whenever","s":"tty","n":1.5,"m":"x"}', framed());
      expect(d['@timestamp']).toBe(CHUNK_START);
      expect(d.joblogs.stream).toBe('stdout');
      expect(d.joblogs).not.toHaveProperty('line');
    });
  });
});
