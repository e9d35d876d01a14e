import { JobStatus, type JobSummary } from '../contract/job-marker.js';

/** Which chunks of one source the download file is built from, and which are missing. */
export interface SourcePlan {
  source: string;
  /** Chunk seqs present in the bucket, ascending. */
  present: number[];
  /** The last seq expected: the final chunk's (from the marker), else the highest present. */
  lastSeq: number;
  final: boolean;
  /** Lines the source printed, from its final marker. */
  lineCount: number | undefined;
  /** Expected seqs 0…lastSeq that are not in the bucket. */
  missing: number[];
}

export interface AssemblyPlan {
  jobId: string;
  sources: SourcePlan[];
  missingChunks: number;
  presentChunks: number;
}

/** Plans a download from the job's markers and the chunk keys listed per source. */
export function planAssembly(job: JobSummary, listed: ReadonlyMap<string, readonly number[]>): AssemblyPlan {
  const names = new Set<string>([...job.sources.map((m) => m.source), ...listed.keys()]);
  const sources: SourcePlan[] = [];
  for (const source of [...names].sort()) {
    const present = [...new Set(listed.get(source) ?? [])].sort((a, b) => a - b);
    const marker = job.sources.find((m) => m.source === source);
    const final = marker?.status === JobStatus.final && marker.lastSeq !== undefined;
    const lastSeq = final ? marker.lastSeq! : (present.at(-1) ?? -1);
    const have = new Set(present);
    const missing: number[] = [];
    for (let seq = 0; seq <= lastSeq; seq++) if (!have.has(seq)) missing.push(seq);
    // Chunks numbered past the final one are not part of the job's output.
    sources.push({ source, present: present.filter((s) => s <= lastSeq), lastSeq, final, lineCount: final ? marker.lineCount : undefined, missing });
  }
  return {
    jobId: job.jobId,
    sources,
    missingChunks: sources.reduce((n, s) => n + s.missing.length, 0),
    presentChunks: sources.reduce((n, s) => n + s.present.length, 0),
  };
}

/**
 * When chunks are missing from a finished job: wait for late ones until `endedAt + waitMs`, then
 * assemble with gap markers. Returns the milliseconds still to wait (0 = go ahead).
 */
export function gapWaitRemaining(plan: AssemblyPlan, job: JobSummary, waitMs: number, now: number): number {
  if (plan.missingChunks === 0 || !job.complete || job.endedAt === undefined) return 0;
  return Math.max(0, Date.parse(job.endedAt) + waitMs - now);
}
