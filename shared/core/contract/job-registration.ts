import { JobRegistrationError } from '../errors.js';
import * as z from '../zod.js';
import { isValidJobId } from './chunk-key.js';

/**
 * The trusted record of who owns a job (docs/chunk-contract.md, "Job registration"): written once,
 * before the job starts, by the platform's launcher — a trusted service, never the job — at
 * `registry/v1/<jobId>.json`, a prefix producers cannot write. The signer, the logs API and the
 * assembler decide access from this record alone; markers and chunk metadata carry status and
 * counts, never authority.
 */
export const REGISTRY_PREFIX = 'registry/';
const VERSION = 'v1';

/** A user or team name as the identity provider's tokens carry it. */
const Principal = z.string().check(z.minLength(1), z.maxLength(256), z.regex(/^[^\u0000-\u001f\u007f]+$/, 'no control characters'));

const JobRegistrationSchema = z.object({
  version: z.literal(1),
  jobId: z.string().check(z.refine(isValidJobId, 'invalid job id')),
  owner: Principal,
  team: z.optional(Principal),
  createdAt: z.iso.datetime({ offset: true }),
  /** Whatever the UI shows about the job (name, project…): at most 16 short string labels. */
  labels: z.optional(
    z
      .record(z.string().check(z.regex(/^[a-z][a-z0-9_.-]{0,63}$/)), z.string().check(z.maxLength(256)))
      .check(z.refine((l) => Object.keys(l).length <= 16, 'at most 16 labels')),
  ),
});
export type JobRegistration = z.infer<typeof JobRegistrationSchema>;

export function registrationKey(jobId: string, prefix = REGISTRY_PREFIX): string {
  if (!isValidJobId(jobId)) throw new JobRegistrationError(`Invalid job id ${JSON.stringify(jobId)}`);
  return `${prefix}${VERSION}/${jobId}.json`;
}

/** Parses a registration; it must name the job its key names. */
export function parseJobRegistration(text: string, jobId: string): JobRegistration {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new JobRegistrationError('Job registration is not JSON');
  }
  const parsed = JobRegistrationSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new JobRegistrationError(`Invalid job registration: ${problems.join('; ')}`, { details: { problems } });
  }
  if (parsed.data.jobId !== jobId) throw new JobRegistrationError(`Job registration names ${parsed.data.jobId}, its key ${jobId}`);
  return parsed.data;
}

/** A registration as the launcher writes it (validated the same way readers validate it). */
export function newJobRegistration(o: {
  jobId: string;
  owner: string;
  team?: string | undefined;
  labels?: Record<string, string>;
  now: Date;
}): JobRegistration {
  const registration: JobRegistration = { version: 1, jobId: o.jobId, owner: o.owner, createdAt: o.now.toISOString() };
  if (o.team !== undefined) registration.team = o.team;
  if (o.labels !== undefined) registration.labels = o.labels;
  return parseJobRegistration(JSON.stringify(registration), o.jobId);
}
