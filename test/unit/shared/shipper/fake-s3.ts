import { gunzipSync } from 'node:zlib';
import { S3ResponseError, type S3ObjectClient } from '../../../../shared/adapters/s3/object-client.js';
import { decodeFrames, parseJobMarker, type Frame, type JobMarker } from '../../../../shared/core/contract/index.js';

export interface StoredChunk {
  key: string;
  metadata: Record<string, string>;
  frames: Frame[];
}

const preconditionFailed = () => new S3ResponseError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412);
const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });

/**
 * An in-memory S3 for the shipper: PutObject of chunks (gzip, framed) and job markers (JSON) —
 * honouring `If-None-Match: *` with a 412 as S3 does — and HeadObject; it can be switched to fail
 * like an unreachable endpoint. `attempts` counts chunk uploads only.
 */
export function fakeS3(): {
  client: S3ObjectClient;
  objects: StoredChunk[];
  markers: Array<{ key: string; marker: JobMarker }>;
  /** Puts an object under `key` as if another writer had: the next conditional PUT of it answers 412. */
  occupy: (key: string, metadata?: Record<string, string>) => void;
  attempts: () => number;
  setDown: (down: boolean) => void;
  /** The next chunk PUT is stored but its answer is lost (the client sees a reset connection). */
  loseNextAnswer: () => void;
  /** The watch signal GetObject answers: its body, `undefined` for a 404 (the default), or an Error to throw. */
  setWatch: (answer: string | Error | undefined) => void;
  /** GetObject requests of watch signals so far. */
  watchReads: () => number;
} {
  const objects: StoredChunk[] = [];
  const markers: Array<{ key: string; marker: JobMarker }> = [];
  const stored = new Map<string, Record<string, string>>();
  let down = false;
  let loseAnswer = false;
  let attempts = 0;
  let watch: string | Error | undefined;
  let watchReads = 0;
  const client: S3ObjectClient = {
    async getObjectText() {
      watchReads++;
      if (down) throw refused();
      if (watch instanceof Error) throw watch;
      if (watch === undefined) throw new S3ResponseError('NoSuchKey', 'The specified key does not exist.', 404);
      return watch;
    },
    async headObject({ key }) {
      if (down) throw refused();
      return { metadata: stored.get(key) ?? {} };
    },
    async putObject({ key, body, metadata = {}, ifNoneMatch }) {
      const isMarker = key.startsWith('jobs/');
      if (!isMarker) attempts++;
      if (down) throw refused();
      if (ifNoneMatch === '*' && stored.has(key)) throw preconditionFailed();
      stored.set(key, metadata);
      if (isMarker) markers.push({ key, marker: parseJobMarker(String(body)) });
      else objects.push({ key, metadata, frames: decodeFrames(gunzipSync(body).toString('utf8')) });
      if (!isMarker && loseAnswer) {
        loseAnswer = false;
        throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
      }
    },
    async listKeys() {
      if (down) throw refused();
      return [];
    },
    destroy() {},
  };
  return {
    client,
    objects,
    markers,
    occupy: (key, metadata = {}) => void stored.set(key, metadata),
    attempts: () => attempts,
    setDown: (d) => void (down = d),
    loseNextAnswer: () => void (loseAnswer = true),
    setWatch: (answer) => void (watch = answer),
    watchReads: () => watchReads,
  };
}
