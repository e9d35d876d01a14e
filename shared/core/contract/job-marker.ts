import * as z from '../zod.js';
import { isValidJobId, isValidSource } from './chunk-key.js';
import { JobMarkerError } from '../errors.js';

/**
 * The status a producer keeps beside its chunks (docs/chunk-contract.md, "Job markers"): per
 * source, `jobs/v1/<jobId>/<source>/running.json` when it starts and `…/final.json` once its
 * final chunk is in S3 — each written once (conditional PUT), never rewritten. It is what the
 * download assembler waits for. It carries status and counts, never authority: who may read a
 * job comes from its registration (job-registration.ts).
 */
export const JOB_MARKER_PREFIX = 'jobs/';
const VERSION = 'v1';
const SUFFIX = '.json';

export const JobStatus = { running: 'running', final: 'final' } as const;
export type JobStatus = (typeof JobStatus)[keyof typeof JobStatus];

const Iso = z.iso.datetime({ offset: true });
const JobMarkerSchema = z.object({
  version: z.literal(1),
  jobId: z.string().check(z.refine(isValidJobId, 'invalid job id')),
  source: z.string().check(z.refine(isValidSource, 'invalid source')),
  status: z.enum([JobStatus.running, JobStatus.final]),
  traceparent: z.optional(z.string().check(z.maxLength(256))),
  dataset: z.optional(z.string().check(z.maxLength(64))),
  producer: z.optional(z.string().check(z.maxLength(128))),
  startedAt: Iso,
  endedAt: z.optional(Iso),
  exitCode: z.optional(z.int()),
  signal: z.optional(z.string().check(z.maxLength(32))),
  /** Final only: lines the source printed (frames numbered 0 … lineCount-1). */
  lineCount: z.optional(z.int().check(z.minimum(0))),
  /** Final only: seq of the final chunk, so chunks 0 … lastSeq are expected. */
  lastSeq: z.optional(z.int().check(z.minimum(0))),
  droppedLines: z.optional(z.int().check(z.minimum(0))),
  /** Final only: secrets the producer replaced by `[REDACTED:<kind>]` before they left the container. */
  redactions: z.optional(z.int().check(z.minimum(0))),
});
export type JobMarker = z.infer<typeof JobMarkerSchema>;

export function jobMarkerKey(jobId: string, source: string, status: JobStatus, prefix = JOB_MARKER_PREFIX): string {
  if (!isValidSource(source)) throw new JobMarkerError(`Invalid source ${JSON.stringify(source)}`);
  return `${jobMarkerPrefix(jobId, prefix)}${source}/${status}${SUFFIX}`;
}

/** The prefix under which every marker of `jobId` lives (for listing). */
export function jobMarkerPrefix(jobId: string, prefix = JOB_MARKER_PREFIX): string {
  if (!isValidJobId(jobId)) throw new JobMarkerError(`Invalid job id ${JSON.stringify(jobId)}`);
  return `${prefix}${VERSION}/${jobId}/`;
}

export interface JobMarkerKey {
  jobId: string;
  source: string;
  status: JobStatus;
}

/** `{ jobId, source, status }` of a marker key; throws {@link JobMarkerError} for anything else. */
export function parseJobMarkerKey(key: string, prefix = JOB_MARKER_PREFIX): JobMarkerKey {
  const fail = (why: string): never => {
    throw new JobMarkerError(`Object key ${JSON.stringify(key)} is not a job marker: ${why}`, {
      details: { key, expected: `${prefix}${VERSION}/<jobId>/<source>/{running,final}${SUFFIX}` },
    });
  };
  if (!key.startsWith(`${prefix}${VERSION}/`)) fail(`it does not start with ${prefix}${VERSION}/`);
  if (!key.endsWith(SUFFIX)) fail(`it does not end with ${SUFFIX}`);
  const parts = key.slice(prefix.length + VERSION.length + 1, key.length - SUFFIX.length).split('/');
  if (parts.length !== 3) fail('expected <jobId>/<source>/<status>');
  const [jobId, source, status] = parts as [string, string, string];
  if (!isValidJobId(jobId)) fail(`invalid job id ${JSON.stringify(jobId)}`);
  if (!isValidSource(source)) fail(`invalid source ${JSON.stringify(source)}`);
  if (status !== JobStatus.running && status !== JobStatus.final) fail(`invalid status ${JSON.stringify(status)}`);
  return { jobId, source, status: status as JobStatus };
}

/** Parses a marker body; it must name the job, source and status its key names. */
export function parseJobMarker(text: string, expected?: JobMarkerKey): JobMarker {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new JobMarkerError('Job marker is not JSON', { cause });
  }
  const parsed = JobMarkerSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new JobMarkerError(`Invalid job marker: ${problems.join('; ')}`, { details: { problems } });
  }
  const marker = parsed.data;
  if (expected && (marker.jobId !== expected.jobId || marker.source !== expected.source || marker.status !== expected.status)) {
    throw new JobMarkerError(
      `Job marker names ${marker.jobId}/${marker.source}/${marker.status}, its key ${expected.jobId}/${expected.source}/${expected.status}`,
    );
  }
  if (marker.status === JobStatus.final && (marker.lastSeq === undefined || marker.lineCount === undefined)) {
    throw new JobMarkerError('A final job marker needs lastSeq and lineCount');
  }
  return marker;
}

/** What all the markers of a job say together: per source its latest marker (final over running). */
export interface JobSummary {
  jobId: string;
  /** Every source has written its final marker. */
  complete: boolean;
  sources: JobMarker[];
  traceparent: string | undefined;
  startedAt: string;
  endedAt: string | undefined;
}

export function summariseJob(jobId: string, markers: readonly JobMarker[]): JobSummary | undefined {
  const latest = new Map<string, JobMarker>();
  for (const m of markers) {
    const seen = latest.get(m.source);
    if (!seen || (seen.status === JobStatus.running && m.status === JobStatus.final)) latest.set(m.source, m);
  }
  if (latest.size === 0) return undefined;
  const sources = [...latest.values()].sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
  const complete = sources.every((m) => m.status === JobStatus.final);
  const startedAt = sources.map((m) => m.startedAt).sort()[0]!;
  const ends = sources
    .map((m) => m.endedAt)
    .filter((e): e is string => e !== undefined)
    .sort();
  return {
    jobId,
    complete,
    sources,
    traceparent: sources.find((m) => m.traceparent)?.traceparent,
    startedAt,
    endedAt: complete ? ends.at(-1) : undefined,
  };
}
