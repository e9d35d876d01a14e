import { describe, expect, it } from 'vitest';
import {
  ArchiveUnreadableError,
  matchText,
  parseArchiveIndex,
  parseMember,
  RECORDS_PER_MEMBER,
  textQuery,
  type ArchiveRecord,
} from '../../../../../shared/core/archive/index.js';
import { decodeCursor, toApiLine } from '../../../../../shared/core/logs/index.js';
import { memoryArchive } from '../../../../../testkit/fakes/memory-archive.js';

const T0 = Date.parse('2026-11-25T10:00:00.000Z');

/** A document as the indexer writes it (the fields the logs API reads). */
function record(source: string, n: number, o: { level?: string; stream?: string; time?: number; text?: string } = {}): ArchiveRecord {
  const captured = o.time ?? T0 + n * 10 + (source === 'b' ? 5 : 0);
  const s: Record<string, any> = {
    '@timestamp': new Date(captured).toISOString(),
    message: o.text ?? `${source} line ${n}`,
    event: { sequence: n },
    joblogs: { source, stream: o.stream ?? 'stdout', line: n, captured, chunk_seq: 0 },
  };
  if (o.level) s['log'] = { level: o.level };
  return { i: `${source}-${n}`, s };
}

const build = (records: ArchiveRecord[]) => memoryArchive(records);

/** Two sources interleaved by time: a (every 10 ms) and b (5 ms later), `n` lines each. */
function twoSources(n: number): ArchiveRecord[] {
  const out: ArchiveRecord[] = [];
  for (let i = 0; i < n; i++) out.push(record('a', i, i % 100 === 7 ? { level: 'error', stream: 'stderr' } : {}), record('b', i));
  return out;
}

const keyOfLine = (r: ArchiveRecord) => `${r.s['joblogs'].source}:${r.s['joblogs'].line}`;

describe('archive builder', () => {
  it('cuts documents into members with their byte ranges, keys and counts, and summarises the job', () => {
    const { index } = build(twoSources(3000));
    expect(index.records).toBe(6000);
    expect(index.members.map((m) => m.count)).toEqual([RECORDS_PER_MEMBER, RECORDS_PER_MEMBER, RECORDS_PER_MEMBER]);
    expect(index.members[1]!.offset).toBe(index.members[0]!.length);
    expect(index.members[0]!.first).toEqual([T0, 'a', 0]);
    expect(index.members[0]!.sources['b']).toEqual([1000, 0, 999, 0, 999]);
    expect(index.levels).toEqual({ none: 5970, error: 30 });
    expect(index.streams).toEqual({ stdout: 5970, stderr: 30 });
    expect(index.errors.count).toBe(30);
    expect(decodeCursor(index.errors.positions[0]!.cursor, 'c')).toEqual({ order: 'merged', key: [T0 + 70, 'a', 7] });
    expect(parseArchiveIndex(JSON.stringify(index), 'job-1')).toEqual(index);
  });

  it('lists each error with where it is, and still reads an index written before positions had that', () => {
    const { index } = build(twoSources(3000));
    expect(index.errors.positions[0]).toMatchObject({ source: 'a', line: 7, captured: new Date(T0 + 70).toISOString(), stream: 'stderr', level: 'error' });
    const older = {
      ...index,
      errors: { ...index.errors, positions: index.errors.positions.map(({ cursor, source, line, seq, time }) => ({ cursor, source, line, seq, time })) },
    };
    expect(parseArchiveIndex(JSON.stringify(older), 'job-1').errors.positions[0]).toEqual(older.errors.positions[0]);
  });
});

describe('archive pages', () => {
  const all = twoSources(3000);
  const { pages, reads } = build(all);

  it('pages forward from a cursor in the middle reading only the member it is in', async () => {
    reads.length = 0;
    const from = toApiLine({ _source: all[3000]!.s }, 'merged');
    const page = await pages.forward({ filters: {}, order: { kind: 'merged' }, limit: 200, from: decodeCursor(from.cursor, 'after').key });
    expect(page.records.map(keyOfLine)).toEqual(all.slice(3001, 3201).map(keyOfLine));
    expect(page.more).toBe(true);
    expect(reads).toEqual([[1, 1]]);
  });

  it('pages backward across a member boundary, nearest lines last', async () => {
    const page = await pages.backward({ filters: {}, order: { kind: 'merged' }, limit: 300, from: [T0 + 2100 * 10, 'a', 2100] });
    expect(page.records.map(keyOfLine)).toEqual(all.slice(4200 - 300, 4200).map(keyOfLine));
    expect(page.more).toBe(true);
  });

  it("follows one source's own order and skips members a filter cannot hit", async () => {
    const b = await pages.forward({ filters: { sources: ['b'] }, order: { kind: 'source', source: 'b' }, limit: 5, from: [2997] });
    expect(b.records.map(keyOfLine)).toEqual(['b:2998', 'b:2999']);
    expect(b.more).toBe(false);
    const errors = await pages.forward({ filters: { levels: ['error'] }, order: { kind: 'merged' }, limit: 100 });
    expect(errors.records.map(keyOfLine)).toEqual(Array.from({ length: 30 }, (_, i) => `a:${i * 100 + 7}`));
  });

  it('answers the start and the end with nothing more beyond them', async () => {
    expect((await pages.backward({ filters: {}, order: { kind: 'merged' }, limit: 3, from: [T0, 'a', 1] })).records.map(keyOfLine)).toEqual(['a:0']);
    const end = await pages.backward({ filters: {}, order: { kind: 'merged' }, limit: 2 });
    expect(end.records.map(keyOfLine)).toEqual(['a:2999', 'b:2999']);
  });
});

