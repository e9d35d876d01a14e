/**
 * A job's archive built in memory (docs/archive.md): the real `ArchiveBuilder` over the records,
 * its members kept as NDJSON text (not gzipped) and read back through the real `ArchivePages`,
 * with every read it made recorded. For unit tests of what reads archives; the assembler's own
 * tests and the integration tests use the S3 archive instead.
 *
 * @example
 * const { index, pages, reads } = memoryArchive(records);
 * const page = await pages.forward({ filters: {}, order: { kind: 'merged' }, limit: 200, from: undefined });
 * expect(reads).toEqual([[0, 1]]);
 */
import { ArchiveBuilder, ArchivePages, parseMember, type ArchiveIndex, type ArchiveRecord } from '../../shared/core/archive/index.js';

export interface MemoryArchive {
  index: ArchiveIndex;
  pages: ArchivePages;
  /** Each read as [first member, count]. */
  reads: number[][];
}

export function memoryArchive(records: Iterable<ArchiveRecord>, jobId = 'job-1'): MemoryArchive {
  const builder = new ArchiveBuilder(jobId);
  const texts: string[] = [];
  const place = (m: ReturnType<ArchiveBuilder['flush']>) => {
    if (!m) return;
    texts.push(m.text);
    builder.placed(m, m.text.length);
  };
  for (const r of records) place(builder.add(r));
  place(builder.flush());
  const index = builder.index([]);
  const reads: number[][] = [];
  const pages = new ArchivePages(index, async (first, count) => {
    reads.push([first, count]);
    return texts.slice(first, first + count).map((t, k) => parseMember(t, jobId, index.members[first + k]!.count));
  });
  return { index, pages, reads };
}
