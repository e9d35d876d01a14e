/**
 * The download file of a job as a view of its printed lines (test/support/invariant.ts): waits for
 * the assembler to write it complete, then gives its lines without the `<time> <stream> ` prefix.
 */
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { gunzipSync } from 'node:zlib';
import { downloadKey } from '../../shared/core/download/index.js';
import { eventually } from './eventually.js';
import type { LinesView } from './invariant.js';
import type { LocalStack } from './stack.js';

export function downloadLinesView(stack: Pick<LocalStack, 's3' | 'bucket'>, jobId: string, timeoutMs = 60_000): LinesView {
  const key = downloadKey(jobId);
  return {
    name: 'download file',
    async lines() {
      await eventually(() => stack.s3.send(new HeadObjectCommand({ Bucket: stack.bucket, Key: key })), (h) => h.Metadata?.['status'] === 'complete', `the download file of ${jobId}`, timeoutMs);
      const out = await stack.s3.send(new GetObjectCommand({ Bucket: stack.bucket, Key: key }));
      const text = gunzipSync(Buffer.from(await out.Body!.transformToByteArray())).toString('utf8');
      return text.split('\n').slice(0, -1).map((line) => line.replace(/^\S+ (stdout|stderr) /, ''));
    },
  };
}
