import type { S3Client } from '@aws-sdk/client-s3';
import { gunzipSync } from 'node:zlib';
import { decodeFrames, type Frame } from '../../../shared/core/index.js';

export interface StoredChunk {
  key: string;
  metadata: Record<string, string>;
  frames: Frame[];
}

/** An in-memory S3 that accepts PutObject, and can be switched to fail like an unreachable endpoint. */
export function fakeS3(): { client: S3Client; objects: StoredChunk[]; attempts: () => number; setDown: (down: boolean) => void } {
  const objects: StoredChunk[] = [];
  let down = false;
  let attempts = 0;
  const client = {
    async send(command: { input: { Key: string; Body: Buffer; Metadata: Record<string, string> } }) {
      attempts++;
      if (down) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
      const { Key, Body, Metadata } = command.input;
      objects.push({ key: Key, metadata: Metadata, frames: decodeFrames(gunzipSync(Body).toString('utf8')) });
      return {};
    },
  } as unknown as S3Client;
  return { client, objects, attempts: () => attempts, setDown: (d) => void (down = d) };
}
