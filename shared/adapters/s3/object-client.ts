/**
 * The few S3 calls a producer makes — the shipper (chunks, job markers, the watch signal, the
 * start-up bucket check) and the launcher's registration — as an interface, so that the `joblogs`
 * CLI can use a small SigV4 client ({@link SigV4ObjectClient}, `sigv4-object-client.ts`) and a
 * library user or a test the AWS SDK's `S3Client` (`sdkObjectClient`, `sdk-object-client.ts`) or
 * a fake. Nothing here imports the SDK: the CLI bundle must not load it (docs/shipper-footprint.md).
 *
 * A failed call throws an error shaped like the SDK's: S3's error code as `name` (`NoSuchKey`,
 * `PreconditionFailed`, `AccessDenied`…) and the HTTP status as `$metadata.httpStatusCode`; a
 * network failure throws Node's own error (`ECONNRESET`…).
 */
export interface S3ObjectClient {
  /** PutObject; with `ifNoneMatch: '*'` a key that exists answers 412 (`PreconditionFailed`). */
  putObject(request: PutObjectRequest, options?: S3CallOptions): Promise<void>;
  /** HeadObject: the object's user metadata (keys lower-case, without `x-amz-meta-`). */
  headObject(request: ObjectRef, options?: S3CallOptions): Promise<{ metadata: Record<string, string> }>;
  /** GetObject, the body as UTF-8 text. */
  getObjectText(request: ObjectRef, options?: S3CallOptions): Promise<string>;
  /** ListObjectsV2 of one page: at most `maxKeys` keys under `prefix`. */
  listKeys(request: { bucket: string; prefix: string; maxKeys: number }, options?: S3CallOptions): Promise<string[]>;
  /** Closes idle connections. */
  destroy(): void;
}

export interface ObjectRef {
  bucket: string;
  key: string;
}

export interface PutObjectRequest extends ObjectRef {
  body: Buffer | string;
  contentType: string;
  metadata?: Record<string, string>;
  /** `*`: write once (S3 conditional writes). */
  ifNoneMatch?: '*';
}

export interface S3CallOptions {
  signal?: AbortSignal;
}

/** S3's answer (error code and HTTP status) to a call that failed, as the SDK's errors carry it. */
export class S3ResponseError extends Error {
  readonly $metadata: { httpStatusCode: number; requestId?: string | undefined };

  constructor(code: string, message: string, status: number, requestId?: string) {
    super(message);
    this.name = code;
    this.$metadata = { httpStatusCode: status, requestId };
  }
}

/** The HTTP status of a failed S3 call (ours or the SDK's); undefined for a network failure. */
export function s3ErrorStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

/** S3's answer to a conditional PUT of a key that exists (412 PreconditionFailed). */
export function isPreconditionFailed(error: unknown): boolean {
  return (error as { name?: string } | null)?.name === 'PreconditionFailed' || s3ErrorStatus(error) === 412;
}

/** A missing key (GetObject `NoSuchKey`, HeadObject `NotFound`, or a bare 404). */
export function isNotFound(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name;
  return name === 'NoSuchKey' || name === 'NotFound' || s3ErrorStatus(error) === 404;
}
