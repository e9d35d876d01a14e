import type { OpenedChunk } from '../../shared/adapters/s3/chunk-store.js';
import { checkpointKey, parseCheckpoint, type CreatedObject, type IndexCheckpoint } from '../../shared/core/ingest/index.js';
import type { IndexerDeps } from './deps.js';

/**
 * The checkpoint of one chunk (`checkpoints/indexer/`): how far an earlier invocation got. Best
 * effort both ways — a checkpoint that cannot be read or written only costs work, since `create`
 * with deterministic ids keeps a re-read chunk exactly once.
 */
export function chunkCheckpoints(object: CreatedObject, opened: OpenedChunk, deps: IndexerDeps) {
  const key = checkpointKey(deps.config.checkpointPrefix, object.bucket, object.key);
  return {
    async read(): Promise<number> {
      const text = await deps.chunks.readCheckpoint(object.bucket, key);
      return (text && parseCheckpoint(text, { bucket: object.bucket, key: object.key, etag: opened.etag })?.position) || 0;
    },
    /** Returns the position saved, or undefined when it could not be. */
    async save(position: number): Promise<number | undefined> {
      if (!opened.etag) return undefined;
      const checkpoint: IndexCheckpoint = {
        version: 1,
        bucket: object.bucket,
        key: object.key,
        etag: opened.etag,
        position,
        at: new Date(deps.now()).toISOString(),
      };
      return (await deps.chunks.writeCheckpoint(object.bucket, key, checkpoint)) ? position : undefined;
    },
  };
}
