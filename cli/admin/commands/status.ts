import { deadLetterJobPrefix } from '../../../shared/core/batch/index.js';
import { parseChunkKey } from '../../../shared/core/contract/index.js';
import { parseAssembleMessage } from '../../../shared/core/download/index.js';
import { parseChunkNotification } from '../../../shared/core/ingest/index.js';
import { jobStatus, type DlqFinding, type JobDeadLetter, type JobStatusReport } from '../../../shared/core/ops/index.js';
import type { AdminDeps } from '../deps.js';
import { AdminExitCode } from '../errors.js';
import type { QueueRef } from '../stage.js';

export interface StatusOptions {
  jobId: string;
  /** Messages to look at per dead-letter queue. */
  peek: number;
}

/** Reports read per job and function (the rest are counted, not read). */
const MAX_REPORTS_READ = 200;

/**
 * `joblogs admin status --job <id>`: "where are my logs?" — the job's registration, its sources'
 * markers, its chunks in S3 (with gaps), what the indexer recorded, its documents, its download
 * file, its dead-letter reports and its messages in the dead-letter queues, side by side.
 */
export async function statusCommand(o: StatusOptions, deps: AdminDeps): Promise<{ report: JobStatusReport; exitCode: number }> {
  const stage = deps.stage.stage;
  const { index } = deps.elasticsearch();
  const [record, listed, indexed, documents, download, deadLetters, dlq] = await Promise.all([
    deps.jobs.readJob(o.jobId),
    deps.listing.listJobChunks(o.jobId),
    index.chunkRecords(stage, o.jobId),
    index.countDocuments(stage, o.jobId),
    deps.jobs.headDownload(o.jobId),
    jobDeadLetters(o.jobId, deps),
    Promise.all([dlqFinding('chunks', deps.stage.chunksDlq, o, deps), dlqFinding('assemble', deps.stage.assembleDlq, o, deps)]),
  ]);
  const report = jobStatus({ jobId: o.jobId, registration: record.registration, job: record.job, listed, indexed, documents, download, deadLetters, dlq });
  const exitCode = !report.found ? AdminExitCode.notFound : report.problems.length > 0 ? AdminExitCode.attention : AdminExitCode.ok;
  return { report, exitCode };
}

/** The job's reports of both functions, filed under `dead-letter/<function>/job/<jobId>/`. */
async function jobDeadLetters(jobId: string, deps: AdminDeps): Promise<JobDeadLetter[]> {
  const out: JobDeadLetter[] = [];
  for (const fn of ['indexer', 'assembler'] as const) {
    let read = 0;
    for await (const object of deps.bucket.listObjects(deadLetterJobPrefix(`dead-letter/${fn}/`, jobId))) {
      const report = read++ < MAX_REPORTS_READ ? ((await deps.bucket.readJson(object.key)) as Record<string, unknown> | undefined) : undefined;
      out.push({
        key: object.key,
        function: fn,
        code: typeof report?.['code'] === 'string' ? report['code'] : (object.key.split('/').at(-2) ?? '').toUpperCase(),
        reason: typeof report?.['reason'] === 'string' ? report['reason'] : '',
        ...(typeof report?.['key'] === 'string' ? { chunk: report['key'] } : {}),
      });
    }
  }
  return out;
}

async function dlqFinding(queue: DlqFinding['queue'], ref: QueueRef, o: StatusOptions, deps: AdminDeps): Promise<DlqFinding> {
  const depth = await deps.queues.depth(ref.url);
  const total = depth.visible + depth.inFlight + depth.delayed;
  const messages = total > 0 ? await deps.queues.peek(ref.url, o.peek) : [];
  const ofJob = messages.filter((m) => (queue === 'chunks' ? chunkJobs(m.body) : assembleJobs(m.body)).includes(o.jobId));
  return { queue, messages: ofJob.length, scanned: messages.length, depth: total };
}

function chunkJobs(body: string): string[] {
  try {
    const n = parseChunkNotification(body);
    return n.kind === 'objects' ? n.objects.flatMap((obj) => jobOfKey(obj.key)) : [];
  } catch {
    return [];
  }
}

function jobOfKey(key: string): string[] {
  try {
    return [parseChunkKey(key, 'chunks/').jobId];
  } catch {
    return [];
  }
}

function assembleJobs(body: string): string[] {
  try {
    const m = parseAssembleMessage(body);
    return m.kind === 'requests' ? m.requests.map((r) => r.jobId) : [];
  } catch {
    return [];
  }
}

/** The report for a person. */
export function renderStatus(r: JobStatusReport, stage: string): string {
  const lines: string[] = [];
  const who = r.registration ? `owner ${r.registration.owner}${r.registration.team ? `, team ${r.registration.team}` : ''}` : 'not registered';
  lines.push(`job ${r.jobId} (stage ${stage}): ${r.status} — ${who}`);
  if (r.sources.length > 0) {
    lines.push(
      table(
        ['source', 'status', 'chunks in S3', 'missing', 'indexed', 'lines shipped', 'lines indexed', 'redacted'],
        r.sources.map((s) => [
          s.source,
          s.status,
          String(s.chunks.inS3),
          String(s.chunks.missing.length),
          String(s.chunks.indexed),
          s.lines.shipped === null ? '-' : String(s.lines.shipped),
          String(s.lines.indexed),
          String(s.redactions),
        ]),
      ),
    );
  }
  lines.push(`Elasticsearch: ${r.totals.documents} document(s) (empty lines are positions, not documents; a line longer than the indexer's limit is several)`);
  lines.push(
    r.download
      ? `download file: ${r.download.status}, ${r.download.lineCount} line(s), ${r.download.gaps} gap(s)${r.download.lastModified ? `, written ${r.download.lastModified}` : ''}`
      : 'download file: none',
  );
  lines.push(
    r.deadLetters.length === 0
      ? 'dead-letter reports: none'
      : `dead-letter reports:\n${r.deadLetters.map((d) => `  ${d.function} ${d.code} ${d.chunk ?? ''} ${d.reason}`.trimEnd()).join('\n')}`,
  );
  lines.push(`dead-letter queues: ${r.dlq.map((d) => `${d.queue} ${d.messages} of this job (${d.scanned} of ~${d.depth} looked at)`).join('; ')}`);
  lines.push(r.problems.length === 0 ? 'everything is where it belongs' : `needs attention:\n${r.problems.map((p) => `  - ${p}`).join('\n')}`);
  return `${lines.join('\n')}\n`;
}

export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}
