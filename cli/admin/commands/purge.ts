import { deadLetterJobPrefix } from '../../../shared/core/batch/index.js';
import { jobMarkerPrefix, registrationKey } from '../../../shared/core/contract/index.js';
import { archiveKeys } from '../../../shared/core/archive/index.js';
import { downloadKey } from '../../../shared/core/download/index.js';
import { checkpointKey } from '../../../shared/core/ingest/index.js';
import {
  nothingLeft,
  PURGE_KINDS,
  purgeAudit,
  purgeAuditKey,
  purgeCounts,
  type ObjectVersion,
  type PurgeAudit,
  type PurgeCounts,
  type PurgeKind,
  type PurgePlan,
} from '../../../shared/core/ops/index.js';
import type { AdminDeps } from '../deps.js';
import { AdminExitCode, JobNotFoundError, JobStillRunningError } from '../errors.js';

export interface PurgeOptions {
  jobId: string;
  /** Without it, a dry run: what would be removed, nothing removed. */
  yes: boolean;
  reason: string;
  /** Purge a job whose markers say a source still runs. */
  force: boolean;
}

export interface PurgeResult {
  jobId: string;
  dryRun: boolean;
  plan: PurgeCounts;
  /** A few keys of each kind (all of them are in the audit record). */
  sample: Record<PurgeKind, string[]>;
  /** After a purge: where its audit record is, and what a second look found left (all zero when done). */
  audit?: { key: string; record: PurgeAudit };
}

const CHECKPOINT_PREFIX = 'checkpoints/indexer/';
const SAMPLE = 5;

/**
 * `joblogs admin purge --job <id>`: removes a job's logs everywhere — its registration (from then
 * on the signer and the logs API answer 404), download file and archive (and an assembly in progress), chunks,
 * markers, the indexer's checkpoints of its chunks, its dead-letter reports (every version of
 * each: the bucket is versioned, and a leaked secret must not survive as a noncurrent version), its
 * documents and chunk records in Elasticsearch. A dry run unless `--yes`; after a purge, looks
 * again and writes an audit record (keys and counts, no content) under `audit/purge/`.
 */
export async function purgeCommand(o: PurgeOptions, deps: AdminDeps): Promise<{ result: PurgeResult; exitCode: number }> {
  const record = await deps.jobs.readJob(o.jobId);
  const plan = await planPurge(o.jobId, deps);
  if (nothingLeft(plan) && !record.registration && !record.job) throw new JobNotFoundError(`Nothing of job ${o.jobId} is in stage ${deps.stage.stage}`);
  const running = record.job?.sources.filter((s) => s.status === 'running').map((s) => s.source) ?? [];
  if (running.length > 0 && !o.force && o.yes) {
    throw new JobStillRunningError(
      `Job ${o.jobId} still runs (source ${running.join(', ')} has no final marker): what its shipper writes next would survive the purge; stop it, then purge (or --force if it is gone for good)`,
    );
  }
  const base = { jobId: o.jobId, plan: purgeCounts(plan), sample: sampleOf(plan) };
  if (!o.yes) return { result: { ...base, dryRun: true }, exitCode: AdminExitCode.ok };

  await execute(plan, deps);
  const left = await planPurge(o.jobId, deps);
  const at = new Date(deps.now());
  const audit = purgeAudit({ plan, left, stage: deps.stage.stage, reason: o.reason, by: await deps.caller(), at });
  const key = purgeAuditKey(o.jobId, at);
  await deps.bucket.writeJson(key, audit);
  return { result: { ...base, dryRun: false, audit: { key, record: audit } }, exitCode: nothingLeft(left) ? AdminExitCode.ok : AdminExitCode.attention };
}

