import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { MAX_DELAY_SECONDS } from '../../shared/adapters/sqs/assemble-queue.js';
import { BatchSettlement } from '../../shared/core/batch/index.js';
import { parseAssembleMessage, type AssembleRequest } from '../../shared/core/download/index.js';
import { DeadlineError } from '../../shared/core/errors.js';
import { continueTrace, withTrace } from '../../shared/trace/index.js';
import { archiveJob, type ArchiveOutcome } from './archive-job.js';
import { assembleJob, type AssembleOutcome } from './assemble-job.js';
import type { AssemblerDeps } from './deps.js';

export interface AssembleStats {
  records: number;
  jobs: number;
  assembled: number;
  /** Gap markers written into the files assembled (chunks that never arrived or could not be read). */
  gaps: number;
  continued: number;
  waiting: number;
  running: number;
  unchanged: number;
  notFound: number;
  unregistered: number;
  obsolete: number;
  /** Archives built (docs/archive.md). */
  archived: number;
  deadLettered: number;
  failed: number;
}

/** One job's work in a batch, and the messages that asked for it. */
interface Work {
  request: AssembleRequest;
  messageIds: string[];
}

/**
 * One batch of the assembler queue: requests for the same job are done once; settled by the one
 * rule ({@link BatchSettlement}) — permanent failures are dead-lettered and acknowledged, transient
 * ones go back to SQS as batch item failures.
 */
export async function assembleBatch(event: SQSEvent, deps: AssemblerDeps, deadlineAt: number): Promise<{ response: SQSBatchResponse; stats: AssembleStats }> {
  const stats: AssembleStats = {
    records: event.Records.length,
    jobs: 0,
    assembled: 0,
    gaps: 0,
    continued: 0,
    waiting: 0,
    running: 0,
    unchanged: 0,
    notFound: 0,
    unregistered: 0,
    obsolete: 0,
    archived: 0,
    deadLettered: 0,
    failed: 0,
  };
  const batch = new BatchSettlement({ deadLetters: deps.deadLetters, log: deps.logger, now: deps.now });
  const work = new Map<string, Work>();
  for (const record of event.Records) {
    await batch.settle({ messageIds: [record.messageId] }, async () => {
      const message = parseAssembleMessage(record.body, deps.config.jobPrefix);
      if (message.kind === 'requests') for (const request of message.requests) addWork(work, request, record.messageId);
    });
  }
  for (const { request, messageIds } of work.values()) {
    stats.jobs++;
    await batch.settle({ messageIds, jobId: request.jobId }, () => assembleOne(request, deps, deadlineAt, stats));
  }
  stats.deadLettered = batch.deadLettered;
  stats.failed = batch.failed;
  return { response: batch.response(), stats };
}

async function assembleOne(request: AssembleRequest, deps: AssemblerDeps, deadlineAt: number, stats: AssembleStats): Promise<void> {
  if (deps.now() >= deadlineAt) throw new DeadlineError('Deadline reached before the job was started');
  const record = await deps.jobs.readJob(request.jobId);
  // The job's own trace: the assembler's log lines for it are found by the job's trace.id.
  await withTrace(continueTrace({ traceparent: record.job?.traceparent }), async () => {
    for (const bad of record.invalid) deps.logger.warn({ jobId: request.jobId, key: bad.key, reason: bad.reason }, 'unreadable job object skipped');
    if (request.archive) {
      const outcome = await archiveJob(request.jobId, record, deps, deadlineAt, { continuation: request.archiveContinuation, ifMissing: request.ifMissing });
      return archived(request, outcome, deps, stats);
    }
    await followUp(request, await assembleJob(request, record, deps, deadlineAt), deps, stats);
  });
}

/** Requests for one job in one batch collapse into one; continuations are never merged. */
function addWork(work: Map<string, Work>, request: AssembleRequest, messageId: string): void {
  const id =
    request.continuation || request.archiveContinuation
      ? `continuation:${messageId}:${work.size}`
      : request.archive
        ? `archive:${request.jobId}`
        : request.jobId;
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
  // An archive request only if missing (the logs API's) next to one that rebuilds (the assembler's): rebuild.
  if (!request.ifMissing) delete merged.ifMissing;
}

