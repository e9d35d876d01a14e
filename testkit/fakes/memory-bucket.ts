/**
 * An S3 bucket in memory with the adapters the functions take (`ChunkStore`, `ChunkListing`,
 * `ObjectWriters`, `DeadLetterWriter`, `JobStore`, `ArchiveStore`): for unit tests that exercise a handler's logic
 * without a server. Integration tests use the real adapters against the local stack instead.
 *
 * @example
 * const bucket = new MemoryBucket();
 * bucket.put('chunks/v1/job-1/main/0000000000.log.gz', gzipSync('hello\n'), { format: 'lines' });
 * const deps = { ...bucket.assemblerAdapters({ partBytes, deadLetterPrefix }), queue, logger, now, config };
 */
import { Readable } from 'node:stream';
import type { AssemblerDeps } from '../../functions/assembler/deps.js';
import type { ArchiveStore } from '../../shared/adapters/s3/archive-store.js';
import type { ChunkListing } from '../../shared/adapters/s3/chunk-listing.js';
import type { ChunkStore } from '../../shared/adapters/s3/chunk-store.js';
import type { JobStore } from '../../shared/adapters/s3/job-store.js';
import { UploadGoneError, type ObjectWriter, type ObjectWriters, type UploadCheckpoint } from '../../shared/adapters/s3/multipart-writer.js';
import { archiveKeys, ArchiveUnreadableError } from '../../shared/core/archive/index.js';
import { deadLetterKey, type DeadLetterReport, type DeadLetterWriter } from '../../shared/core/batch/index.js';
import {
  CHUNK_CONTRACT_VERSION,
  jobMarkerKey,
  jobMarkerPrefix,
  parseChunkKey,
  parseJobMarker,
  parseJobMarkerKey,
  parseJobRegistration,
  registrationKey,
  summariseJob,
  type JobMarker,
} from '../../shared/core/contract/index.js';
import { downloadKey, fromS3Metadata } from '../../shared/core/download/index.js';
import { ObjectGoneError, StorageUnavailableError } from '../../shared/core/errors.js';

export interface StoredObject {
  body: Buffer;
  metadata: Record<string, string>;
  contentType?: string | undefined;
  contentDisposition?: string | undefined;
}

export class MemoryBucket {
  readonly objects = new Map<string, StoredObject>();
  /** Keys starting with one of these fail as if S3 were unavailable. */
  readonly unavailable = new Set<string>();
  /** Every dead-letter report written, in order. */
  readonly reports: DeadLetterReport[] = [];
  readonly #uploads = new Map<string, Buffer[]>();
  #uploadCount = 0;

  put(key: string, body: Buffer | string, metadata: Record<string, string> = {}): void {
    this.objects.set(key, { body: Buffer.from(body), metadata });
  }

  putMarker(marker: JobMarker): void {
    this.put(jobMarkerKey(marker.jobId, marker.source, marker.status), JSON.stringify(marker));
  }

  /** What the launcher writes before a job starts: who owns it. */
  register(jobId: string, owner: string, team?: string): void {
    this.put(registrationKey(jobId), JSON.stringify({ version: 1, jobId, owner, ...(team ? { team } : {}), createdAt: '2026-11-25T09:59:00.000Z' }));
  }

  get(key: string): StoredObject | undefined {
    this.#check(key);
    return this.objects.get(key);
  }

  chunkStore(): ChunkStore {
    return {
      open: async (_bucket, key) => {
        const object = this.get(key);
        if (!object) throw new ObjectGoneError(`${key} no longer exists`);
        return { metadata: { ...object.metadata }, body: Readable.from([object.body]), contentLength: object.body.length, etag: `"${object.body.length}"` };
      },
      head: async (_bucket, key) => {
        const object = this.get(key);
        return object ? { ...object.metadata } : undefined;
      },
      readCheckpoint: async (_bucket, key) => this.objects.get(key)?.body.toString('utf8'),
      writeCheckpoint: async (_bucket, key, checkpoint) => (this.put(key, JSON.stringify(checkpoint)), true),
    };
  }

  listing(chunkPrefix = 'chunks/'): ChunkListing {
    return {
      listJobChunks: async (jobId) => {
        const bySource = new Map<string, number[]>();
        for (const key of this.#keys(`${chunkPrefix}${CHUNK_CONTRACT_VERSION}/${jobId}/`)) {
          const { source, seq } = parseChunkKey(key, chunkPrefix);
          bySource.set(source, [...(bySource.get(source) ?? []), seq]);
        }
        return bySource;
      },
    };
  }

