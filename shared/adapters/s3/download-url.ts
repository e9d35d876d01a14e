import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

export interface SignedDownload {
  url: string;
  expiresAt: Date;
}

/** Short-lived GET links to download files. The URL is a bearer credential: callers must never log it. */
export interface DownloadUrlSigner {
  sign(key: string, o: { fileName: string; expiresInS: number; now: Date }): Promise<SignedDownload>;
}

export function s3DownloadUrlSigner(s3: S3Client, o: { bucket: string }): DownloadUrlSigner {
  return {
    async sign(key, { fileName, expiresInS, now }) {
      const command = new GetObjectCommand({
        Bucket: o.bucket,
        Key: key,
        // S3 answers with these headers for this URL only: the browser saves the file under its name.
        ResponseContentDisposition: `attachment; filename="${fileName}"`,
        ResponseContentType: 'application/gzip',
      });
      // Presigning is local (no request); the URL is also bounded by the role session's own expiry.
      const url = await getSignedUrl(s3, command, { expiresIn: expiresInS, signingDate: now });
      return { url, expiresAt: new Date(now.getTime() + expiresInS * 1000) };
    },
  };
}
