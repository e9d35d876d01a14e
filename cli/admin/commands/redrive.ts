import { deadLetterJobPrefix } from '../../../shared/core/batch/index.js';
import { chunkAnnouncement, RateLimit } from '../../../shared/core/ops/index.js';
import type { AdminDeps } from '../deps.js';
import { AdminExitCode } from '../errors.js';
import { Progress } from '../progress.js';
import type { QueueRef } from '../stage.js';

export type RedriveQueue = 'chunks' | 'assemble';
export type RedriveMethod = 'auto' | 'move-task' | 'copy';

export interface RedriveOptions {
  queues: RedriveQueue[];
  /** Messages per second at most (SQS's MaxNumberOfMessagesPerSecond, 1–500). */
  perSecond: number;
  method: RedriveMethod;
  /** Seconds to watch the source queue afterwards: what came through, what came back. */
  waitS: number;
  /** Messages to move at most per queue. */
  max: number;
  dryRun: boolean;
}

export interface QueueRedrive {
  queue: RedriveQueue;
  dlq: string;
  /** Messages in the DLQ before. */
  before: number;
  method: 'move-task' | 'copy' | 'none';
  moved: number;
  note?: string;
  /** With a wait: whether the source queue emptied, and what came back as a failure. */
  after?: { drained: boolean; backInDlq: number; newReports: number; cameThrough: number };
}

const STATUS_POLL_MS = 2_000;

/**
 * `joblogs admin redrive`: moves each DLQ back to its source queue. SQS's own redrive
 * (`StartMessageMoveTask`, rate limited by SQS) where the endpoint has it; where it does not
 * (moto, some emulators) the same by receive → send → delete, rate limited here, each message sent
 * once however often it is received. With `--wait`, watches the source queue drain and reports
 * what came through and what came back (to the DLQ, or as new dead-letter reports).
 */
export async function redriveCommand(o: RedriveOptions, deps: AdminDeps): Promise<{ result: QueueRedrive[]; exitCode: number }> {
  const result: QueueRedrive[] = [];
  for (const queue of o.queues) {
    const [source, dlq] = queue === 'chunks' ? [deps.stage.chunks, deps.stage.chunksDlq] : [deps.stage.assemble, deps.stage.assembleDlq];
    result.push(await redriveOne(queue, source, dlq, o, deps));
  }
  const attention = result.some((r) => r.after && (r.after.backInDlq > 0 || r.after.newReports > 0 || !r.after.drained));
  return { result, exitCode: attention ? AdminExitCode.attention : AdminExitCode.ok };
}

async function redriveOne(queue: RedriveQueue, source: QueueRef, dlq: QueueRef, o: RedriveOptions, deps: AdminDeps): Promise<QueueRedrive> {
  const depth = await deps.queues.depth(dlq.url);
  const before = depth.visible + depth.delayed;
  const base = { queue, dlq: dlq.name, before };
  if (before === 0 || o.dryRun) return { ...base, method: 'none', moved: 0, ...(o.dryRun && before > 0 ? { note: 'dry run: nothing moved' } : {}) };
  const started = deps.now();
  // Messages already in flight (other work of the functions) are not waited for, only what this moves.
  const busy = o.waitS > 0 ? (await deps.queues.depth(source.url)).inFlight : 0;
  const progress = new Progress(deps.io, { unit: 'messages', total: Math.min(before, o.max), enabled: deps.config.progress });
  let moved: Pick<QueueRedrive, 'method' | 'moved' | 'note'>;
  const task =
    o.method === 'copy' ? 'unsupported' : await deps.queues.startMoveTask({ sourceArn: dlq.arn, destinationArn: source.arn, perSecond: o.perSecond });
  if (task !== 'unsupported') {
    moved = { method: 'move-task', moved: await followMoveTask(dlq.arn, task.taskHandle, progress, deps) };
  } else {
    if (o.method === 'move-task') throw new Error(`StartMessageMoveTask is not available on this SQS endpoint; use --method copy`);
    const copied = await deps.queues.moveByCopy({
      from: dlq.url,
      to: source.url,
      limit: new RateLimit(o.perSecond, deps),
      max: o.max,
      onMoved: (n) => progress.advance(n),
    });
    moved = {
      method: 'copy',
      moved: copied.moved,
      ...(o.method === 'auto' ? { note: 'StartMessageMoveTask is not available on this endpoint: moved by receive, send and delete' } : {}),
    };
  }
  progress.finish();
  const after = o.waitS > 0 ? await watch(queue, source, dlq, { started, busy, waitS: o.waitS, moved: moved.moved }, deps) : undefined;
  return { ...base, ...moved, ...(after ? { after } : {}) };
}

