/**
 * The shared contract vectors (test/fixtures/contract/*.json) against the TypeScript
 * implementation. The Python client's suite (clients/python/tests/test_contract_vectors.py) reads
 * the same files, so both producers are pinned to one set of bytes, keys, markers and rules.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { S3ResponseError, type S3ObjectClient } from '../../../../../shared/adapters/s3/object-client.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  chunkKey,
  decodeFrames,
  encodeFrame,
  EventMetadata,
  EVENTS_MARKED,
  isValidJobId,
  isValidSource,
  jobMarkerKey,
  jobMarkerPrefix,
  MAX_CHUNK_BYTES,
  MAX_CHUNK_SEQ,
  newJobRegistration,
  parseChunkKey,
  parseJobMarker,
  parseJobMarkerKey,
  parseJobRegistration,
  readTraceparent,
  reassembleStreams,
  registrationKey,
  SEQUENCE_STRIDE,
  type FrameStream,
  type FrameTerminator,
  type JobStatus,
} from '../../../../../shared/core/contract/index.js';
import { describeChunk } from '../../../../../shared/core/ingest/index.js';
import {
  FrameWriter,
  LineCapture,
  maxFrameBytes,
  resolveShipperOptions,
  Shipper,
  ShipperDefaults,
  type CapturedLine,
} from '../../../../../shared/shipper/index.js';
import { normalizeRequestId, normalizeTraceState } from '../../../../../shared/trace/index.js';
import { REPO_ROOT } from '../../../../../testkit/paths.js';
import { markedChunks, type CapturedText } from '../../../../../testkit/frames.js';
import type { EventMarkerOptions } from '../../../../../shared/shipper/event-marker.js';

const DIR = path.join(REPO_ROOT, 'test', 'fixtures', 'contract');
const load = <T>(name: string): T => JSON.parse(readFileSync(path.join(DIR, name), 'utf8')) as T;

interface FrameCase {
  name: string;
  stream: FrameStream;
  maxLineBytes: number;
  firstLine: number;
  time: number;
  reads: string[];
  frames: string[];
  printed: string;
}
interface MarkerCase {
  name: string;
  jobId: string;
  source: string;
  status: JobStatus;
  key: string;
  body: Record<string, unknown>;
  text: string;
}
interface RegistrationCase {
  name: string;
  key: string;
  body: { jobId: string; owner: string; team?: string; labels?: Record<string, string>; createdAt: string };
  text: string;
}
interface InvalidRegistration {
  name: string;
  jobId: string;
  owner: string;
  team?: string;
  labels?: Record<string, string>;
}

const frames = load<{ cases: FrameCase[] }>('frames.json');
const keys = load<{
  valid: Array<{ jobId: string; source: string; seq: number; key: string }>;
  invalidJobIds: string[];
  invalidSources: string[];
  invalidSeqs: number[];
  invalidKeys: string[];
  maxSeq: number;
}>('chunk-keys.json');
const markers = load<{
  cases: MarkerCase[];
  forbiddenFields: string[];
  invalidMarkers: { cases: Array<{ jobId: string; source: string; status: string }> };
  invalidMarkerKeys: string[];
  registrations: RegistrationCase[];
  invalidRegistrations: { cases: InvalidRegistration[] };
}>('markers.json');
const metadata = load<{
  key: string;
  metadata: Record<string, string>;
  forbidden: string[];
  indexer: Record<string, string>;
  bounds: {
    maxChunkBytes: number;
    shipperChunkBytes: number;
    shipperMaxLineBytes: number;
    maxLinesPerChunk: number;
    maxFrameBytes: { overhead: number; perByte: number };
  };
}>('metadata.json');
const trace = load<{
  traceparent: Array<{ name: string; value: string; valid: boolean; version?: string; traceId?: string; parentId?: string; flags?: number }>;
  tracestate: Array<{ name: string; value: string; expected: string | null }>;
  requestId: Array<{ value: string; expected: string | null }>;
}>('traceparent.json');

function capture(c: FrameCase): CapturedLine[] {
  const lines: CapturedLine[] = [];
  const lineCapture = new LineCapture(c.maxLineBytes);
  for (const read of c.reads) lineCapture.push(Buffer.from(read, 'base64'), c.time, (line) => lines.push({ ...line, bytes: Buffer.from(line.bytes) }));
  lineCapture.end(c.time, (line) => lines.push(line));
  return lines;
}

/** An S3 that records every PutObject as sent, answering 412 to a conditional PUT of a key it holds (as S3 does). */
function recordingS3() {
  const puts: Array<{ Key: string; Body: Buffer | string; Metadata?: Record<string, string> | undefined; IfNoneMatch?: string | undefined }> = [];
  const unused = async (): Promise<never> => {
    throw new Error('not used by these tests');
  };
  const client: S3ObjectClient = {
    // The shipper's read of its job's watch signal: none here.
    getObjectText: async () => {
      throw new S3ResponseError('NoSuchKey', 'The specified key does not exist.', 404);
    },
    async putObject(r) {
      if (r.ifNoneMatch === '*' && puts.some((p) => p.Key === r.key)) {
        throw new S3ResponseError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412);
      }
      puts.push({ Key: r.key, Body: r.body, Metadata: r.metadata, IfNoneMatch: r.ifNoneMatch });
    },
    headObject: unused,
    listKeys: unused,
    destroy() {},
  };
  return { client, puts };
}

