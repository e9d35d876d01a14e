import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { S3ObjectClient } from './object-client.js';

/**
 * The producer's S3 calls through the AWS SDK's `S3Client`: for library users who have one anyway
 * (a service's pino destination), tests and scripts. The `joblogs` CLI uses `SigV4ObjectClient`.
 *
 * @example
 * const shipper = await Shipper.open({ jobId, bucket, spoolDir, s3: sdkObjectClient(new S3Client({})) });
 */
export function sdkObjectClient(client: S3Client): S3ObjectClient {
  return {
    async putObject(r, o) {
      await client.send(
        new PutObjectCommand({
          Bucket: r.bucket,
          Key: r.key,
          Body: r.body,
          ContentType: r.contentType,
          Metadata: r.metadata,
          ...(r.ifNoneMatch ? { IfNoneMatch: r.ifNoneMatch } : {}),
        }),
        { abortSignal: o?.signal },
      );
    },
    async headObject(r, o) {
      const out = await client.send(new HeadObjectCommand({ Bucket: r.bucket, Key: r.key }), { abortSignal: o?.signal });
      return { metadata: out.Metadata ?? {} };
    },
    async getObjectText(r, o) {
      const out = await client.send(new GetObjectCommand({ Bucket: r.bucket, Key: r.key }), { abortSignal: o?.signal });
      return (await out.Body?.transformToString('utf8')) ?? '';
    },
    async listKeys(r, o) {
      const out = await client.send(new ListObjectsV2Command({ Bucket: r.bucket, Prefix: r.prefix, MaxKeys: r.maxKeys }), { abortSignal: o?.signal });
      return (out.Contents ?? []).flatMap((c) => (c.Key ? [c.Key] : []));
    },
    destroy: () => client.destroy(),
  };
}
