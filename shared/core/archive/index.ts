export { ArchiveBuilder, ERROR_LEVELS } from './archive-builder.js';
export type { PendingMember } from './archive-builder.js';
export {
  ARCHIVE_VERSION,
  archiveKeys,
  ArchiveUnreadableError,
  MAX_ERROR_POSITIONS,
  parseArchiveIndex,
  parseMember,
  RECORDS_PER_MEMBER,
  TOTAL_HITS_BOUND,
} from './archive-file.js';
export type { ArchiveIndex, ArchiveMember, ArchiveRecord } from './archive-file.js';
export { ARCHIVE_RESUME_VERSION, parseArchiveResume } from './archive-resume.js';
export type { ArchiveResume, ChunkProgressFields } from './archive-resume.js';
export { ArchivePages, compareKeys, keyOf, matchesFilters } from './archive-reader.js';
export type { ArchiveOrder, MemberLoader, ScanRequest, ScanResult } from './archive-reader.js';
export { matchText, textQuery, tokens } from './text-match.js';
export type { TextQuery } from './text-match.js';