describe('contract vectors: framed-v1 frames', () => {
  it.each(frames.cases.map((c) => [c.name, c] as const))('splits and encodes %s byte for byte', (_name, c) => {
    const lines = capture(c);
    const encoded = lines.map((line, i) =>
      encodeFrame({ time: line.time, stream: c.stream, line: c.firstLine + i, bytes: line.bytes, terminator: line.terminator }),
    );
    expect(encoded).toEqual(c.frames);
    // The shipper's fast writer produces the same bytes as encodeFrame.
    const writer = new FrameWriter();
    for (const [i, line] of lines.entries()) {
      const out = Buffer.alloc(maxFrameBytes(line.bytes.length));
      const end = writer.write(out, 0, {
        time: line.time,
        stream: c.stream,
        line: c.firstLine + i,
        bytes: line.bytes,
        terminator: line.terminator as FrameTerminator,
      });
      expect(out.subarray(0, end).toString('utf8')).toBe(c.frames[i]);
    }
  });

  it.each(frames.cases.map((c) => [c.name, c] as const))('rebuilds the printed bytes of %s from its frames', (_name, c) => {
    const rebuilt = reassembleStreams(decodeFrames(c.frames.join('\n')));
    expect(rebuilt[c.stream].equals(Buffer.from(c.printed, 'base64'))).toBe(true);
  });
});

describe('contract vectors: chunk keys', () => {
  it.each(keys.valid.map((k) => [k.key, k] as const))('builds and parses %s', (_key, k) => {
    expect(chunkKey({ jobId: k.jobId, source: k.source, seq: k.seq })).toBe(k.key);
    expect(parseChunkKey(k.key)).toEqual({ jobId: k.jobId, source: k.source, seq: k.seq });
  });

  it('refuses every invalid job id, source and seq', () => {
    for (const jobId of keys.invalidJobIds) expect(isValidJobId(jobId), jobId).toBe(false);
    for (const source of keys.invalidSources) expect(isValidSource(source), source).toBe(false);
    for (const seq of keys.invalidSeqs) expect(() => chunkKey({ jobId: 'j', source: 'main', seq })).toThrow();
    expect(keys.maxSeq).toBe(MAX_CHUNK_SEQ);
  });

  it.each(keys.invalidKeys)('rejects the key %s', (key) => {
    expect(() => parseChunkKey(key)).toThrow();
  });
});

