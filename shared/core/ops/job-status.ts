import { JobStatus, type JobRegistration, type JobSummary } from '../contract/index.js';
import type { DownloadMetadata } from '../download/index.js';

/** What the indexer's chunk records (`joblogs-chunks-<stage>`) say about one source. */
export interface IndexedSource {
  source: string;
  /** Chunk seqs with a record: every line of them is searchable (or they were dead-lettered, see `failed`). */
  seqs: readonly number[];
  /** Line positions the recorded chunks hold (frames of framed chunks, empty lines included). */
  lines: number;
  documents: number;
  /** Recorded seqs whose chunk ended in a permanent failure (the lines before it are indexed). */
  failed: readonly number[];
}

/** A dead-letter report of the job, as listed. */
export interface JobDeadLetter {
  key: string;
  function: 'indexer' | 'assembler';
  code: string;
  reason: string;
  chunk?: string;
}

/** Messages of the job found in a dead-letter queue, of how many looked at. */
export interface DlqFinding {
  queue: 'chunks' | 'assemble';
  messages: number;
  scanned: number;
  /** The queue's approximate depth when looked at: `scanned` < `depth` means not every message was seen. */
  depth: number;
}

export interface JobStatusInput {
  jobId: string;
  registration: JobRegistration | undefined;
  job: JobSummary | undefined;
  /** Chunk seqs in S3, per source. */
  listed: ReadonlyMap<string, readonly number[]>;
  indexed: readonly IndexedSource[];
  /** Documents of the job in Elasticsearch (every data stream of the stage). */
  documents: number;
  download: { metadata: DownloadMetadata; lastModified?: Date | undefined } | undefined;
  deadLetters: readonly JobDeadLetter[];
  dlq: readonly DlqFinding[];
}

export interface SourceStatus {
  source: string;
  status: 'running' | 'final' | 'no marker';
  chunks: { inS3: number; lastSeq: number; missing: number[]; indexed: number; notIndexed: number[] };
  lines: { shipped: number | null; indexed: number };
  droppedLines: number;
  redactions: number;
  exitCode: number | null;
}

export interface JobStatusReport {
  jobId: string;
  found: boolean;
  registration: { owner: string; team: string | null } | null;
  status: 'running' | 'complete' | 'unknown';
  sources: SourceStatus[];
  totals: { linesShipped: number | null; linesIndexed: number; documents: number; linesInDownload: number | null };
  download: { status: string; lineCount: number; gaps: number; missingChunks: number; lastModified: string | null } | null;
  deadLetters: JobDeadLetter[];
  dlq: DlqFinding[];
  /** What needs an operator's attention, one sentence each; empty when the job's logs are all where they belong. */
  problems: string[];
}

/** Seqs listed in a problem sentence before "…". */
const SHOWN = 10;

/**
 * "Where are my logs?": what the registration, the markers, S3, the indexer's chunk records,
 * Elasticsearch, the download file and the dead-letter paths say about one job, side by side, with
 * every discrepancy named. Lines are compared as the shipper counts them (frames: a line sent in
 * parts counts once per part); the download file joins parts back, so its count may be lower.
 */
export function jobStatus(input: JobStatusInput): JobStatusReport {
  const sources = sourceNames(input).map((name) => sourceStatus(name, input));
  const found = input.registration !== undefined || input.job !== undefined || input.listed.size > 0 || input.documents > 0;
  const shipped = sources.every((s) => s.lines.shipped !== null) && sources.length > 0 ? sources.reduce((n, s) => n + s.lines.shipped!, 0) : null;
  const report: JobStatusReport = {
    jobId: input.jobId,
    found,
    registration: input.registration ? { owner: input.registration.owner, team: input.registration.team ?? null } : null,
    status: !input.job ? 'unknown' : input.job.complete ? 'complete' : 'running',
    sources,
    totals: {
      linesShipped: shipped,
      linesIndexed: sources.reduce((n, s) => n + s.lines.indexed, 0),
      documents: input.documents,
      linesInDownload: input.download ? input.download.metadata.lineCount : null,
    },
    download: input.download
      ? {
          status: input.download.metadata.status,
          lineCount: input.download.metadata.lineCount,
          gaps: input.download.metadata.gaps,
          missingChunks: input.download.metadata.missingChunks,
          lastModified: input.download.lastModified?.toISOString() ?? null,
        }
      : null,
    deadLetters: [...input.deadLetters],
    dlq: [...input.dlq],
    problems: [],
  };
  report.problems = found ? problemsOf(report, input) : [`No job ${input.jobId}: no registration, no markers, no chunks, no documents`];
  return report;
}

