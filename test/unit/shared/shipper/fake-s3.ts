import type { S3Client } from '@aws-sdk/client-s3';
import { gunzipSync } from 'node:zlib';
import { decodeFrames, parseJobMarker, type Frame, type JobMarker } from '../../../../shared/core/contract/index.js';

export interface StoredChunk {
  key: string;
  metadata: Record<string, string>;
  frames: Frame[];
}

interface Command {
  constructor: { name: string };
  input: { Key: string; Body?: Buffer | string; Metadata?: Record<string, string>; IfNoneMatch?: string };
}

const preconditionFailed = () =>
  Object.assign(new Error('At least one of the pre-conditions you specified did not hold'), { name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });

/**
 * An in-memory S3 for the shipper: PutObject of chunks (gzip, framed) and job markers (JSON) —
 * honouring `If-None-Match: *` with a 412 as S3 does — and HeadObject; it can be switched to fail
 * like an unreachable endpoint. `attempts` counts chunk uploads only.
 */
export function fakeS3(): {
  client: S3Client;
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
  const client = {
    async send(command: Command) {
      const { Key, Body, Metadata = {}, IfNoneMatch } = command.input;
      if (command.constructor.name === 'GetObjectCommand') {
        watchReads++;
        if (down) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
        if (watch instanceof Error) throw watch;
        if (watch === undefined) throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
        const body = watch;
        return { Body: { transformToString: async () => body } };
      }
      const isMarker = Key.startsWith('jobs/');
      if (command.constructor.name === 'HeadObjectCommand') {
        if (down) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
        return { Metadata: stored.get(Key) ?? {} };
      }
      if (!isMarker) attempts++;
      if (down) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
      if (IfNoneMatch === '*' && stored.has(Key)) throw preconditionFailed();
      stored.set(Key, Metadata);
      if (isMarker) markers.push({ key: Key, marker: parseJobMarker(String(Body)) });
      else objects.push({ key: Key, metadata: Metadata, frames: decodeFrames(gunzipSync(Body as Buffer).toString('utf8')) });
      if (!isMarker && loseAnswer) {
        loseAnswer = false;
        throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
      }
      return {};
    },
  } as unknown as S3Client;
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
