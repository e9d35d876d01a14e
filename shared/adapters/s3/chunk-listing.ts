import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { CHUNK_CONTRACT_VERSION, parseChunkKey } from '../../core/contract/index.js';
import { StorageUnavailableError } from '../../core/errors.js';

/** Which chunks of a job are in the bucket. */
export interface ChunkListing {
  /** Every chunk seq of the job, per source. */
  listJobChunks(jobId: string): Promise<Map<string, number[]>>;
}

/** One paginated listing of `chunks/v1/<jobId>/`. */
export function s3ChunkListing(s3: S3Client, o: { bucket: string; chunkPrefix: string }): ChunkListing {
  return {
    async listJobChunks(jobId) {
      const prefix = `${o.chunkPrefix}${CHUNK_CONTRACT_VERSION}/${jobId}/`;
      const bySource = new Map<string, number[]>();
      let token: string | undefined;
      do {
        const page = await s3.send(new ListObjectsV2Command({ Bucket: o.bucket, Prefix: prefix, ContinuationToken: token })).catch((error: unknown) => {
          throw new StorageUnavailableError(`Could not list s3://${o.bucket}/${prefix}: ${(error as Error).message}`, { cause: error });
        });
        for (const { Key } of page.Contents ?? []) addChunk(bySource, Key, jobId, o.chunkPrefix);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return bySource;
    },
  };
}

function addChunk(bySource: Map<string, number[]>, key: string | undefined, jobId: string, chunkPrefix: string): void {
  if (!key) return;
  let parsed: ReturnType<typeof parseChunkKey>;
  try {
    parsed = parseChunkKey(key, chunkPrefix);
  } catch {
    return; // not a chunk (the indexer dead-letters it); nothing to assemble from it
  }
  if (parsed.jobId !== jobId) return;
  const seqs = bySource.get(parsed.source) ?? [];
  seqs.push(parsed.seq);
  bySource.set(parsed.source, seqs);
}
