import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { UploadGoneError } from '../../shared/adapters/s3/multipart-writer.js';
import { deadLetterKey, deadLetterReport } from '../../shared/core/batch/index.js';
import { DeadlineError, describeError, isPermanent, type PermanentError } from '../../shared/core/errors.js';
import { parseAssembleMessage, type AssembleRequest } from '../../shared/core/download/index.js';
import { MAX_DELAY_SECONDS } from '../../shared/adapters/sqs/assemble-queue.js';
import { continueTrace, withTrace } from '../../shared/trace/index.js';
import { assembleJob, type AssembleOutcome } from './assemble-job.js';
import type { AssemblerDeps } from './deps.js';

export interface AssembleStats {
  records: number;
  jobs: number;
  assembled: number;
  continued: number;
  waiting: number;
  running: number;
  unchanged: number;
  notFound: number;
  deadLettered: number;
  failed: number;
}

interface Work {
  request: AssembleRequest;
  messageIds: string[];
}

/**
 * One batch of the assembler queue: requests for the same job are done once; permanent failures
 * go to the dead-letter path, transient ones are handed back to SQS as batch item failures.
 */
export async function assembleBatch(event: SQSEvent, deps: AssemblerDeps, deadlineAt: number): Promise<{ response: SQSBatchResponse; stats: AssembleStats }> {
  const stats: AssembleStats = { records: event.Records.length, jobs: 0, assembled: 0, continued: 0, waiting: 0, running: 0, unchanged: 0, notFound: 0, deadLettered: 0, failed: 0 };
  const failures = new Set<string>();
  const work = new Map<string, Work>();
  for (const record of event.Records) {
    try {
      const message = parseAssembleMessage(record.body, deps.config.jobPrefix);
      if (message.kind === 'test') continue;
      for (const request of message.requests) addWork(work, request, record.messageId);
    } catch (error) {
      await settle(error, [record.messageId], deps, stats, failures);
    }
  }
  for (const { request, messageIds } of work.values()) {
    stats.jobs++;
    try {
      if (deps.now() >= deadlineAt) throw new DeadlineError('Deadline reached before the job was started');
      const { job, invalid } = await deps.jobs.readJob(request.jobId);
      // The job's own trace: the assembler's log lines for it are found by the job's trace.id.
      await withTrace(continueTrace({ traceparent: job?.traceparent }), async () => {
        for (const bad of invalid) deps.logger.warn({ jobId: request.jobId, key: bad.key, reason: bad.reason }, 'unreadable job marker skipped');
        const outcome = await assembleJob(request, job, deps, deadlineAt);
        await followUp(request, outcome, deps, stats);
      });
    } catch (error) {
      if (error instanceof UploadGoneError) {
        // Another delivery of this continuation already completed (or abandoned) the upload.
        deps.logger.warn({ jobId: request.jobId, error: describeError(error) }, 'continuation obsolete');
        continue;
      }
      await settle(error, messageIds, deps, stats, failures, request.jobId);
    }
  }
  return { response: { batchItemFailures: [...failures].map((itemIdentifier) => ({ itemIdentifier })) }, stats };
}

/** Requests for one job in one batch collapse into one; continuations are never merged. */
function addWork(work: Map<string, Work>, request: AssembleRequest, messageId: string): void {
  const id = request.continuation ? `continuation:${messageId}:${work.size}` : request.jobId;
  const existing = work.get(id);
  if (!existing) {
    work.set(id, { request: { ...request }, messageIds: [messageId] });
    return;
  }
  existing.messageIds.push(messageId);
  const merged = existing.request;
  if (request.partial) merged.partial = true;
  // A recheck only looks for late chunks; any other request assembles anyway.
  if (request.recheck === undefined || merged.recheck === undefined) delete merged.recheck;
  else merged.recheck = Math.max(merged.recheck, request.recheck);
}

async function followUp(request: AssembleRequest, outcome: AssembleOutcome, deps: AssemblerDeps, stats: AssembleStats): Promise<void> {
  const { jobId } = request;
  const log = deps.logger;
  switch (outcome.kind) {
    case 'not-found':
      stats.notFound++;
      log.warn({ jobId }, 'no job markers: nothing to assemble');
      return;
    case 'running':
      stats.running++;
      log.info({ jobId }, 'job still running: assembled when every source is final');
      return;
    case 'waiting':
      stats.waiting++;
      await deps.queue.send(partialOf(request, { jobId }), outcome.retryInMs / 1000);
      log.info({ jobId, missingChunks: outcome.missingChunks, retryInMs: outcome.retryInMs }, 'waiting for late chunks');
      return;
    case 'unchanged':
      stats.unchanged++;
      await scheduleRecheck(request, outcome.missingChunks, deps);
      log.info({ jobId, missingChunks: outcome.missingChunks, recheck: request.recheck }, 'no late chunks arrived');
      return;
    case 'continued':
      stats.continued++;
      await deps.queue.send(partialOf(request, { jobId, continuation: outcome.continuation }));
      log.info({ jobId, parts: outcome.continuation.upload.parts.length, lines: outcome.continuation.lines, invocation: outcome.continuation.invocations }, 'deadline near: assembly continues in a new invocation');
      return;
    case 'assembled':
      stats.assembled++;
      if (outcome.metadata.status === 'complete') await scheduleRecheck(request, outcome.metadata.missingChunks, deps);
      log.info({ jobId, key: outcome.key, ...outcome.metadata, invocations: outcome.invocations }, 'download file assembled');
      return;
  }
}

async function scheduleRecheck(request: AssembleRequest, missingChunks: number, deps: AssemblerDeps): Promise<void> {
  const next = (request.recheck ?? 0) + 1;
  if (missingChunks === 0 || next > deps.config.gapRechecks) return;
  await deps.queue.send({ jobId: request.jobId, recheck: next }, MAX_DELAY_SECONDS);
}

function partialOf(request: AssembleRequest, next: AssembleRequest): AssembleRequest {
  return request.partial ? { ...next, partial: true } : next;
}

async function settle(error: unknown, messageIds: string[], deps: AssemblerDeps, stats: AssembleStats, failures: Set<string>, jobId?: string): Promise<void> {
  if (!isPermanent(error)) {
    stats.failed++;
    for (const id of messageIds) failures.add(id);
    deps.logger.warn({ jobId, messageIds, error: describeError(error) }, 'will be retried');
    return;
  }
  for (const messageId of messageIds) {
    try {
      await deadLetter(error, messageId, deps, jobId);
      stats.deadLettered++;
    } catch (writeError) {
      stats.failed++;
      failures.add(messageId);
      deps.logger.warn({ jobId, messageId, error: describeError(writeError) }, 'dead-letter report not written: will be retried');
    }
  }
}

async function deadLetter(error: PermanentError, messageId: string, deps: AssemblerDeps, jobId?: string): Promise<void> {
  const report = deadLetterReport(error, { messageId }, new Date(deps.now()));
  if (jobId) report.details = { ...report.details, jobId };
  const key = deadLetterKey(deps.config.deadLetterPrefix, report);
  await deps.chunks.writeDeadLetter(deps.config.logBucket, key, report);
  deps.logger.error({ messageId, jobId, code: report.code, reason: report.reason, deadLetter: key }, 'permanent failure sent to the dead-letter path');
}
