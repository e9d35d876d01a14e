/**
 * An S3 event notification for chunks that are already in the bucket, as the bucket itself sends
 * it (one `ObjectCreated:Put` record per key, keys URL-encoded with `+` for a space): what the
 * indexer reads from its queue, so it indexes them again. Ids are deterministic, so lines
 * already indexed are not indexed twice.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
 */
export function chunkAnnouncement(
  bucket: string,
  objects: ReadonlyArray<{ key: string; size?: number | undefined; eventTime?: string | undefined }>,
  now: Date,
): string {
  return JSON.stringify({
    Records: objects.map((o) => ({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      eventName: 'ObjectCreated:Put',
      eventTime: o.eventTime ?? now.toISOString(),
      s3: { bucket: { name: bucket }, object: { key: encodeURIComponent(o.key).replace(/%20/g, '+'), ...(o.size !== undefined ? { size: o.size } : {}) } },
    })),
  });
}