describe('contract vectors: job markers', () => {
  it.each(markers.cases.map((m) => [m.name, m] as const))('reads the %s marker at its write-once key, with no owner or team', (_name, m) => {
    expect(jobMarkerKey(m.jobId, m.source, m.status)).toBe(m.key);
    expect(m.key.startsWith(jobMarkerPrefix(m.jobId))).toBe(true);
    expect(parseJobMarkerKey(m.key)).toEqual({ jobId: m.jobId, source: m.source, status: m.status });
    expect(parseJobMarker(m.text, { jobId: m.jobId, source: m.source, status: m.status })).toEqual(m.body);
    expect(JSON.stringify(m.body)).toBe(m.text);
    for (const field of markers.forbiddenFields) expect(m.body).not.toHaveProperty(field);
  });

  it.each(markers.invalidMarkers.cases.map((c) => [`${c.jobId}/${c.source}/${c.status}`, c] as const))('builds no marker key from %s', (_name, c) => {
    expect(() => {
      const key = jobMarkerKey(c.jobId, c.source, c.status as JobStatus);
      // A status outside the two is refused when the key is read back (readers never trust a key they could not have built).
      parseJobMarkerKey(key);
    }).toThrow();
  });

  it.each(markers.invalidMarkerKeys)('rejects the marker key %s', (key) => {
    expect(() => parseJobMarkerKey(key)).toThrow();
  });

  describe('as the Node shipper writes them', () => {
    let spoolDir: string;
    beforeEach(() => {
      spoolDir = mkdtempSync(path.join(tmpdir(), 'contract-vectors-'));
    });
    afterEach(() => rmSync(spoolDir, { recursive: true, force: true }));

    it("writes running.json and then final.json, each once with If-None-Match: *, in the vectors' key order and shape", async () => {
      const s3 = recordingS3();
      const [running, final] = markers.cases as [MarkerCase, MarkerCase];
      const shipper = await Shipper.open({
        jobId: final.jobId,
        source: final.source,
        bucket: 'joblogs-logs-ci',
        spoolDir,
        s3: s3.client,
        traceparent: final.body['traceparent'] as string,
      });
      shipper.write('stdout', Buffer.from('1\n2\n3\n'));
      await shipper.close({ exitCode: final.body['exitCode'] as number });

      const written = s3.puts.filter((p) => p.Key.startsWith('jobs/'));
      expect(written.map((p) => p.Key)).toEqual([running.key, final.key]);
      for (const p of s3.puts) expect(p.IfNoneMatch, p.Key).toBe('*');
      const [runningBody, finalBody] = written.map((p) => JSON.parse(String(p.Body)) as Record<string, unknown>);
      // Same fields in the same order as the vectors; only times, counts and the producer's name are this run's.
      expect(Object.keys(runningBody!)).toEqual(Object.keys(running.body));
      expect(Object.keys(finalBody!)).toEqual(Object.keys(final.body));
      expect(finalBody).toMatchObject({ status: 'final', lastSeq: 0, lineCount: 3, droppedLines: 0, exitCode: final.body['exitCode'] });
      for (const [m, status] of [
        [runningBody, 'running'],
        [finalBody, 'final'],
      ] as const) {
        expect(parseJobMarker(JSON.stringify(m), { jobId: final.jobId, source: final.source, status })).toEqual(m);
      }
    });

    it('leaves a running.json that is already there (a restart) and still writes final.json', async () => {
      const s3 = recordingS3();
      const running = markers.cases[0]!;
      s3.puts.push({ Key: running.key, Body: running.text, IfNoneMatch: '*' });
      const shipper = await Shipper.open({ jobId: running.jobId, source: running.source, bucket: 'joblogs-logs-ci', spoolDir, s3: s3.client });
      await shipper.close({ exitCode: 0 });
      expect(s3.puts.filter((p) => p.Key.startsWith('jobs/')).map((p) => [p.Key, p.Body === running.text])).toEqual([
        [running.key, true],
        [jobMarkerKey(running.jobId, running.source, 'final'), false],
      ]);
    });
  });
});

describe('contract vectors: job registrations', () => {
  it.each(markers.registrations.map((r) => [r.name, r] as const))('writes and reads the registration with %s', (_name, r) => {
    const { jobId, owner, team, labels, createdAt } = r.body;
    const built = newJobRegistration({ jobId, owner, team, ...(labels ? { labels } : {}), now: new Date(createdAt) });
    expect(JSON.stringify(built)).toBe(r.text);
    expect(registrationKey(jobId)).toBe(r.key);
    expect(parseJobRegistration(r.text, jobId)).toEqual(r.body);
  });

  it.each(markers.invalidRegistrations.cases.map((r) => [r.name, r] as const))('refuses a registration with %s', (_name, r) => {
    expect(() => newJobRegistration({ jobId: r.jobId, owner: r.owner, team: r.team, ...(r.labels ? { labels: r.labels } : {}), now: new Date() })).toThrow();
  });
});

