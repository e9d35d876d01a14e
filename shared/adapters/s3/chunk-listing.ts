import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { CHUNK_CONTRACT_VERSION, parseChunkKey } from '../../core/contract/index.js';
import { StorageUnavailableError } from '../../core/errors.js';

/** Every chunk seq of a job, per source, from one paginated listing of `chunks/v1/<jobId>/`. */
export async function listJobChunks(s3: S3Client, bucket: string, jobId: string, chunkPrefix = 'chunks/'): Promise<Map<string, number[]>> {
  const prefix = `${chunkPrefix}${CHUNK_CONTRACT_VERSION}/${jobId}/`;
  const bySource = new Map<string, number[]>();
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token })).catch((error: unknown) => {
      throw new StorageUnavailableError(`Could not list s3://${bucket}/${prefix}: ${(error as Error).message}`, { cause: error });
    });
    for (const { Key } of page.Contents ?? []) {
      if (!Key) continue;
      let parsed;
      try {
        parsed = parseChunkKey(Key, chunkPrefix);
      } catch {
        continue; // not a chunk (the indexer dead-letters it); nothing to assemble from it
      }
      if (parsed.jobId !== jobId) continue;
      const seqs = bySource.get(parsed.source) ?? [];
      seqs.push(parsed.seq);
      bySource.set(parsed.source, seqs);
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return bySource;
}
