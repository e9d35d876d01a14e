import { compareKeys, type SortKey } from '../logs/cursor.js';
import { lineKey } from '../logs/query.js';
import type { LineFilters } from '../logs/params.js';
import type { ArchiveIndex, ArchiveMember, ArchiveRecord } from './archive-file.js';
import { levelOf, sourceOf, streamOf } from './archive-builder.js';

/** Reads members `[first, first + count)` of the records file (one ranged read), each as its records. */
export type MemberLoader = (first: number, count: number) => Promise<ArchiveRecord[][]>;

/** One of the two orders of docs/logs-api.md: merged (every source) or one source's own. */
export type ArchiveOrder = { kind: 'merged' } | { kind: 'source'; source: string };

/** A record's position in an order, compared as the cluster sorts (`event.sequence` alone in one source's order). */
export function keyOf(record: ArchiveRecord, order: ArchiveOrder): SortKey {
  return lineKey({ _source: record.s }, order.kind === 'source' ? 'source' : 'merged');
}

export { compareKeys } from '../logs/cursor.js';

export function matchesFilters(record: ArchiveRecord, filters: LineFilters): boolean {
  if (filters.sources && !filters.sources.includes(sourceOf(record))) return false;
  if (filters.streams && !filters.streams.includes(streamOf(record) as 'stdout')) return false;
  if (filters.levels && !filters.levels.includes(levelOf(record))) return false;
  return true;
}

/** Whether a member may hold a record the filters let through (its counts say; conservative across dimensions). */
function mayHold(m: ArchiveMember, filters: LineFilters): boolean {
  if (filters.sources && !filters.sources.some((s) => m.sources[s])) return false;
  if (filters.streams && !filters.streams.some((s) => m.streams[s])) return false;
  if (filters.levels && !filters.levels.some((l) => m.levels[l])) return false;
  return true;
}

/** A member's first and last key in an order (undefined: it holds nothing of that order). */
function boundsOf(m: ArchiveMember, order: ArchiveOrder): { first: SortKey; last: SortKey } | undefined {
  if (order.kind === 'merged') return { first: m.first, last: m.last };
  const s = m.sources[order.source];
  return s ? { first: [s[1]], last: [s[2]] } : undefined;
}

export interface ScanRequest {
  filters: LineFilters;
  order: ArchiveOrder;
  /** Records wanted (the scan stops after one more, to tell whether more follow). */
  limit: number;
  /** Only records strictly after (forward) or before (backward) this key. */
  from?: SortKey | undefined;
  /** Further condition on a record (a line number, a time), with a member-level test to skip members. */
  where?: ((record: ArchiveRecord) => boolean) | undefined;
  skipMember?: ((m: ArchiveMember) => boolean) | undefined;
}

export interface ScanResult {
  /** In ascending order. */
  records: ArchiveRecord[];
  more: boolean;
}

/** Members read in one ranged request at most (a scan reads 1, 2, 4… at a time). */
const MAX_MEMBERS_PER_READ = 8;

/**
 * Pages of an archived job's documents, read member by member with ranged reads: the index
 * picks the members a page can be in (by key, by source, stream and level counts), the records
 * decide. Pure over a {@link MemberLoader}.
 *
 * @example
 * const pages = new ArchivePages(index, load);
 * const { records, more } = await pages.forward({ filters: {}, order: { kind: 'merged' }, limit: 200, from: cursor.key });
 */
export class ArchivePages {
  readonly #index: ArchiveIndex;
  readonly #load: MemberLoader;

  constructor(index: ArchiveIndex, load: MemberLoader) {
    this.#index = index;
    this.#load = load;
  }

  async forward(r: ScanRequest): Promise<ScanResult> {
    const wanted = this.#wanted(r, (b) => r.from === undefined || compareKeys(b.last, r.from) > 0);
    const out: ArchiveRecord[] = [];
    for await (const record of this.#records(wanted, false)) {
      if (!this.#passes(record, r) || (r.from !== undefined && compareKeys(keyOf(record, r.order), r.from) <= 0)) continue;
      out.push(record);
      if (out.length > r.limit) return { records: out.slice(0, r.limit), more: true };
    }
    return { records: out, more: false };
  }

  async backward(r: ScanRequest): Promise<ScanResult> {
    const wanted = this.#wanted(r, (b) => r.from === undefined || compareKeys(b.first, r.from) < 0).reverse();
    const out: ArchiveRecord[] = [];
    for await (const record of this.#records(wanted, true)) {
      if (!this.#passes(record, r) || (r.from !== undefined && compareKeys(keyOf(record, r.order), r.from) >= 0)) continue;
      out.push(record);
      if (out.length > r.limit) return { records: out.slice(0, r.limit).reverse(), more: true };
    }
    return { records: out.reverse(), more: false };
  }

  /**
   * Every record the filters let through, in order, from the members they may hit — within a byte
   * budget (at least one member): the return value says whether every member was read, and the
   * last key of the last one read (where a scan stopped by the budget goes on).
   */
  async *scan(
    r: Pick<ScanRequest, 'filters' | 'order' | 'from'>,
    budgetBytes: number,
  ): AsyncGenerator<ArchiveRecord, { complete: boolean; readTo: SortKey | undefined }> {
    const wanted = this.#wanted({ ...r, limit: 0 }, (b) => r.from === undefined || compareKeys(b.last, r.from) > 0);
    let bytes = 0;
    let readTo: SortKey | undefined;
    for (const i of wanted) {
      const m = this.#index.members[i]!;
      if (readTo !== undefined && bytes + m.length > budgetBytes) return { complete: false, readTo };
      bytes += m.length;
      readTo = boundsOf(m, r.order)!.last;
      for (const record of (await this.#load(i, 1))[0]!) {
        if (!matchesFilters(record, r.filters)) continue;
        if (r.from !== undefined && compareKeys(keyOf(record, r.order), r.from) <= 0) continue;
        yield record;
      }
    }
    return { complete: true, readTo };
  }

  #passes(record: ArchiveRecord, r: ScanRequest): boolean {
    return matchesFilters(record, r.filters) && (r.where === undefined || r.where(record));
  }

  /** Indices of the members a request can find records in, ascending. */
  #wanted(r: ScanRequest, inRange: (b: { first: SortKey; last: SortKey }) => boolean): number[] {
    const out: number[] = [];
    this.#index.members.forEach((m, i) => {
      const bounds = boundsOf(m, r.order);
      if (bounds && inRange(bounds) && mayHold(m, r.filters) && !r.skipMember?.(m)) out.push(i);
    });
    return out;
  }

  /** The records of `members` (ascending indices, or descending when `backward`), reading runs of adjacent members at once. */
  async *#records(members: number[], backward: boolean): AsyncGenerator<ArchiveRecord> {
    let batch = 1;
    for (let at = 0; at < members.length; ) {
      const run = [members[at]!];
      while (run.length < batch && at + run.length < members.length && members[at + run.length] === run.at(-1)! + (backward ? -1 : 1))
        run.push(members[at + run.length]!);
      at += run.length;
      batch = Math.min(batch * 2, MAX_MEMBERS_PER_READ);
      const first = Math.min(...run);
      const loaded = await this.#load(first, run.length);
      const ordered = backward ? loaded.reverse() : loaded;
      for (const records of ordered) {
        if (backward) for (let k = records.length - 1; k >= 0; k--) yield records[k]!;
        else yield* records;
      }
    }
  }
}
