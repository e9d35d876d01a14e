import * as z from '../zod.js';
import { ArchiveIndexSchema, checkIndex, parseArchiveJson, type ArchiveIndex } from './archive-file.js';

/**
 * What an archive build that stopped at a part boundary leaves for the invocation that goes on
 * (docs/archive.md, "Building it"), in `downloads/<jobId>.archive.resume.json`: the multipart
 * upload of the records file, the index so far (every member written), each source's position
 * (the chunk being read and how many of its records were taken; null once done) and the chunk
 * records read so far (what the summary's progress is made of). The message that continues the
 * build names the upload, so a state another build wrote since is told apart.
 */
export const ARCHIVE_RESUME_VERSION = 1;

const count = z.int().check(z.minimum(0));
const ResumeSchema = z.object({
  version: z.literal(ARCHIVE_RESUME_VERSION),
  /** When it was written: a build that has not saved its state for a while is taken as dead. */
  savedAt: z.iso.datetime(),
  upload: z.object({
    uploadId: z.string().check(z.minLength(1)),
    parts: z.array(z.object({ PartNumber: z.int().check(z.minimum(1)), ETag: z.string() })).check(z.minLength(1)),
  }),
  index: ArchiveIndexSchema,
  lanes: z.record(z.string(), z.nullable(z.object({ seq: count, at: count }))),
  /** The fields of each chunk record read so far that the summary's progress needs. */
  chunks: z.array(z.object({ source: z.string(), chunk_seq: count, last_line: z.optional(z.int()), captured_to: z.optional(z.number()) })),
  invocations: z.int().check(z.minimum(1)),
});
export type ArchiveResume = Omit<z.infer<typeof ResumeSchema>, 'index'> & { index: ArchiveIndex };
export type ChunkProgressFields = ArchiveResume['chunks'][number];

/** Reads a resume state the assembler wrote; anything else is an {@link ArchiveUnreadableError} naming what is wrong. */
export function parseArchiveResume(text: string, jobId: string): ArchiveResume {
  const state = parseArchiveJson(ResumeSchema, text, `The archive build state of job ${jobId}`) as ArchiveResume;
  checkIndex(state.index, jobId);
  return state;
}
