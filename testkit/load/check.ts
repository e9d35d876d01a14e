/**
 * The end of a load run: every job's printed lines against Elasticsearch (exactly once, by `_id`
 * and by content: testkit/invariant.ts, the fault scenarios' invariant) and, for a sample of
 * jobs, against the job's download file.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { jobDocuments, type EsEndpoint } from '../es.js';
import { describeVerdict, expectedDocuments, exactlyOnceVerdict, type PrintedChunk, type ViewLines } from '../invariant.js';
import { deletePrefix, readDownloadLines } from '../s3.js';
import type { SimulatedJob } from './job.js';
import type { LoadReport } from './types.js';

/** The job's chunks as printed: the lines each uploaded chunk holds, rebuilt from their print times. */
export function printedChunks(job: SimulatedJob): PrintedChunk[] {
  return job.chunks.map((c) => ({ key: c.key, lines: Array.from({ length: c.lines }, (_, i) => job.line(c.firstLine + i)) }));
}

/** Jobs whose download file is checked: the chattiest first (the most lines to get right), then evenly spread. */
export function downloadSample(jobs: readonly SimulatedJob[], size: number): Set<string> {
  if (size >= jobs.length) return new Set(jobs.map((j) => j.plan.jobId));
  const byLines = [...jobs].sort((a, b) => b.printed - a.printed);
  const picked = new Set(byLines.slice(0, Math.ceil(size / 2)).map((j) => j.plan.jobId));
  for (let i = 0; picked.size < size && i < jobs.length; i += Math.max(1, Math.floor(jobs.length / size))) picked.add(jobs[i]!.plan.jobId);
  return picked;
}

export async function checkInvariant(
  jobs: readonly SimulatedJob[],
  o: { es: EsEndpoint; dataStream: string; s3: S3Client; bucket: string; downloads: Set<string>; downloadDeadline: number },
): Promise<LoadReport['invariant']> {
  const result: LoadReport['invariant'] = {
    jobsChecked: 0,
    jobsFailed: 0,
    printed: 0,
    indexed: 0,
    missing: 0,
    extra: 0,
    wrongContent: 0,
    downloadsChecked: 0,
    downloadsFailed: 0,
    problems: [],
    holds: false,
  };
  const checkOne = async (job: SimulatedJob): Promise<void> => {
    const problems: string[] = [...job.anomalies];
    if (!job.finalUploaded) problems.push('its final chunk was not uploaded');
    if (job.summary && (job.summary.pending > 0 || job.summary.dropped > 0))
      problems.push(`shipper left ${job.summary.pending} chunk(s) spooled, dropped ${job.summary.dropped} line(s)`);
    const uploadedLines = job.chunks.reduce((n, c) => n + c.lines, 0);
    if (uploadedLines !== job.printed) problems.push(`${job.printed} lines printed, ${uploadedLines} in uploaded chunks`);
    const views: ViewLines[] = [];
    if (o.downloads.has(job.plan.jobId)) {
      let lines: string[] | undefined;
      while (!(lines = await readDownloadLines(o.s3, o.bucket, job.plan.jobId)) && Date.now() < o.downloadDeadline)
        await new Promise((r) => setTimeout(r, 1000));
      result.downloadsChecked++;
      if (lines) views.push({ name: 'download file', lines });
      else problems.push('no complete download file');
    }
    const docs = await jobDocuments(o.es, o.dataStream, job.plan.jobId, {
      fields: ['message', 'joblogs.colours', 'event.sequence', 'joblogs.source'],
      refresh: false,
    });
    const verdict = exactlyOnceVerdict(expectedDocuments(o.bucket, printedChunks(job)), docs, views);
    problems.push(...verdict.problems);
    if (views.length > 0 && verdict.problems.some((p) => p.startsWith('download file'))) result.downloadsFailed++;
    if (o.downloads.has(job.plan.jobId) && views.length === 0) result.downloadsFailed++;
    result.jobsChecked++;
    result.printed += verdict.printed;
    result.indexed += verdict.indexed;
    result.missing += verdict.missing;
    result.extra += verdict.duplicated + verdict.unexpected;
    result.wrongContent += verdict.wrongContent;
    if (problems.length > 0) {
      result.jobsFailed++;
      if (result.problems.length < 20) result.problems.push(`${job.plan.jobId}: ${problems.join('; ')} (${describeVerdict(verdict)})`);
    }
  };
  // A few at a time: each holds one job's documents in memory.
  const queue = [...jobs];
  await Promise.all(
    Array.from({ length: 3 }, async () => {
      for (let job = queue.shift(); job; job = queue.shift()) await checkOne(job);
    }),
  );
  result.holds = result.jobsFailed === 0 && result.jobsChecked === jobs.length;
  return result;
}

/** Deletes the run's chunks, markers and download files, so moto (which keeps objects in memory) does not grow run after run. */
export async function deleteRunObjects(s3: S3Client, bucket: string, jobPrefix: string): Promise<number> {
  let deleted = 0;
  for (const prefix of [`chunks/v1/${jobPrefix}-`, `jobs/v1/${jobPrefix}-`, `downloads/${jobPrefix}-`]) deleted += await deletePrefix(s3, bucket, prefix);
  return deleted;
}