function sourceNames(input: JobStatusInput): string[] {
  return [...new Set([...(input.job?.sources.map((m) => m.source) ?? []), ...input.listed.keys(), ...input.indexed.map((i) => i.source)])].sort();
}

function sourceStatus(source: string, input: JobStatusInput): SourceStatus {
  const marker = input.job?.sources.find((m) => m.source === source);
  const final = marker?.status === JobStatus.final;
  const present = [...new Set(input.listed.get(source) ?? [])].sort((a, b) => a - b);
  const lastSeq = final && marker.lastSeq !== undefined ? marker.lastSeq : (present.at(-1) ?? -1);
  const have = new Set(present);
  const missing: number[] = [];
  for (let seq = 0; seq <= lastSeq; seq++) if (!have.has(seq)) missing.push(seq);
  const indexed = input.indexed.find((i) => i.source === source);
  const recorded = new Set(indexed?.seqs ?? []);
  return {
    source,
    status: !marker ? 'no marker' : final ? 'final' : 'running',
    chunks: { inS3: present.length, lastSeq, missing, indexed: recorded.size, notIndexed: present.filter((s) => !recorded.has(s)) },
    lines: { shipped: final ? (marker.lineCount ?? null) : null, indexed: indexed?.lines ?? 0 },
    droppedLines: marker?.droppedLines ?? 0,
    redactions: marker?.redactions ?? 0,
    exitCode: marker?.exitCode ?? null,
  };
}

const seqList = (seqs: readonly number[]) => `${seqs.slice(0, SHOWN).join(', ')}${seqs.length > SHOWN ? `, … (${seqs.length} in all)` : ''}`;

function problemsOf(report: JobStatusReport, input: JobStatusInput): string[] {
  const problems: string[] = [];
  if (!report.registration) problems.push('No launcher registered this job: nobody may read its logs and no download file is built');
  if (!input.job) problems.push('No source has written a job marker');
  for (const s of report.sources) {
    const where = `source ${s.source}`;
    if (s.chunks.missing.length > 0) problems.push(`${where}: chunk(s) ${seqList(s.chunks.missing)} not in S3 (never uploaded, or expired)`);
    if (s.chunks.notIndexed.length > 0)
      problems.push(`${where}: chunk(s) ${seqList(s.chunks.notIndexed)} in S3 but not indexed (waiting in the chunk queue, in its DLQ, or dead-lettered)`);
    const failed = input.indexed.find((i) => i.source === s.source)?.failed ?? [];
    if (failed.length > 0) problems.push(`${where}: chunk(s) ${seqList([...failed])} indexed only up to a permanent failure (see the dead-letter reports)`);
    if (
      s.status === 'final' &&
      s.chunks.missing.length === 0 &&
      s.chunks.notIndexed.length === 0 &&
      failed.length === 0 &&
      s.lines.shipped !== null &&
      s.lines.shipped !== s.lines.indexed
    ) {
      problems.push(`${where}: the shipper counted ${s.lines.shipped} line(s), the indexer recorded ${s.lines.indexed}`);
    }
    if (s.droppedLines > 0) problems.push(`${where}: the shipper dropped ${s.droppedLines} line(s) (its spool was full)`);
  }
  if (report.status === 'complete' && report.registration && !report.download)
    problems.push('Every source is final but there is no download file (assembling, waiting for late chunks, or the assembly failed)');
  if (report.download && report.download.gaps > 0)
    problems.push(`The download file has ${report.download.gaps} gap marker(s) (${report.download.missingChunks} chunk(s) missing when it was assembled)`);
  if (report.status === 'complete' && report.download?.status === 'partial')
    problems.push('The download file is a partial one although every source is final (the complete one is being assembled)');
  if (report.deadLetters.length > 0)
    problems.push(`${report.deadLetters.length} dead-letter report(s): ${[...new Set(report.deadLetters.map((d) => `${d.function} ${d.code}`))].join(', ')}`);
  for (const d of report.dlq) if (d.messages > 0) problems.push(`${d.messages} message(s) of this job in the ${d.queue} DLQ`);
  for (const d of report.dlq) if (d.scanned < d.depth) problems.push(`The ${d.queue} DLQ holds ~${d.depth} message(s); only ${d.scanned} were looked at`);
  return problems;
}
