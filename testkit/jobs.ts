import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { jobMarkerKey, type JobMarker, type JobRegistration } from '../shared/core/contract/index.js';
import { registerJob } from '../shared/launcher/index.js';
import { sdkObjectClient } from '../shared/adapters/s3/sdk-object-client.js';

/** Who the test jobs belong to (the local issuer's tokens for `alice`, team `vision`, may read them). */
export const TEST_OWNER = { owner: 'alice', team: 'vision' } as const;

/**
 * Registers a job on the local stack as the platform's launcher would before starting it: without
 * a registration nobody may read a job and no download file is built (docs/security.md).
 *
 * @example
 * const jobId = await registerTestJob(stack.s3, stack.bucket, `asm-${randomUUID().slice(0, 8)}`);
 */
export async function registerTestJob(s3: S3Client, bucket: string, jobId: string, who: { owner: string; team?: string } = TEST_OWNER): Promise<string> {
  await registerJob({ s3: sdkObjectClient(s3), bucket, jobId, owner: who.owner, team: who.team });
  return jobId;
}

export type { JobRegistration };

/**
 * Writes one of a source's job markers as a shipper does: `running` when it starts, `final` once
 * its last chunk is in S3. Unless given: source `main`, started a minute ago; a final one ended now
 * with exit code 0. Returns the marker written.
 *
 * @example
 * await putJobMarker(stack.s3, stack.bucket, { jobId, status: 'final', lastSeq: 3, lineCount: 1200 });
 */
export async function putJobMarker(s3: S3Client, bucket: string, marker: Partial<JobMarker> & Pick<JobMarker, 'jobId' | 'status'>): Promise<JobMarker> {
  const now = Date.now();
  const ended = marker.status === 'final' ? { endedAt: new Date(now).toISOString(), exitCode: 0 } : {};
  const full: JobMarker = { version: 1, source: 'main', startedAt: new Date(now - 60_000).toISOString(), ...ended, ...marker };
  const key = jobMarkerKey(full.jobId, full.source, full.status);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(full), ContentType: 'application/json' }));
  return full;
}

/** Where a shipper under test writes: the job, the bucket, its own spool. */
export interface ShipperTarget {
  jobId: string;
  bucket: string;
  spoolDir: string;
}

/**
 * A shipper's command line up to its own flags — `run|pipe|follow --job-id … --bucket …
 * --spool-dir …` then `flags` — the same for the Node CLI (`node joblogs.mjs …`) and the Python
 * client (`python -m joblogs …`), which take the same flags.
 *
 * @example
 * spawn(process.execPath, [bin, ...shipperArgs('run', { jobId, bucket: stack.bucket, spoolDir }, ['--flush-interval', '150']), '--', ...job]);
 */
export function shipperArgs(command: 'run' | 'pipe' | 'follow', target: ShipperTarget, flags: readonly string[] = []): string[] {
  return [command, '--job-id', target.jobId, '--bucket', target.bucket, '--spool-dir', target.spoolDir, ...flags];
}
