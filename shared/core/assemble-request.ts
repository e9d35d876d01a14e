import { z } from 'zod';
import { isValidJobId } from './chunk-key.js';
import { MalformedMessageError } from './errors.js';
import { parseJobMarkerKey } from './job-marker.js';
import { parseChunkNotification } from './s3-notification.js';

/**
 * What the assembler's queue carries (docs/downloads.md): S3 notifications for job markers, and
 * messages the pipeline sends itself — an on-demand (partial) assembly from the signer, a delayed
 * look for late chunks, or the continuation of an assembly a previous invocation had to stop.
 */
const Position = z.object({ seq: z.number().int().min(0), index: z.number().int().min(0), nextLine: z.number().int().min(0).optional(), time: z.number() });
const ContinuationSchema = z.object({
  upload: z.object({ uploadId: z.string().min(1), parts: z.array(z.object({ PartNumber: z.number().int().min(1), ETag: z.string() })).min(1) }),
  cursor: z.record(z.string(), Position.nullable()),
  lines: z.number().int().min(0),
  gaps: z.number().int().min(0),
  owner: z.string().optional(),
  team: z.string().optional(),
  invocations: z.number().int().min(1),
});
const RequestSchema = z.object({
  jobId: z.string().refine(isValidJobId, 'invalid job id'),
  /** Assemble what exists even while the job runs. */
  partial: z.boolean().optional(),
  /** A delayed look for late chunks after an assembly with gaps (1, 2, …). */
  recheck: z.number().int().min(1).optional(),
  continuation: ContinuationSchema.optional(),
});
export type AssembleRequest = z.infer<typeof RequestSchema>;
export type Continuation = z.infer<typeof ContinuationSchema>;

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
