import { S3Client } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { s3ChunkListing } from '../../../../../shared/adapters/s3/chunk-listing.js';
import { MultipartWriter, UploadGoneError } from '../../../../../shared/adapters/s3/multipart-writer.js';
import { StorageUnavailableError } from '../../../../../shared/core/errors.js';
import { startStubServer, type StubRequest, type StubResponse } from '../../../../../testkit/fakes/stub-server.js';

const XML = { 'content-type': 'application/xml', 'x-amz-request-id': 'C3D13FE58DE4C810' };
let stub: Awaited<ReturnType<typeof startStubServer>> | undefined;
afterEach(async () => stub?.close());

async function s3Answering(answer: (request: StubRequest, n: number) => StubResponse): Promise<S3Client> {
  stub = await startStubServer(answer);
  return new S3Client({
    endpoint: stub.url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
}

const contents = (keys: string[]) =>
  keys
    .map(
      (k) =>
        `<Contents><Key>${k}</Key><LastModified>2026-11-25T10:00:01.000Z</LastModified><ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag><Size>1024</Size><StorageClass>STANDARD</StorageClass></Contents>`,
    )
    .join('');
const listPage = (keys: string[], next?: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>logs</Name><Prefix>chunks/v1/job-1/</Prefix><KeyCount>${keys.length}</KeyCount><MaxKeys>1000</MaxKeys>` +
  `<IsTruncated>${next ? 'true' : 'false'}</IsTruncated>${next ? `<NextContinuationToken>${next}</NextContinuationToken>` : ''}${contents(keys)}</ListBucketResult>`;

describe('s3ChunkListing against verbatim S3 answers', () => {
  it('follows continuation tokens across pages and groups seqs by source, skipping keys outside the layout', async () => {
    const s3 = await s3Answering((request) => {
      const token = new URL(request.url, 'http://x').searchParams.get('continuation-token');
      return token === '1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM='
        ? { status: 200, headers: XML, body: listPage(['chunks/v1/job-1/rank-1/0000000000.log.gz', 'chunks/v1/job-1/main/0000000002.log.gz']) }
        : {
            status: 200,
            headers: XML,
            body: listPage(
              ['chunks/v1/job-1/main/0000000000.log.gz', 'chunks/v1/job-1/main/0000000001.log.gz', 'chunks/v1/job-1/notes.txt'],
              '1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=',
            ),
          };
    });
    const listed = await s3ChunkListing(s3, { bucket: 'logs', chunkPrefix: 'chunks/' }).listJobChunks('job-1');
    expect(Object.fromEntries(listed)).toEqual({ main: [0, 1, 2], 'rank-1': [0] });
    expect(stub!.requests).toHaveLength(2);
    expect(new URL(stub!.requests[0]!.url, 'http://x').searchParams.get('prefix')).toBe('chunks/v1/job-1/');
  });

  it('turns SlowDown into a transient failure', async () => {
    const s3 = await s3Answering(() => ({
      status: 503,
      headers: XML,
      body: '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>C3D13FE58DE4C810</RequestId><HostId>FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD</HostId></Error>',
    }));
    await expect(s3ChunkListing(s3, { bucket: 'logs', chunkPrefix: 'chunks/' }).listJobChunks('job-1')).rejects.toBeInstanceOf(StorageUnavailableError);
  });
});

describe('MultipartWriter against verbatim S3 answers', () => {
  const checkpoint = {
    uploadId: 'VXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA',
    parts: [{ PartNumber: 1, ETag: '"b54357faf0632cce46e942fa68356b38"' }],
  };

  it('reports a continuation whose upload another delivery completed as UploadGoneError (NoSuchUpload)', async () => {
    const s3 = await s3Answering(() => ({
      status: 404,
      headers: XML,
      body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.</Message><UploadId>${checkpoint.uploadId}</UploadId><RequestId>C3D13FE58DE4C810</RequestId><HostId>FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD</HostId></Error>`,
    }));
    const writer = MultipartWriter.resume(
      s3,
      { bucket: 'logs', key: 'downloads/job-1.log.gz', contentType: 'application/gzip', partBytes: 5 * 1024 * 1024 },
      checkpoint,
    );
    const error = await writer.write(Buffer.alloc(5 * 1024 * 1024)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UploadGoneError);
    expect((error as UploadGoneError).kind).toBe('permanent');
    expect(stub!.requests[0]).toMatchObject({ method: 'PUT' });
    expect(new URL(stub!.requests[0]!.url, 'http://x').searchParams.get('partNumber')).toBe('2');
  });

  it('turns an InternalError on a part into a transient failure', async () => {
    const s3 = await s3Answering(() => ({
      status: 500,
      headers: XML,
      body: '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message><RequestId>C3D13FE58DE4C810</RequestId><HostId>x</HostId></Error>',
    }));
    const writer = MultipartWriter.resume(
      s3,
      { bucket: 'logs', key: 'downloads/job-1.log.gz', contentType: 'application/gzip', partBytes: 5 * 1024 * 1024 },
      checkpoint,
    );
    await expect(writer.write(Buffer.alloc(5 * 1024 * 1024))).rejects.toBeInstanceOf(StorageUnavailableError);
  });
});
