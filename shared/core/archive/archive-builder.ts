import { lineKey, toApiLine } from '../logs/query.js';
import { errorPosition, type ErrorPosition, type SourceProgress } from '../logs/summary.js';
import { ARCHIVE_VERSION, MAX_ERROR_POSITIONS, RECORDS_PER_MEMBER, type ArchiveIndex, type ArchiveMember, type ArchiveRecord } from './archive-file.js';

/** The levels the summary lists as errors (as the logs API's error query does). */
export const ERROR_LEVELS: readonly string[] = ['error', 'fatal', 'critical'];

/** A member's text, ready to be compressed, and what the index says about it. */
export interface PendingMember {
  text: string;
  stats: Omit<ArchiveMember, 'offset' | 'length'>;
}

export const levelOf = (r: ArchiveRecord): string => (typeof r.s['log']?.['level'] === 'string' ? r.s['log']['level'] : 'none');
export const streamOf = (r: ArchiveRecord): string => String(r.s['joblogs']?.['stream'] ?? 'stdout');
export const sourceOf = (r: ArchiveRecord): string => String(r.s['joblogs']?.['source'] ?? '');

/**
 * Cuts a job's documents, given in merged order, into members of {@link RECORDS_PER_MEMBER}
 * records and keeps the index: each member's keys and counts, the job's counts by level and
 * stream and its first error positions. Pure: the caller compresses each member and says how
 * long it came out ({@link placed}), in order.
 *
 * @example
 * const builder = new ArchiveBuilder(jobId);
 * for (const record of records) { const full = builder.add(record); if (full) builder.placed(full, await write(full.text)); }
 * const last = builder.flush(); if (last) builder.placed(last, await write(last.text));
 * const index = builder.index(progress);
 */
export class ArchiveBuilder {
  readonly #jobId: string;
  readonly #members: ArchiveMember[] = [];
  readonly #levels: Record<string, number> = {};
  readonly #streams: Record<string, number> = {};
  readonly #positions: ErrorPosition[] = [];
  #errors = 0;
  #records = 0;
  #bytes = 0;
  #lines: string[] = [];
  #open: PendingMember['stats'] | undefined;

  constructor(jobId: string) {
    this.#jobId = jobId;
  }

  /** A builder that goes on from `index`, the {@link index} of one that stopped between members (a build continued in another invocation). */
  static resume(index: ArchiveIndex): ArchiveBuilder {
    const builder = new ArchiveBuilder(index.jobId);
    builder.#members.push(...index.members);
    Object.assign(builder.#levels, index.levels);
    Object.assign(builder.#streams, index.streams);
    builder.#positions.push(...index.errors.positions);
    builder.#errors = index.errors.count;
    builder.#records = index.records;
    builder.#bytes = index.bytes;
    return builder;
  }

  /** Adds the next document; returns a member once it is full. */
  add(record: ArchiveRecord): PendingMember | undefined {
    const key = lineKey({ _source: record.s }, 'merged') as [number, string, number];
    const open = (this.#open ??= { count: 0, first: key, last: key, sources: {}, streams: {}, levels: {} });
    open.count++;
    open.last = key;
    this.#count(open, record, key);
    this.#lines.push(JSON.stringify(record));
    this.#records++;
    return open.count >= RECORDS_PER_MEMBER ? this.flush() : undefined;
  }

  /** The member being filled, if it holds any record. */
  flush(): PendingMember | undefined {
    if (!this.#open) return undefined;
    const member = { text: `${this.#lines.join('\n')}\n`, stats: this.#open };
    this.#open = undefined;
    this.#lines = [];
    return member;
  }

  /** A member was written, `length` bytes compressed, right after the previous one. */
  placed(member: PendingMember, length: number): void {
    this.#members.push({ offset: this.#bytes, length, ...member.stats });
    this.#bytes += length;
  }

  index(progress: SourceProgress[]): ArchiveIndex {
    return {
      version: ARCHIVE_VERSION,
      jobId: this.#jobId,
      records: this.#records,
      bytes: this.#bytes,
      members: this.#members,
      progress,
      levels: this.#levels,
      streams: this.#streams,
      errors: { count: this.#errors, positions: this.#positions },
    };
  }

  #count(member: PendingMember['stats'], record: ArchiveRecord, key: [number, string, number]): void {
    const level = levelOf(record);
    const stream = streamOf(record);
    member.levels[level] = (member.levels[level] ?? 0) + 1;
    member.streams[stream] = (member.streams[stream] ?? 0) + 1;
    this.#levels[level] = (this.#levels[level] ?? 0) + 1;
    this.#streams[stream] = (this.#streams[stream] ?? 0) + 1;
    const j = record.s['joblogs'] ?? {};
    const seq = key[2];
    const line = typeof j['line'] === 'number' ? j['line'] : -1;
    const last = typeof j['last_line'] === 'number' ? j['last_line'] : line;
    const s = (member.sources[sourceOf(record)] ??= [0, seq, seq, line, last]);
    s[0]++;
    s[1] = Math.min(s[1], seq);
    s[2] = Math.max(s[2], seq);
    if (line >= 0) s[3] = s[3] < 0 ? line : Math.min(s[3], line);
    s[4] = Math.max(s[4], last);
    if (!ERROR_LEVELS.includes(level)) return;
    this.#errors++;
    if (this.#positions.length < MAX_ERROR_POSITIONS) {
      this.#positions.push(errorPosition(toApiLine({ _source: record.s }, 'merged')));
    }
  }
}