describe('contract vectors: chunk metadata', () => {
  it('is read by the indexer as the vector says, owner and team ignored', () => {
    const context = describeChunk(
      { bucket: 'joblogs-logs-ci', key: metadata.key, metadata: { ...metadata.metadata, owner: 'mallory', team: 'red' }, eventTime: undefined },
      { stage: 'ci', defaultDataset: 'mlplatform.job', chunkPrefix: 'chunks/', now: () => 0 },
    );
    const i = metadata.indexer;
    expect(context).toMatchObject({
      format: i['format'],
      dataset: i['dataset'],
      service: i['service'],
      producer: i['producer'],
      host: i['host'],
      containerId: i['containerId'],
    });
    expect(context.trace).toEqual({ traceId: i['traceId'], spanId: i['spanId'] });
    expect(JSON.stringify(context)).not.toMatch(/mallory|"red"/);
  });

  it('names the same final-chunk metadata as the Node shipper writes, content-sha256 the SHA-256 of the gzip body', async () => {
    const s3 = recordingS3();
    const spoolDir = mkdtempSync(path.join(tmpdir(), 'contract-vectors-'));
    try {
      const m = metadata.metadata;
      const shipper = await Shipper.open({
        jobId: 'job-42',
        bucket: 'joblogs-logs-ci',
        spoolDir,
        s3: s3.client,
        host: m['host'],
        traceparent: m['traceparent'],
        dataset: m['dataset'],
        service: m['service'],
        containerId: m['container-id'],
      });
      shipper.write('stdout', Buffer.from('1\n2\n3\n4\n5\n'));
      await shipper.close({ exitCode: Number(m['exit-code']) });
      const chunk = s3.puts.find((p) => p.Key.startsWith('chunks/'))!;
      const written = { ...chunk.Metadata };
      expect(decodeFrames(gunzipSync(chunk.Body as Buffer).toString('utf8')).length).toBe(5);
      expect(written['content-sha256']).toBe(
        createHash('sha256')
          .update(chunk.Body as Buffer)
          .digest('hex'),
      );
      // A shipper that marks events says so (events.json); the rest is the vector's.
      expect(written[EventMetadata.marks]).toBe(EVENTS_MARKED);
      delete written[EventMetadata.marks];
      expect(Object.keys(written).sort()).toEqual(Object.keys(m).sort());
      expect({ ...written, producer: m['producer'], 'chunk-start': m['chunk-start'], 'content-sha256': m['content-sha256'] }).toEqual(m);
      for (const field of metadata.forbidden) expect(written).not.toHaveProperty(field);
    } finally {
      rmSync(spoolDir, { recursive: true, force: true });
    }
  });

  it('holds the bounds both shippers keep', () => {
    const b = metadata.bounds;
    expect([b.maxChunkBytes, b.maxLinesPerChunk, b.shipperChunkBytes, b.shipperMaxLineBytes]).toEqual([
      MAX_CHUNK_BYTES,
      SEQUENCE_STRIDE,
      ShipperDefaults.maxChunkBytes,
      ShipperDefaults.maxLineBytes,
    ]);
    expect(maxFrameBytes(1)).toBe(b.maxFrameBytes.overhead + b.maxFrameBytes.perByte);
    expect(() =>
      resolveShipperOptions({
        jobId: 'j',
        bucket: 'joblogs-logs-ci',
        spoolDir: '/tmp/x',
        s3: {} as S3ObjectClient,
        maxChunkBytes: MAX_CHUNK_BYTES,
        maxLineBytes: 1024,
      }),
    ).toThrow(/within the contract's 8388608 bytes per chunk/);
  });
});

describe('contract vectors: trace context', () => {
  it.each(trace.traceparent.map((c) => [c.name, c] as const))('reads a traceparent with %s as the vector says', (_name, c) => {
    const parsed = readTraceparent(c.value);
    if (!c.valid) expect(parsed).toBeUndefined();
    else expect(parsed).toEqual({ version: c.version, traceId: c.traceId, parentId: c.parentId, flags: c.flags });
  });

  it.each(trace.tracestate.map((c) => [c.name, c] as const))('filters a tracestate: %s', (_name, c) => {
    expect(normalizeTraceState(c.value) ?? null).toBe(c.expected);
  });

  it('normalises x-request-id values as the vector says', () => {
    for (const c of trace.requestId) expect(normalizeRequestId(c.value) ?? null, JSON.stringify(c.value)).toBe(c.expected);
  });
});

describe('contract vectors: event marks', () => {
  const events = load<{
    cases: Array<{
      name: string;
      events: Partial<EventMarkerOptions>;
      lines: CapturedText[];
      cuts: number[];
      chunks: Array<{ frames: string[]; metadata: Record<string, string> }>;
    }>;
  }>('events.json');

  it.each(events.cases.map((c) => [c.name, c] as const))('marks %s as the vector says', (_name, c) => {
    const chunks = markedChunks({ jobId: 'job-42', lines: c.lines, cuts: c.cuts, time: Date.UTC(2026, 10, 25, 10, 0, 0), events: c.events });
    expect(
      chunks.map((k) => ({
        frames: gunzipSync(k.body).toString('utf8').trimEnd().split('\n'),
        metadata: Object.fromEntries(Object.entries(k.metadata).filter(([name]) => name === EventMetadata.marks || name === EventMetadata.openEvents)),
      })),
    ).toEqual(c.chunks);
    // The shipper's fast writer writes the marked frames byte for byte.
    const writer = new FrameWriter();
    for (const frame of decodeFrames(c.chunks.flatMap((k) => k.frames).join('\n'))) {
      const out = Buffer.alloc(maxFrameBytes(frame.bytes.length));
      expect(out.subarray(0, writer.write(out, 0, frame)).toString('utf8')).toBe(encodeFrame(frame));
    }
  });
});