describe('archive files that are not what the assembler writes', () => {
  const { index } = build(twoSources(10));

  it('refuses an index that is not JSON, of another job, or whose members do not cover the file', () => {
    expect(() => parseArchiveIndex('{"version":1,', 'job-1')).toThrow(ArchiveUnreadableError);
    expect(() => parseArchiveIndex(JSON.stringify(index), 'job-2')).toThrow('names job job-1, not job-2');
    expect(() => parseArchiveIndex(JSON.stringify({ ...index, bytes: index.bytes + 1 }), 'job-1')).toThrow('does not cover');
    expect(() => parseArchiveIndex(JSON.stringify({ ...index, members: [{ ...index.members[0], count: -1 }] }), 'job-1')).toThrow(/members\.0\.count/);
  });

  it('refuses a member whose lines are not records, or fewer than its index says', () => {
    expect(() => parseMember('{"i":"x"}\n', 'job-1', 1)).toThrow('not a record');
    expect(() => parseMember('not json\n', 'job-1', 1)).toThrow('not JSON');
    expect(() => parseMember('{"i":"x","s":{}}\n', 'job-1', 2)).toThrow('holds 1 records, its index says 2');
  });
});

describe('archive search matching', () => {
  it('matches every word as the standard analyser cuts text, case-insensitively, with offsets of each occurrence', () => {
    expect(matchText('RuntimeError: CUDA out of memory (cuda:0)', textQuery({ words: ['cuda', 'memory'], phrases: [] }))).toEqual([
      [14, 18],
      [26, 32],
      [34, 38],
    ]);
    expect(matchText('loss=0.25 step 4', textQuery({ words: ['0.25'], phrases: [] }))).toEqual([[5, 9]]);
    expect(matchText('step 4', textQuery({ words: ['step', 'loss'], phrases: [] }))).toBeUndefined();
  });

  it('matches a phrase only as consecutive words, highlighted as one span', () => {
    const q = textQuery({ words: [], phrases: ['lost its peer'] });
    expect(matchText('rank-1 lost its peer at step 13', q)).toEqual([[7, 20]]);
    expect(matchText('lost a peer, its fault', q)).toBeUndefined();
  });

  it('matches a coloured line in its text as shown, with offsets in the text as printed', () => {
    const printed = '\x1b[32mINFO\x1b[0m step 3 loss=\x1b[1m0.25\x1b[0m';
    const [[start, end], [start2, end2]] = matchText(printed, textQuery({ words: ['info', '0.25'], phrases: [] })) as [[number, number], [number, number]];
    expect([printed.slice(start, end), printed.slice(start2, end2)]).toEqual(['INFO', '0.25']);
    // A word split by colour codes is one word as shown; the codes' own digits are no words.
    expect(matchText('\x1b[1mbest\x1b[0mloss', textQuery({ words: ['bestloss'], phrases: [] }))).toEqual([[4, 16]]);
    expect(matchText('\x1b[32mINFO\x1b[0m', textQuery({ words: ['32minfo'], phrases: [] }))).toBeUndefined();
    const phrase = matchText('\x1b[33mWARNING\x1b[0m step 97', textQuery({ words: [], phrases: ['warning step'] }));
    expect(phrase).toEqual([[5, 21]]);
  });

  it("highlights a phrase's words one by one where the cluster does (OpenSearch)", () => {
    const q = textQuery({ words: ['step'], phrases: ['lost its peer'] }, 'words');
    expect(matchText('rank-1 lost its peer at step 13', q)).toEqual([
      [7, 11],
      [12, 15],
      [16, 20],
      [24, 28],
    ]);
  });
});