  writers(partBytes = 5 * 1024 * 1024): ObjectWriters {
    return {
      create: (key, contentType) => this.#writer(key, contentType, partBytes, { uploadId: `upload-${++this.#uploadCount}-${key}`, parts: [] }),
      resume: (key, contentType, checkpoint) => this.#writer(key, contentType, partBytes, checkpoint),
    };
  }

  deadLetters(prefix: string): DeadLetterWriter {
    return {
      write: async (report) => {
        const key = deadLetterKey(prefix, report);
        this.#check(key);
        this.reports.push(report);
        this.put(key, JSON.stringify(report));
        return key;
      },
    };
  }

  jobStore(o: { jobPrefix?: string; downloadPrefix?: string } = {}): JobStore {
    const readRegistration = async (jobId: string) => {
      const registered = this.get(registrationKey(jobId));
      return registered && parseJobRegistration(registered.body.toString('utf8'), jobId);
    };
    return {
      readJob: async (jobId) => {
        const markers = this.#keys(jobMarkerPrefix(jobId, o.jobPrefix)).map((key) =>
          parseJobMarker(this.get(key)!.body.toString('utf8'), parseJobMarkerKey(key, o.jobPrefix)),
        );
        return { registration: await readRegistration(jobId), job: summariseJob(jobId, markers), invalid: [] };
      },
      readRegistration,
      headDownload: async (jobId) => {
        const key = downloadKey(jobId, o.downloadPrefix);
        const object = this.get(key);
        return object && { key, metadata: fromS3Metadata(object.metadata), lastModified: undefined, size: object.body.length };
      },
    };
  }

  /** The assembler's adapters over this bucket: what `assemblerAdapters` makes over S3. */
  assemblerAdapters(o: {
    partBytes: number;
    deadLetterPrefix: string;
  }): Pick<AssemblerDeps, 'jobs' | 'chunks' | 'listing' | 'downloads' | 'archives' | 'deadLetters'> {
    return {
      jobs: this.jobStore(),
      chunks: this.chunkStore(),
      listing: this.listing(),
      downloads: this.writers(o.partBytes),
      archives: this.archiveStore(),
      deadLetters: this.deadLetters(o.deadLetterPrefix),
    };
  }

  archiveStore(downloadPrefix = 'downloads/'): ArchiveStore {
    const text = (key: string) => this.get(key)?.body.toString('utf8');
    return {
      readIndex: async (jobId) => text(archiveKeys(jobId, downloadPrefix).index),
      readResume: async (jobId) => text(archiveKeys(jobId, downloadPrefix).resume),
      readRange: async (jobId, offset, length) => {
        const records = this.get(archiveKeys(jobId, downloadPrefix).records);
        if (!records || records.body.length < offset + length) throw new ArchiveUnreadableError(`the archive records of ${jobId} are shorter than asked`);
        return records.body.subarray(offset, offset + length);
      },
    };
  }

  #keys(prefix: string): string[] {
    this.#check(prefix);
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
  }

  #check(key: string): void {
    for (const p of this.unavailable) if (key.startsWith(p)) throw new StorageUnavailableError(`SlowDown: ${key}`);
  }

  #writer(key: string, contentType: string, partBytes: number, start: UploadCheckpoint): ObjectWriter {
    // As S3 answers NoSuchUpload: a continuation of an upload that was completed or aborted.
    if (start.parts.length > 0 && !this.#uploads.has(start.uploadId)) return goneWriter(key);
    const upload = { uploadId: start.uploadId, parts: [...start.parts] };
    const parts = this.#uploads.get(upload.uploadId) ?? [];
    // Parts written after the checkpoint are written again by whoever goes on from it.
    parts.length = start.parts.length;
    this.#uploads.set(upload.uploadId, parts);
    let buffered: Buffer[] = [];
    return {
      write: async (block) => {
        buffered.push(block);
        if (buffered.reduce((n, b) => n + b.length, 0) < partBytes) return false;
        parts.push(Buffer.concat(buffered));
        upload.parts.push({ PartNumber: parts.length, ETag: `"${parts.length}"` });
        buffered = [];
        return true;
      },
      checkpoint: () => ({ uploadId: upload.uploadId, parts: [...upload.parts] }),
      finish: async (metadata, contentDisposition) => {
        this.#uploads.delete(upload.uploadId);
        this.objects.set(key, { body: Buffer.concat([...parts, ...buffered]), metadata, contentType, contentDisposition });
      },
      abort: async () => void this.#uploads.delete(upload.uploadId),
    };
  }
}

function goneWriter(key: string): ObjectWriter {
  const gone = async (): Promise<never> => {
    throw new UploadGoneError(`Could not write ${key}: the multipart upload no longer exists`);
  };
  return { write: gone, finish: gone, checkpoint: () => undefined, abort: async () => undefined };
}