async function followMoveTask(sourceArn: string, taskHandle: string, progress: Progress, deps: AdminDeps): Promise<number> {
  for (;;) {
    const status = await deps.queues.moveTaskStatus(sourceArn, taskHandle);
    if (status) {
      progress.advance(status.moved - progress.done);
      if (status.toMove !== undefined) progress.setTotal(status.toMove);
      if (status.status === 'FAILED') throw new Error(`The move task failed: ${status.failure ?? 'no reason given'} (${status.moved} moved)`);
      if (status.status === 'COMPLETED' || status.status === 'CANCELLED') return status.moved;
    }
    await deps.sleep(STATUS_POLL_MS);
  }
}

/**
 * Polls the source queue until nothing waits there and no more is in flight than before the move
 * (`busy`), or the wait is over; then counts what came back.
 */
async function watch(
  queue: RedriveQueue,
  source: QueueRef,
  dlq: QueueRef,
  o: { started: number; busy: number; waitS: number; moved: number },
  deps: AdminDeps,
): Promise<NonNullable<QueueRedrive['after']>> {
  const until = deps.now() + o.waitS * 1000;
  let drained = false;
  while (deps.now() < until) {
    const d = await deps.queues.depth(source.url);
    if (d.visible + d.delayed === 0 && d.inFlight <= o.busy) {
      drained = true;
      break;
    }
    await deps.sleep(STATUS_POLL_MS);
  }
  const back = await deps.queues.depth(dlq.url);
  const backInDlq = back.visible + back.delayed + back.inFlight;
  let newReports = 0;
  for await (const object of deps.bucket.listObjects(`dead-letter/${queue === 'chunks' ? 'indexer' : 'assembler'}/`)) {
    if ((object.lastModified?.getTime() ?? 0) >= o.started - 1000) newReports++;
  }
  return { drained, backInDlq, newReports, cameThrough: Math.max(0, o.moved - backInDlq - newReports) };
}

export interface ReportRedriveOptions {
  jobId?: string | undefined;
  since?: Date | undefined;
  /** Only reports of this code (e.g. `DOCUMENTS_REJECTED`). */
  code?: string | undefined;
  perSecond: number;
  dryRun: boolean;
}

export interface ReportRedrive {
  reports: number;
  /** Chunks announced to the chunk queue again. */
  chunks: string[];
  /** Jobs whose assembly was requested again. */
  jobs: string[];
  skipped: Array<{ report: string; why: string }>;
  /** Where the reports went (`dead-letter/redriven/…`): done with, kept as evidence. */
  archived: number;
}

/**
 * `joblogs admin redrive --reports`: after a fix, announces the chunks of indexer dead-letter
 * reports to the chunk queue again (as the bucket's notification would: the indexer's ids are
 * deterministic, so what was indexed before is not indexed twice) and asks the assembler again for
 * the jobs of its reports; each report redriven is moved to `dead-letter/redriven/`.
 */
