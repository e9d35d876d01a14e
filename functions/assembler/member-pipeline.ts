import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { ObjectWriter } from '../../shared/adapters/s3/multipart-writer.js';
import { DownloadTextWriter, type MergeCursor, type SourceItem, type SourceMerge } from '../../shared/core/download/index.js';

const gzipAsync = promisify(gzip);
/** gzip members compressed at once (libuv's thread pool has 4 threads). */
const MEMBERS_IN_FLIGHT = 4;
const GZIP_CHUNK_BYTES = 1 << 20;

/** Lines and gap markers written so far (a continuation carries them on). */
export interface WrittenCounts {
  lines: number;
  gaps: number;
}

/** Where a continuation starts: every source's position after a member, and the counts up to it. */
export interface Snapshot extends WrittenCounts {
  cursor: MergeCursor;
}

/**
 * The download text cut into ~`memberBytes` gzip members (concatenated members are one valid gzip
 * file), a few compressed at once on the thread pool and written in order. Member boundaries
 * depend only on the content, so the same chunks always give the same bytes; a boundary right
 * after an uploaded part is where a continuation may start.
 *
 * @example
 * const members = new MemberPipeline({ writer, merge, sources: 2, memberBytes: 1 << 20, gzipLevel: 6 }, { lines: 0, gaps: 0 });
 * members.add('main', item);
 * if (members.full) stopAt = await members.cut(() => Date.now() >= deadlineAt);
 * await members.finish(true);
 */
export class MemberPipeline {
  readonly counts: WrittenCounts;
  readonly #o: { writer: ObjectWriter; merge: SourceMerge; memberBytes: number; gzipLevel: number };
  readonly #text: DownloadTextWriter;
  readonly #members: Array<{ compressed: Promise<Buffer>; snapshot: Snapshot }> = [];
  #written = 0;

  constructor(o: { writer: ObjectWriter; merge: SourceMerge; sources: number; memberBytes: number; gzipLevel: number }, counts: WrittenCounts) {
    this.#o = o;
    this.counts = { ...counts };
    this.#text = new DownloadTextWriter(o.sources, o.memberBytes + 64 * 1024);
  }

  add(source: string, item: SourceItem): void {
    if (item.kind === 'line') {
      this.#text.line(source, item.line);
      this.counts.lines++;
    } else {
      this.#text.gap(source, item.gap);
      this.counts.gaps++;
    }
  }

  /** A member's worth of text is waiting. */
  get full(): boolean {
    return this.#text.length >= this.#o.memberBytes;
  }

  /** Starts compressing the text as a member; writes members while too many are in flight. Returns where to stop, if `stop()` says so after a part. */
  async cut(stop: () => boolean): Promise<Snapshot | undefined> {
    await this.#queueMember();
    while (this.#members.length >= MEMBERS_IN_FLIGHT) {
      const stopAt = await this.#writeOldest(stop);
      if (stopAt) return stopAt;
    }
    return undefined;
  }

  /** Writes everything left. An empty job still gets one (empty) member in its first invocation. */
  async finish(firstInvocation: boolean): Promise<void> {
    const nothingYet = this.#written === 0 && this.#members.length === 0 && firstInvocation;
    if (this.#text.length > 0 || nothingYet) await this.#queueMember();
    while (this.#members.length > 0) await this.#writeOldest(() => false);
  }

  async #queueMember(): Promise<void> {
    // One output callback per member instead of one per 16 KiB (zlib's default chunk size).
    const compressed = gzipAsync(this.#text.take(), { level: this.#o.gzipLevel, chunkSize: GZIP_CHUNK_BYTES });
    compressed.catch(() => undefined);
    this.#members.push({ compressed, snapshot: { cursor: await this.#o.merge.cursor(), ...this.counts } });
  }

  async #writeOldest(stop: () => boolean): Promise<Snapshot | undefined> {
    const member = this.#members.shift()!;
    const uploadedPart = await this.#o.writer.write(await member.compressed);
    this.#written++;
    return uploadedPart && stop() ? member.snapshot : undefined;
  }
}
