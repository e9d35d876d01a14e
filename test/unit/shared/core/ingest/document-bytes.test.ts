/**
 * The documents' exact bytes (ids, JSON, bulk actions), pinned: the digests in
 * `document-bytes.json` were written by the indexer before its per-line work was made faster
 * (issue 17), so every speed-up must give byte-identical bulk bodies over the synthetic log, the
 * contract vectors, the multi-line corpus, the bad-input corpus and random lines.
 * A deliberate change of the documents updates the file: `npm test -- <this file> -u`.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { chunkKey, ChunkFormat, type FrameTerminator } from '../../../../../shared/core/contract/index.js';
import { chunkDocuments, type ChunkInput } from '../../../../../testkit/chunk-documents.js';
import { markedChunks, type CapturedText } from '../../../../../testkit/frames.js';
import { seededRandom } from '../../../../../testkit/random.js';
import { syntheticLog } from '../../../../../testkit/synthetic-log.js';
import { badInputCorpus } from '../../../../fixtures/bad-input/index.js';
import { CORPUS, corpusBytes, corpusLines } from '../../../../fixtures/multiline/corpus.js';

const KEY = chunkKey({ jobId: 'golden-job', source: 'main', seq: 3 });
/** What the benchmark's shipper puts on a chunk: trace, service, host, producer. */
const SHIPPER_METADATA = {
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  service: 'trainer',
  producer: 'joblogs-shipper/0.1.0',
  host: 'ip-10-0-3-17',
  'chunk-start': '2026-11-25T10:00:00.000Z',
};

const digest = (input: ChunkInput): string => createHash('sha256').update(chunkDocuments(input)).digest('hex');
const contract = (name: string) => JSON.parse(readFileSync(new URL(`../../../../fixtures/contract/${name}.json`, import.meta.url), 'utf8'));

function synthetic(seed: number, bytes: number): Buffer {
  return Buffer.from([...syntheticLog({ seed, totalBytes: bytes })].join(''), 'utf8');
}

/** Text as the shipper captures it: `\n`, `\r\n` and a lone `\r` end a line. */
function captured(text: string, stream: CapturedText['stream']): CapturedText[] {
  const lines: CapturedText[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== '\n' && c !== '\r') continue;
    const crlf = c === '\r' && text[i + 1] === '\n';
    lines.push({ stream, text: text.slice(start, i), terminator: (crlf ? '\r\n' : c) as FrameTerminator });
    if (crlf) i++;
    start = i + 1;
  }
  if (start < text.length) lines.push({ stream, text: text.slice(start), terminator: '' });
  return lines;
}

/** Framed chunks of `lines` as the shipper's marker frames them, cut every `every` lines. */
function framed(jobId: string, lines: CapturedText[], every: number): ChunkInput[] {
  const cuts = Array.from({ length: Math.floor(lines.length / every) }, (_, i) => (i + 1) * every - 1);
  return markedChunks({ jobId, lines, cuts }).map((c) => ({ key: c.key, bytes: gunzipSync(c.body), metadata: c.metadata }));
}

/** Lines a test would not think of: random bytes, controls, JSON with odd keys, values and times. */
function randomLines(seed: number, count: number): Buffer {
  const random = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const pieces = ['a', ' ', '"', '\\', '\t', '\u001b[31m', '\u001b[0m', 'é', '✓', '😀', '\u2028', '\uFEFF', '{', '}', ':', ',', 'INFO', 'ERROR', '0'];
  const jsons = [
    () => ({
      level: pick([30, 40, 50, 'WARN', 'x'.repeat(40), null, { a: 1 }]),
      msg: pick(pieces),
      time: pick([1795600800603, '2026-11-25T10:00:00.5+02:00', 'soon', 1795600800.123456, -1]),
    }),
    () => ({
      '@timestamp': pick(['2026-11-25T10:00:00.123456789Z', '2026-02-31T00:00:00Z', '1999-01-01 00:00:00,5']),
      'log.level': 'info',
      message: pick(pieces),
      'trace.id': pick(['4BF92F3577B34DA6A3CE929D0E0E4736', '0'.repeat(32), 'zz']),
      'span.id': 'a4205c6e2cbfec5a',
    }),
    () => ({
      err: { message: 'boom', type: 'Error', stack: 'Error: boom\n    at x', code: 'E1' },
      '': 1,
      '..': 2,
      ' ': { '': [[[{ '': 3 }]]] },
      service: { name: pick(['svc', 7]) },
      host: { name: 'h' },
    }),
    () => ({
      log: { level: 'debug', logger: 'l' },
      trace_id: '10c18f81a561b8b7d1499995074615b4',
      exc_info: 'Traceback...',
      deep: { a: { b: { c: { d: { e: { f: { g: { h: { i: { j: { k: 1 } } } } } } } } } } },
    }),
  ];
  const lines: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const kind = random();
    if (kind < 0.2) {
      lines.push(Buffer.from(JSON.stringify(pick(jsons)())));
    } else if (kind < 0.3) {
      lines.push(Buffer.from(Array.from({ length: Math.floor(random() * 80) }, () => Math.floor(random() * 256))));
    } else {
      const prefix = pick([
        '',
        '2026-11-25 10:00:01,044 ',
        '[2026-11-25T10:00:01.5Z] ',
        '2026-11-25 10:00:01 UTC ',
        '\u001b[32mINFO\u001b[0m ',
        'rank3: ',
        '[rank1]: ',
      ]);
      lines.push(Buffer.from(prefix + Array.from({ length: Math.floor(random() * 30) }, () => pick(pieces)).join('')));
    }
    lines.push(Buffer.from(pick(['\n', '\n', '\n', '\r', '\r\n'])));
  }
  return Buffer.concat(lines);
}