/** Everything of the job, by kind (every version). */
export async function planPurge(jobId: string, deps: AdminDeps): Promise<PurgePlan> {
  const { bucket } = deps;
  const { index } = deps.elasticsearch();
  const chunks = await bucket.listVersions(`chunks/v1/${jobId}/`);
  const [registration, markers, download, uploads, checkpoints, deadLetters, documents, chunkRecords] = await Promise.all([
    bucket.listVersions(registrationKey(jobId), { exact: true }),
    bucket.listVersions(jobMarkerPrefix(jobId)),
    // The download file and the job's archive (docs/archive.md), which holds every line too, with a build's saved state.
    Promise.all(downloadKeys(jobId).map((key) => bucket.listVersions(key, { exact: true }))).then((lists) => lists.flat()),
    Promise.all(downloadKeys(jobId).map((key) => bucket.listUploads(key).then((all) => all.filter((u) => u.key === key)))).then((lists) => lists.flat()),
    checkpointsOf(chunks, deps),
    Promise.all(
      ['indexer', 'assembler', 'redriven/indexer', 'redriven/assembler'].map((fn) => bucket.listVersions(deadLetterJobPrefix(`dead-letter/${fn}/`, jobId))),
    ).then((lists) => lists.flat()),
    index.countDocuments(deps.stage.stage, jobId),
    index.countChunkRecords(deps.stage.stage, jobId),
  ]);
  return { jobId, registration, markers, chunks, download, uploads, checkpoints, deadLetters, documents, chunkRecords };
}

const downloadKeys = (jobId: string): string[] => {
  const archive = archiveKeys(jobId);
  return [downloadKey(jobId), archive.records, archive.index, archive.resume];
};

/** The indexer's checkpoints of the job's chunks: their keys are hashes, so the (short-lived) prefix is listed and matched. */
async function checkpointsOf(chunks: readonly ObjectVersion[], deps: AdminDeps): Promise<ObjectVersion[]> {
  const wanted = new Set(chunks.map((c) => checkpointKey(CHECKPOINT_PREFIX, deps.stage.bucket, c.key)));
  if (wanted.size === 0) return [];
  return (await deps.bucket.listVersions(CHECKPOINT_PREFIX)).filter((v) => wanted.has(v.key));
}

/**
 * The order matters: the registration first (access ends at once, and the assembler builds no
 * new file for an unregistered job), then the download file, the objects the indexer reads, then
 * the documents (a chunk notification still queued finds its chunk gone), then the reports.
 */
async function execute(plan: PurgePlan, deps: AdminDeps): Promise<void> {
  await deps.bucket.deleteVersions(plan.registration);
  for (const upload of plan.uploads) await deps.bucket.abortUpload(upload);
  await deps.bucket.deleteVersions(plan.download);
  await deps.bucket.deleteVersions([...plan.markers, ...plan.chunks, ...plan.checkpoints]);
  await deps.elasticsearch().index.deleteJob(deps.stage.stage, plan.jobId);
  await deps.bucket.deleteVersions(plan.deadLetters);
}

function sampleOf(plan: PurgePlan): Record<PurgeKind, string[]> {
  return Object.fromEntries(PURGE_KINDS.map((kind) => [kind, [...new Set(plan[kind].map((v) => v.key))].slice(0, SAMPLE)])) as Record<PurgeKind, string[]>;
}

export function renderPurge(r: PurgeResult): string {
  const c = r.plan;
  const what = `${c.objects.registration} registration, ${c.objects.download} download file and archive object(s), ${c.objects.markers} marker(s), ${c.objects.chunks} chunk(s), ${c.objects.checkpoints} checkpoint(s), ${c.objects.deadLetters} dead-letter report(s) (object versions, ${c.bytes} bytes), ${c.uploads} upload(s) in progress, ${c.documents} document(s), ${c.chunkRecords} chunk record(s)`;
  const lines = [r.dryRun ? `dry run — purging job ${r.jobId} would remove: ${what}` : `purged job ${r.jobId}: ${what}`];
  for (const kind of PURGE_KINDS)
    if (r.sample[kind].length > 0) lines.push(`  ${kind}: ${r.sample[kind].join(', ')}${c.objects[kind] > r.sample[kind].length ? ', …' : ''}`);
  if (r.dryRun) lines.push('nothing was removed; run again with --yes (and --reason) to purge');
  if (r.audit) {
    const left = r.audit.record.left;
    const remaining = Object.values(left.objects).reduce((n, k) => n + k, 0) + left.uploads + left.documents + left.chunkRecords;
    lines.push(
      remaining === 0
        ? 'a second look found nothing of the job left'
        : `a second look still found ${remaining} item(s) (a notification still in flight wrote them?): run purge again`,
    );
    lines.push(`audit record: ${r.audit.key}`);
  }
  return `${lines.join('\n')}\n`;
}
