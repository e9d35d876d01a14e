import * as z from '../zod.js';
import { isValidJobId } from '../contract/chunk-key.js';
import { MalformedMessageError } from '../errors.js';
import { parseJobMarkerKey } from '../contract/job-marker.js';
import { parseChunkNotification } from '../ingest/s3-notification.js';

/**
 * What the assembler's queue carries (docs/downloads.md): S3 notifications for job markers, and
 * messages the pipeline sends itself — an on-demand (partial) assembly from the signer, a delayed
 * look for late chunks, or the continuation of an assembly a previous invocation had to stop.
 */
const count = (min: number) => z.int().check(z.minimum(min));
const Position = z.object({ seq: count(0), index: count(0), nextLine: z.optional(count(0)), time: z.number() });
const ContinuationSchema = z.object({
  upload: z.object({
    uploadId: z.string().check(z.minLength(1)),
    parts: z.array(z.object({ PartNumber: count(1), ETag: z.string() })).check(z.minLength(1)),
  }),
  cursor: z.record(z.string(), z.nullable(Position)),
  lines: count(0),
  gaps: count(0),
  invocations: count(1),
});
const ArchiveContinuationSchema = z.object({ uploadId: z.string().check(z.minLength(1)), invocation: count(2) });
const RequestSchema = z
  .object({
    jobId: z.string().check(z.refine(isValidJobId, 'invalid job id')),
    /** Assemble what exists even while the job runs. */
    partial: z.optional(z.boolean()),
    /** A delayed look for late chunks after an assembly with gaps (1, 2, …). */
    recheck: z.optional(count(1)),
    continuation: z.optional(ContinuationSchema),
    /** Build the job's archive (docs/archive.md), not its download file. */
    archive: z.optional(z.boolean()),
    /** Go on with an archive build that stopped after a part: its upload, and which invocation this is. */
    archiveContinuation: z.optional(ArchiveContinuationSchema),
    /** Build the archive only if the job has none and no build of it is under way (the logs API's request for an aged-out job). */
    ifMissing: z.optional(z.boolean()),
  })
  .check(z.refine((r) => !r.archiveContinuation || r.archive === true, { message: 'archiveContinuation needs archive: true', path: ['archiveContinuation'] }));
export type AssembleRequest = z.infer<typeof RequestSchema>;
export type Continuation = z.infer<typeof ContinuationSchema>;
export type ArchiveContinuation = z.infer<typeof ArchiveContinuationSchema>;

export type AssembleMessage = { kind: 'test' } | { kind: 'requests'; requests: AssembleRequest[] };

/** Reads one message of the assembler queue; throws {@link MalformedMessageError} (or a marker-key error) for anything else. */
export function parseAssembleMessage(body: string, jobPrefix = 'jobs/'): AssembleMessage {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (cause) {
    throw new MalformedMessageError('Assembler message body is not JSON', { cause, details: { body: body.slice(0, 512) } });
  }
  if (value && typeof value === 'object' && ('Records' in value || 'Event' in value || 'Type' in value)) {
    const notification = parseChunkNotification(body);
    if (notification.kind === 'test') return { kind: 'test' };
    return { kind: 'requests', requests: notification.objects.map((o) => ({ jobId: parseJobMarkerKey(o.key, jobPrefix).jobId })) };
  }
  const parsed = RequestSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new MalformedMessageError(`Invalid assembler request: ${problems.join('; ')}`, { details: { problems } });
  }
  return { kind: 'requests', requests: [parsed.data] };
}