async function followUp(request: AssembleRequest, outcome: AssembleOutcome, deps: AssemblerDeps, stats: AssembleStats): Promise<void> {
  const { jobId } = request;
  const log = deps.logger;
  switch (outcome.kind) {
    case 'not-found':
      stats.notFound++;
      return log.warn({ jobId }, 'no job markers: nothing to assemble');
    case 'unregistered':
      stats.unregistered++;
      return log.warn({ jobId }, 'job not registered (never by a launcher, or purged meanwhile): no download file is built');
    case 'running':
      stats.running++;
      return log.info({ jobId }, 'job still running: assembled when every source is final');
    case 'obsolete':
      stats.obsolete++;
      return log.warn({ jobId }, 'continuation obsolete: its upload was already completed or abandoned');
    case 'waiting':
      stats.waiting++;
      await deps.queue.send(partialOf(request, { jobId }), outcome.retryInMs / 1000);
      return log.info({ jobId, missingChunks: outcome.missingChunks, retryInMs: outcome.retryInMs }, 'waiting for late chunks');
    case 'unchanged':
      stats.unchanged++;
      await scheduleRecheck(request, outcome.missingChunks, deps);
      return log.info({ jobId, missingChunks: outcome.missingChunks, recheck: request.recheck }, 'no late chunks arrived');
    case 'continued':
      stats.continued++;
      await deps.queue.send(partialOf(request, { jobId, continuation: outcome.continuation }));
      return log.info(
        { jobId, parts: outcome.continuation.upload.parts.length, lines: outcome.continuation.lines, invocation: outcome.continuation.invocations },
        'deadline near: assembly continues in a new invocation',
      );
    case 'assembled':
      stats.assembled++;
      stats.gaps += outcome.metadata.gaps;
      if (outcome.metadata.status === 'complete') {
        await scheduleRecheck(request, outcome.metadata.missingChunks, deps);
        // The archive the logs API answers from once the job's documents age out (docs/archive.md).
        await deps.queue.send({ jobId, archive: true });
      }
      return log.info({ jobId, key: outcome.key, ...outcome.metadata, invocations: outcome.invocations }, 'download file assembled');
  }
}

async function scheduleRecheck(request: AssembleRequest, missingChunks: number, deps: AssemblerDeps): Promise<void> {
  const next = (request.recheck ?? 0) + 1;
  if (missingChunks === 0 || next > deps.config.gapRechecks) return;
  await deps.queue.send({ jobId: request.jobId, recheck: next }, MAX_DELAY_SECONDS);
}

async function archived(request: AssembleRequest, outcome: ArchiveOutcome, deps: AssemblerDeps, stats: AssembleStats): Promise<void> {
  const { jobId } = request;
  const log = deps.logger;
  switch (outcome.kind) {
    case 'not-found':
      stats.notFound++;
      return log.warn({ jobId }, 'no job markers: nothing to archive');
    case 'unregistered':
      stats.unregistered++;
      return log.warn({ jobId }, 'job not registered (never by a launcher, or purged meanwhile): no archive is built');
    case 'running':
      stats.running++;
      return log.info({ jobId }, 'job still running: archived when every source is final');
    case 'obsolete':
      stats.obsolete++;
      return log.warn({ jobId, invocation: request.archiveContinuation?.invocation }, 'archive continuation obsolete: its build was finished or replaced');
    case 'underway':
      stats.unchanged++;
      return log.info({ jobId }, 'archive exists or is being built: request dropped');
    case 'continued':
      stats.continued++;
      await deps.queue.send({ jobId, archive: true, archiveContinuation: outcome.continuation });
      return log.info(
        { jobId, parts: outcome.parts, records: outcome.records, invocation: outcome.continuation.invocation },
        'deadline near: archive build continues in a new invocation',
      );
    case 'archived':
      stats.archived++;
      return log.info(
        { jobId, key: outcome.key, records: outcome.records, members: outcome.members, bytes: outcome.bytes, invocations: outcome.invocations },
        'archive built',
      );
  }
}

function partialOf(request: AssembleRequest, next: AssembleRequest): AssembleRequest {
  return request.partial ? { ...next, partial: true } : next;
}
