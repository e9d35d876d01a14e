import type { S3Client } from '@aws-sdk/client-s3';
import { gunzipSync } from 'node:zlib';
import { decodeFrames, parseJobMarker, type Frame, type JobMarker } from '../../../../shared/core/contract/index.js';

export interface StoredChunk {
  key: string;
  metadata: Record<string, string>;
  frames: Frame[];
}

/**
 * An in-memory S3 that accepts PutObject — chunks (gzip, framed) and job markers (JSON) — and can
 * be switched to fail like an unreachable endpoint. `attempts` counts chunk uploads only.
 */
export function fakeS3(): {
  client: S3Client;
  objects: StoredChunk[];
  markers: Array<{ key: string; marker: JobMarker }>;
  attempts: () => number;
  setDown: (down: boolean) => void;
} {
  const objects: StoredChunk[] = [];
  const markers: Array<{ key: string; marker: JobMarker }> = [];
  let down = false;
  let attempts = 0;
  const client = {
    async send(command: { input: { Key: string; Body: Buffer | string; Metadata: Record<string, string> } }) {
      const { Key, Body, Metadata } = command.input;
      const isMarker = Key.startsWith('jobs/');
      if (!isMarker) attempts++;
      if (down) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
      if (isMarker) markers.push({ key: Key, marker: parseJobMarker(String(Body)) });
      else objects.push({ key: Key, metadata: Metadata, frames: decodeFrames(gunzipSync(Body as Buffer).toString('utf8')) });
      return {};
    },
  } as unknown as S3Client;
  return { client, objects, markers, attempts: () => attempts, setDown: (d) => void (down = d) };
}
