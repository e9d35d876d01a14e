/**
 * Ships a job's lines through the real shipper library (framing, gzip, spool, conditional PUTs,
 * job markers) with chosen capture times, so a test or benchmark knows the exact printed order:
 * within a source as written, across sources by time, ties by source name.
 *
 * @example
 * await shipLines({ s3, bucket, jobId, spoolDir, source: 'rank-1', count: 80_000, text: (i) => `step ${i}`, time: (i) => T0 + i * 15 });
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { Shipper, type ShipperOptions, type ShipperSummary } from '../shared/shipper/index.js';
import { sdkObjectClient } from '../shared/adapters/s3/sdk-object-client.js';

export interface ShipLinesOptions {
  s3: S3Client;
  bucket: string;
  jobId: string;
  spoolDir: string;
  source?: string;
  count: number;
  /** Line `i`'s text (no newline). */
  text: (i: number) => string;
  /** Line `i`'s capture time (epoch ms); default now. */
  time?: (i: number) => number;
  stream?: (i: number) => 'stdout' | 'stderr';
  /** What ends line `i` as printed: `\n` (default), `\r\n`, or `\r` (a progress bar redrawing itself). */
  end?: (i: number) => '\n' | '\r\n' | '\r';
  /** The job's exit as the final marker records it; default 0. */
  exitCode?: number;
  /** Waits this long after every `pauseEvery` lines (a running job); default no pauses. */
  pauseMs?: number;
  pauseEvery?: number;
  /** Shipper settings (chunk size, flush interval, …). */
  shipper?: Partial<Omit<ShipperOptions, 'jobId' | 'bucket' | 'source' | 's3' | 'spoolDir'>>;
}

/** Writes `count` lines, waiting whenever the shipper asks writers to, and closes with the exit code. */
export async function shipLines(o: ShipLinesOptions): Promise<ShipperSummary> {
  const shipper = await Shipper.open({
    jobId: o.jobId,
    bucket: o.bucket,
    source: o.source ?? 'main',
    s3: sdkObjectClient(o.s3),
    spoolDir: o.spoolDir,
    closeTimeoutMs: 120_000,
    ...o.shipper,
  });
  for (let i = 0; i < o.count; i++) {
    shipper.write(o.stream?.(i) ?? 'stdout', Buffer.from(`${o.text(i)}${o.end?.(i) ?? '\n'}`), o.time?.(i) ?? Date.now());
    if (shipper.blocked) await shipper.waitForRoom();
    if (o.pauseMs && o.pauseEvery && (i + 1) % o.pauseEvery === 0) await new Promise((r) => setTimeout(r, o.pauseMs));
  }
  return shipper.close({ exitCode: o.exitCode ?? 0 });
}
