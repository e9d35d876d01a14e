import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { PermanentError, StorageUnavailableError } from '../../core/errors.js';

/** S3's rule: every part but the last is at least 5 MiB. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;

/** Where an unfinished multipart upload stands: enough to continue it in another invocation. */
export interface UploadCheckpoint {
  uploadId: string;
  parts: Array<{ PartNumber: number; ETag: string }>;
}

/** The multipart upload a continuation was writing no longer exists: another delivery finished (or aborted) it. */
export class UploadGoneError extends PermanentError {
  readonly code = 'UPLOAD_GONE';
}

/** Writes one object block by block; it can stop at a part boundary and be continued elsewhere. */
export interface ObjectWriter {
  /** Appends a block; resolves true when a part was uploaded (a point where it may stop). */
  write(block: Buffer): Promise<boolean>;
  /** Where an unfinished upload stands, at a part boundary (undefined before the first part). */
  checkpoint(): UploadCheckpoint | undefined;
  /** Uploads what is left and completes the object with `metadata`. */
  finish(metadata: Record<string, string>, contentDisposition?: string): Promise<void>;
  /** Gives up an unfinished upload (best effort). */
  abort(): Promise<void>;
}

/** Makes writers for keys of one bucket: new ones, or ones continuing an upload from its checkpoint. */
export interface ObjectWriters {
  create(key: string, contentType: string): ObjectWriter;
  resume(key: string, contentType: string, checkpoint: UploadCheckpoint): ObjectWriter;
}

export function s3ObjectWriters(s3: S3Client, o: { bucket: string; partBytes: number }): ObjectWriters {
  return {
    create: (key, contentType) => MultipartWriter.create(s3, { bucket: o.bucket, key, contentType, partBytes: o.partBytes }),
    resume: (key, contentType, checkpoint) => MultipartWriter.resume(s3, { bucket: o.bucket, key, contentType, partBytes: o.partBytes }, checkpoint),
  };
}

export interface MultipartWriterOptions {
  bucket: string;
  key: string;
  contentType: string;
  /** A part is uploaded once this much is buffered (≥ 5 MiB). */
  partBytes: number;
}

/**
 * Writes one object from appended byte blocks with bounded memory: a single PutObject if it all
 * fits in one part, else a multipart upload that can stop after any part ({@link checkpoint}) and
 * be continued elsewhere ({@link resume}). Final metadata is set when it is done: small objects
 * get it on the PutObject, multipart ones by a copy onto themselves (S3 fixes metadata at create).
 */
export class MultipartWriter implements ObjectWriter {
  readonly #s3: S3Client;
  readonly #o: MultipartWriterOptions;
  #buffer: Buffer[] = [];
  #buffered = 0;
  #upload: UploadCheckpoint | undefined;

  private constructor(s3: S3Client, o: MultipartWriterOptions, upload?: UploadCheckpoint) {
    if (o.partBytes < MIN_PART_BYTES) throw new RangeError(`partBytes must be at least ${MIN_PART_BYTES}`);
    this.#s3 = s3;
    this.#o = o;
    this.#upload = upload && { uploadId: upload.uploadId, parts: [...upload.parts] };
  }

  static create(s3: S3Client, o: MultipartWriterOptions): MultipartWriter {
    return new MultipartWriter(s3, o);
  }

  static resume(s3: S3Client, o: MultipartWriterOptions, checkpoint: UploadCheckpoint): MultipartWriter {
    return new MultipartWriter(s3, o, checkpoint);
  }

  checkpoint(): UploadCheckpoint | undefined {
    if (this.#buffered !== 0) throw new Error('checkpoint() is only valid at a part boundary');
    return this.#upload && { uploadId: this.#upload.uploadId, parts: [...this.#upload.parts] };
  }

  /** Appends a block; uploads a part when enough is buffered. Returns true if a part was uploaded. */
  async write(block: Buffer): Promise<boolean> {
    this.#buffer.push(block);
    this.#buffered += block.length;
    if (this.#buffered < this.#o.partBytes) return false;
    await this.#uploadPart();
    return true;
  }

  /** Uploads what is left and completes the object with `metadata`. */
  async finish(metadata: Record<string, string>, contentDisposition?: string): Promise<void> {
    const { bucket, key, contentType } = this.#o;
    if (!this.#upload) {
      const body = Buffer.concat(this.#buffer, this.#buffered);
      await this.#send(`write s3://${bucket}/${key}`, () =>
        this.#s3.send(
          new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType, ContentDisposition: contentDisposition, Metadata: metadata }),
        ),
      );
      this.#buffer = [];
      this.#buffered = 0;
      return;
    }
    if (this.#buffered > 0 || this.#upload.parts.length === 0) await this.#uploadPart();
    const { uploadId, parts } = this.#upload;
    await this.#send(`complete s3://${bucket}/${key}`, () =>
      this.#s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } })),
    );
    this.#upload = undefined;
    await this.#send(`set metadata of s3://${bucket}/${key}`, () =>
      this.#s3.send(
        new CopyObjectCommand({
          Bucket: bucket,
          Key: key,
          CopySource: `${bucket}/${encodeURIComponent(key).replace(/%2F/g, '/')}`,
          MetadataDirective: 'REPLACE',
          ContentType: contentType,
          ContentDisposition: contentDisposition,
          Metadata: metadata,
        }),
      ),
    );
  }

  /** Gives up an unfinished upload (best effort; the bucket's lifecycle rule aborts leftovers). */
  async abort(): Promise<void> {
    const upload = this.#upload;
    this.#upload = undefined;
    this.#buffer = [];
    this.#buffered = 0;
    if (!upload) return;
    await this.#s3.send(new AbortMultipartUploadCommand({ Bucket: this.#o.bucket, Key: this.#o.key, UploadId: upload.uploadId })).catch(() => undefined);
  }

  async #uploadPart(): Promise<void> {
    const { bucket, key, contentType } = this.#o;
    if (!this.#upload) {
      const created = await this.#send(`start an upload of s3://${bucket}/${key}`, () =>
        this.#s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: contentType })),
      );
      this.#upload = { uploadId: created.UploadId!, parts: [] };
    }
    const upload = this.#upload;
    const body = Buffer.concat(this.#buffer, this.#buffered);
    const PartNumber = upload.parts.length + 1;
    const out = await this.#send(`upload part ${PartNumber} of s3://${bucket}/${key}`, () =>
      this.#s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: upload.uploadId, PartNumber, Body: body })),
    );
    upload.parts.push({ PartNumber, ETag: out.ETag! });
    this.#buffer = [];
    this.#buffered = 0;
  }

  async #send<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      // Another invocation finished (or aborted) this upload: our continuation is obsolete.
      if ((error as { name?: string }).name === 'NoSuchUpload')
        throw new UploadGoneError(`Could not ${what}: the multipart upload no longer exists`, { cause: error });
      throw new StorageUnavailableError(`Could not ${what}: ${(error as Error).message}`, { cause: error });
    }
  }
}