function inputs(): Record<string, ChunkInput> {
  const log = synthetic(7, 2 * 1024 * 1024);
  const all: Record<string, ChunkInput> = {
    'synthetic log, grouping on': { key: KEY, bytes: log, metadata: SHIPPER_METADATA },
    'synthetic log, grouping off': { key: KEY, bytes: log, metadata: SHIPPER_METADATA, grouping: false },
    'synthetic log, 2 KiB line limit, odd reads': { key: KEY, bytes: log, metadata: {}, maxLineBytes: 2048, readBytes: 4093 },
    'random lines': { key: KEY, bytes: randomLines(17, 20_000), metadata: SHIPPER_METADATA },
    'random lines, grouping off, 64-byte line limit': {
      key: KEY,
      bytes: randomLines(18, 5_000),
      metadata: {},
      grouping: false,
      maxLineBytes: 64,
      readBytes: 777,
    },
  };
  framed('golden-framed', captured(synthetic(8, 512 * 1024).toString('utf8'), 'stdout'), 1500).forEach((c, i) => {
    all[`synthetic log framed, chunk ${i}`] = c;
  });
  framed('golden-random', captured(randomLines(19, 3_000).toString('utf8'), 'stderr'), 700).forEach((c, i) => {
    all[`random lines framed, chunk ${i}`] = c;
  });
  for (const { file } of CORPUS) {
    all[`corpus ${file}`] = { key: KEY, bytes: corpusBytes(file), metadata: SHIPPER_METADATA };
    const lines = corpusLines(file).map((l) => ({ stream: 'stderr' as const, ...l }));
    framed(`golden-${file}`, lines, Math.max(2, Math.ceil(lines.length / 2))).forEach((c, i) => {
      all[`corpus ${file} framed, chunk ${i}`] = c;
    });
  }
  for (const c of contract('frames').cases as Array<{ name: string; frames: string[] }>) {
    all[`contract frames: ${c.name}`] = { key: KEY, bytes: Buffer.from(c.frames.map((f) => `${f}\n`).join('')), metadata: { format: ChunkFormat.framedV1 } };
  }
  for (const c of contract('events').cases as Array<{ name: string; chunks: Array<{ frames: string[]; metadata: Record<string, string> }> }>) {
    c.chunks.forEach((chunk, i) => {
      const metadata = { format: ChunkFormat.framedV1, ...chunk.metadata };
      all[`contract events: ${c.name}, chunk ${i}`] = { key: KEY, bytes: Buffer.from(chunk.frames.map((f) => `${f}\n`).join('')), metadata };
    });
  }
  for (const c of badInputCorpus({ full: false })) {
    if (!c.object) continue;
    let bytes: Buffer;
    try {
      bytes = gunzipSync(c.object.body());
    } catch {
      continue; // Not gzip, or corrupt: no documents of interest here.
    }
    if (bytes.length > 16 * 1024 * 1024) continue;
    all[`bad input ${c.kind}`] = { key: KEY, bytes, metadata: c.object.metadata ?? {} };
  }
  return all;
}

describe('the documents the indexer writes', () => {
  it('are byte for byte those of the writer before the speed-up, for every input', async () => {
    const digests: Record<string, string> = {};
    for (const [name, input] of Object.entries(inputs())) {
      try {
        digests[name] = digest(input);
      } catch (error) {
        digests[name] = `throws ${(error as Error).name}: ${(error as Error).message}`;
      }
    }
    expect(Object.keys(digests).length).toBeGreaterThan(60);
    await expect(`${JSON.stringify(digests, null, 2)}\n`).toMatchFileSnapshot('./document-bytes.json');
    // ~4 MB of input through the whole writer: seconds on a busy machine.
  }, 60_000);
});
