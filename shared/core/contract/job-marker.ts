import * as z from '../zod.js';
import { isValidJobId, isValidSource } from './chunk-key.js';
import { JobMarkerError } from '../errors.js';

/**
 * The job record a producer keeps beside its chunks (docs/chunk-contract.md, "Job markers"):
 * one small JSON object per source at `jobs/v1/<jobId>/<source>.json`, written when the source
 * starts (`running`) and rewritten after its final chunk is uploaded (`final`). It is what the
 * download assembler waits for and what the signer authorises against (owner/team).
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
  owner: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
  team: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
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
});
export type JobMarker = z.infer<typeof JobMarkerSchema>;

export function jobMarkerKey(jobId: string, source: string, prefix = JOB_MARKER_PREFIX): string {
  return `${jobMarkerPrefix(jobId, prefix)}${source}${SUFFIX}`;
}

/** The prefix under which every marker of `jobId` lives (for listing). */
export function jobMarkerPrefix(jobId: string, prefix = JOB_MARKER_PREFIX): string {
  if (!isValidJobId(jobId)) throw new JobMarkerError(`Invalid job id ${JSON.stringify(jobId)}`);
  return `${prefix}${VERSION}/${jobId}/`;
}

/** `{ jobId, source }` of a marker key; throws {@link JobMarkerError} for anything else. */
export function parseJobMarkerKey(key: string, prefix = JOB_MARKER_PREFIX): { jobId: string; source: string } {
  const fail = (why: string): never => {
    throw new JobMarkerError(`Object key ${JSON.stringify(key)} is not a job marker: ${why}`, {
      details: { key, expected: `${prefix}${VERSION}/<jobId>/<source>${SUFFIX}` },
    });
  };
  if (!key.startsWith(`${prefix}${VERSION}/`)) fail(`it does not start with ${prefix}${VERSION}/`);
  if (!key.endsWith(SUFFIX)) fail(`it does not end with ${SUFFIX}`);
  const parts = key.slice(prefix.length + VERSION.length + 1, key.length - SUFFIX.length).split('/');
  if (parts.length !== 2) fail('expected <jobId>/<source>');
  const [jobId, source] = parts as [string, string];
  if (!isValidJobId(jobId)) fail(`invalid job id ${JSON.stringify(jobId)}`);
  if (!isValidSource(source)) fail(`invalid source ${JSON.stringify(source)}`);
  return { jobId, source };
}

/** Parses a marker body; it must name the job and source its key names. */
export function parseJobMarker(text: string, expected?: { jobId: string; source: string }): JobMarker {
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
  if (expected && (marker.jobId !== expected.jobId || marker.source !== expected.source)) {
    throw new JobMarkerError(`Job marker names ${marker.jobId}/${marker.source}, its key ${expected.jobId}/${expected.source}`);
  }
  if (marker.status === JobStatus.final && (marker.lastSeq === undefined || marker.lineCount === undefined)) {
    throw new JobMarkerError('A final job marker needs lastSeq and lineCount');
  }
  return marker;
}

/** What all the markers of a job say together. */
export interface JobSummary {
  jobId: string;
  /** Every source has written its final marker. */
  complete: boolean;
  sources: JobMarker[];
  /** The job's owner and team; `conflict` when sources disagree (then nobody but admins may read it). */
  owner: string | undefined;
  team: string | undefined;
  conflict: boolean;
  traceparent: string | undefined;
  startedAt: string;
  endedAt: string | undefined;
}

export function summariseJob(jobId: string, markers: readonly JobMarker[]): JobSummary | undefined {
  if (markers.length === 0) return undefined;
  const sources = [...markers].sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
  const owners = new Set(sources.map((m) => m.owner ?? ''));
  const teams = new Set(sources.map((m) => m.team ?? ''));
  const complete = sources.every((m) => m.status === JobStatus.final);
  const startedAt = sources.map((m) => m.startedAt).sort()[0]!;
  const ends = sources.map((m) => m.endedAt).filter((e): e is string => e !== undefined).sort();
  return {
    jobId,
    complete,
    sources,
    owner: sources[0]!.owner,
    team: sources[0]!.team,
    conflict: owners.size > 1 || teams.size > 1,
    traceparent: sources.find((m) => m.traceparent)?.traceparent,
    startedAt,
    endedAt: complete ? ends.at(-1) : undefined,
  };
}
