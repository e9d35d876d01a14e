import { isValidJobId } from '../contract/chunk-key.js';
import { JobMarkerError } from '../errors.js';

/**
 * The per-job download file (docs/downloads.md): one gzip object of human-readable lines at
 * `downloads/<jobId>.log.gz`, built by the assembler, handed out by the signer.
 */
export const DOWNLOAD_PREFIX = 'downloads/';

export const DownloadStatus = { complete: 'complete', partial: 'partial' } as const;
export type DownloadStatus = (typeof DownloadStatus)[keyof typeof DownloadStatus];

/** User metadata (`x-amz-meta-*`) on a download object. */
export interface DownloadMetadata {
  owner: string | undefined;
  team: string | undefined;
  /** Lines written (gap markers not counted). */
  lineCount: number;
  /** Gap markers in the file (missing or unreadable chunks). */
  gaps: number;
  /** Chunk seqs that were not in the bucket when the file was assembled. */
  missingChunks: number;
  status: DownloadStatus;
  sources: number;
  chunks: number;
}

export function downloadFileName(jobId: string): string {
  return `${jobId}.log.gz`;
}

export function downloadKey(jobId: string, prefix = DOWNLOAD_PREFIX): string {
  if (!isValidJobId(jobId)) throw new JobMarkerError(`Invalid job id ${JSON.stringify(jobId)}`);
  return `${prefix}${downloadFileName(jobId)}`;
}

export function toS3Metadata(m: DownloadMetadata): Record<string, string> {
  const out: Record<string, string> = {
    'line-count': String(m.lineCount),
    gaps: String(m.gaps),
    'missing-chunks': String(m.missingChunks),
    status: m.status,
    sources: String(m.sources),
    chunks: String(m.chunks),
  };
  if (m.owner !== undefined) out['owner'] = m.owner;
  if (m.team !== undefined) out['team'] = m.team;
  return out;
}

export function fromS3Metadata(raw: Record<string, string | undefined>): DownloadMetadata {
  const int = (v: string | undefined) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : 0);
  return {
    owner: raw['owner'],
    team: raw['team'],
    lineCount: int(raw['line-count']),
    gaps: int(raw['gaps']),
    missingChunks: int(raw['missing-chunks']),
    status: raw['status'] === DownloadStatus.complete ? DownloadStatus.complete : DownloadStatus.partial,
    sources: int(raw['sources']),
    chunks: int(raw['chunks']),
  };
}
