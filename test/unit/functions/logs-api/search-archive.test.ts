import { describe, expect, it } from 'vitest';
import { searchArchive } from '../../../../functions/logs-api/search-lines.js';
import type { ArchivePages, ArchiveRecord } from '../../../../shared/core/archive/index.js';
import { decodeCursor, parseSearchRequest } from '../../../../shared/core/logs/index.js';
import { memoryArchive } from '../../../../testkit/fakes/memory-archive.js';

const T0 = Date.parse('2026-11-25T10:00:00.000Z');

/** `n` documents of one source; every 250th says "CUDA out of memory". */
function archive(n: number): { pages: ArchivePages; bytes: number; memberBytes: number } {
  const records = Array.from(
    { length: n },
    (_, i): ArchiveRecord => ({
      i: `d${i}`,
      s: {
        '@timestamp': new Date(T0 + i).toISOString(),
        message: i % 250 === 3 ? `step ${i} RuntimeError: CUDA out of memory` : `step ${i} loss=0.5`,
        event: { sequence: i },
        joblogs: { source: 'main', stream: 'stdout', line: i, captured: T0 + i, chunk_seq: 0 },
      },
    }),
  );
  const { index, pages } = memoryArchive(records);
  return { pages, bytes: index.bytes, memberBytes: index.members[0]!.length };
}

const view = (bytes: number) => ({ archive: { bytes } as never, frontier: undefined });
const lineOf = (m: { line: number | null }) => m.line;

describe('search of an archived job', () => {
  const job = archive(10_000);

  it('reads a small archive whole: every match counted, pages by cursor, highlights where the words are', async () => {
    const request = parseSearchRequest('q=cuda+memory&limit=30');
    const first = await searchArchive(job.pages, { request, order: 'merged', view: view(job.bytes), jobId: 'job-1' });
    expect(first).toMatchObject({ total: 40, totalExact: true });
    expect(first.matches.map(lineOf)).toEqual(Array.from({ length: 30 }, (_, k) => k * 250 + 3));
    // "step 3 RuntimeError: CUDA out of memory"
    expect(first.matches[0]!.highlights).toEqual([
      [21, 25],
      [33, 39],
    ]);
    const rest = await searchArchive(job.pages, {
      request: parseSearchRequest(`q=cuda+memory&limit=30&after=${first.next}`),
      order: 'merged',
      view: view(job.bytes),
      jobId: 'job-1',
    });
    expect(rest.matches.map(lineOf)).toEqual(Array.from({ length: 10 }, (_, k) => (k + 30) * 250 + 3));
    expect(rest.next).toBeNull();
  });

  it('reads a big archive a budget at a time: a page short of matches says where the scan stopped, and going on from there finds the rest once', async () => {
    // Two of the five members per request (later members are a little longer: their line numbers are).
    const budgetBytes = Math.floor(job.memberBytes * 2.5);
    const seen: number[] = [];
    let next: string | null = null;
    let requests = 0;
    do {
      const request = parseSearchRequest(`q=cuda&limit=500${next ? `&after=${next}` : ''}`);
      const page = await searchArchive(job.pages, { request, order: 'merged', view: view(job.bytes), jobId: 'job-1', budgetBytes });
      expect(page.totalExact).toBe(false);
      seen.push(...page.matches.map((m) => m.line!));
      next = page.next;
      if (next) expect(decodeCursor(next, 'next').order).toBe('merged');
      requests++;
    } while (next && requests < 20);
    expect(requests).toBe(3);
    expect(seen).toEqual(Array.from({ length: 40 }, (_, k) => k * 250 + 3));
  });
});