export async function redriveReportsCommand(o: ReportRedriveOptions, deps: AdminDeps): Promise<{ result: ReportRedrive; exitCode: number }> {
  const result: ReportRedrive = { reports: 0, chunks: [], jobs: [], skipped: [], archived: 0 };
  const selected = await selectReports(o, deps);
  result.reports = selected.length;
  const limit = new RateLimit(o.perSecond, deps);
  const progress = new Progress(deps.io, { unit: 'reports', total: selected.length, enabled: deps.config.progress });
  for (const { key, fn } of selected) {
    // biome-ignore lint/suspicious/noExplicitAny: a dead-letter report is JSON read field by field
    const report = (await deps.bucket.readJson(key)) as Record<string, any> | undefined;
    const chunk = fn === 'indexer' && typeof report?.['key'] === 'string' && report['key'].startsWith('chunks/') ? (report['key'] as string) : undefined;
    const jobId = fn === 'assembler' && typeof report?.['details']?.['jobId'] === 'string' ? (report['details']['jobId'] as string) : undefined;
    if (!chunk && !jobId) {
      result.skipped.push({ report: key, why: 'names no chunk or job (a message that could not be read): nothing to announce' });
    } else if (chunk && !(await exists(chunk, deps))) {
      result.skipped.push({ report: key, why: `${chunk} is no longer in the bucket` });
    } else if (!o.dryRun) {
      await limit.take(1);
      if (chunk && !result.chunks.includes(chunk))
        await deps.queues.send(deps.stage.chunks.url, chunkAnnouncement(deps.stage.bucket, [{ key: chunk }], new Date(deps.now())));
      if (jobId && !result.jobs.includes(jobId)) await deps.assembleQueue.send({ jobId });
      await deps.bucket.move(key, key.replace(/^dead-letter\//, 'dead-letter/redriven/'));
      result.archived++;
    }
    if (chunk && !result.chunks.includes(chunk)) result.chunks.push(chunk);
    if (jobId && !result.jobs.includes(jobId)) result.jobs.push(jobId);
    progress.advance();
  }
  progress.finish();
  return { result, exitCode: result.skipped.length > 0 ? AdminExitCode.attention : AdminExitCode.ok };
}

async function selectReports(o: ReportRedriveOptions, deps: AdminDeps): Promise<Array<{ key: string; fn: 'indexer' | 'assembler' }>> {
  const out: Array<{ key: string; fn: 'indexer' | 'assembler' }> = [];
  for (const fn of ['indexer', 'assembler'] as const) {
    const prefix = o.jobId ? deadLetterJobPrefix(`dead-letter/${fn}/`, o.jobId) : `dead-letter/${fn}/`;
    for await (const object of deps.bucket.listObjects(prefix)) {
      if (o.since && (object.lastModified?.getTime() ?? 0) < o.since.getTime()) continue;
      if (o.code && object.key.split('/').at(-2) !== o.code.toLowerCase()) continue;
      out.push({ key: object.key, fn });
    }
  }
  return out;
}

async function exists(key: string, deps: AdminDeps): Promise<boolean> {
  for await (const object of deps.bucket.listObjects(key)) return object.key === key;
  return false;
}

export function renderRedrive(result: QueueRedrive[]): string {
  return `${result
    .map((r) => {
      const head =
        r.method === 'none'
          ? `${r.dlq}: ${r.before} message(s)${r.note ? ` (${r.note})` : ', nothing to move'}`
          : `${r.dlq}: moved ${r.moved} of ${r.before} message(s) back to the ${r.queue} queue (${r.method})`;
      const note = r.note && r.method !== 'none' ? `\n  ${r.note}` : '';
      const after = r.after
        ? `\n  ${r.after.drained ? 'the queue drained' : 'the queue had not drained when the wait ended'}: ${r.after.cameThrough} came through, ${r.after.backInDlq} back in the DLQ, ${r.after.newReports} new dead-letter report(s)`
        : '';
      return `${head}${note}${after}`;
    })
    .join('\n')}\n`;
}

export function renderReportRedrive(r: ReportRedrive, dryRun: boolean): string {
  const verb = dryRun ? 'would announce' : 'announced';
  const lines = [
    `${r.reports} dead-letter report(s): ${verb} ${r.chunks.length} chunk(s) again, ${dryRun ? 'would request' : 'requested'} ${r.jobs.length} assembly(ies)${dryRun ? '' : `, ${r.archived} report(s) moved to dead-letter/redriven/`}`,
  ];
  for (const s of r.skipped) lines.push(`  skipped ${s.report}: ${s.why}`);
  return `${lines.join('\n')}\n`;
}
