/**
 * The functions of a load run: `indexers` indexer runners side by side on the chunk queue
 * (Lambda's concurrency) and the assembler, started by testkit's startLocalPipeline with the
 * template's mapping settings. What is load-specific is counted here: the functions' log lines,
 * and how old chunk messages are when an indexer gets them — SQS has no queue attribute for that
 * (ApproximateAgeOfOldestMessage is a CloudWatch metric), so the age is taken from each record's
 * SentTimestamp, as Lambda sees it.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { LogLine } from '../log-sink.js';
import { queueDepth } from '../sqs.js';
import { startLocalPipeline, type LocalPipeline, type SqsHandler } from '../pipeline/index.js';
import type { ProvisionedStack } from '../stack/index.js';

export interface FunctionCounters {
  indexed: number;
  duplicates: number;
  bulkItemsRetried: number;
  rejected: number;
  recordsRetried: number;
  warnings: number;
  errors: number;
  runnerErrors: number;
  /** Indexer invocations and their summed duration (ms). */
  invocations: number;
  invocationMs: number;
  /** Age (ms) of each chunk message when an indexer invocation started, with when. */
  sqsAges: Array<{ at: number; ms: number }>;
  /** Up to a few function log lines at warning level or above, for the report. */
  samples: string[];
}

export interface LoadFunctions {
  counters: FunctionCounters;
  pipeline: LocalPipeline;
  /** Chunk queue depth (visible + in flight); both DLQs' depth. */
  queues(): Promise<{ chunkDepth: number; dlqDepth: number }>;
}

export async function startLoadFunctions(stack: ProvisionedStack, sqs: SQSClient, o: { indexers: number; retryDelayS: number }): Promise<LoadFunctions> {
  const counters: FunctionCounters = {
    indexed: 0,
    duplicates: 0,
    bulkItemsRetried: 0,
    rejected: 0,
    recordsRetried: 0,
    warnings: 0,
    errors: 0,
    runnerErrors: 0,
    invocations: 0,
    invocationMs: 0,
    sqsAges: [],
    samples: [],
  };
  const pipeline = await startLocalPipeline({
    stack: { info: stack, sqs },
    indexer: { concurrency: o.indexers, retryDelayS: o.retryDelayS, wrap: (handler) => measuringAge(handler, counters) },
    assembler: { retryDelayS: o.retryDelayS },
    purge: true,
    onLog: (line) => count(counters, line),
    onError: (error) => {
      counters.runnerErrors++;
      if (counters.samples.length < 5) counters.samples.push(`runner: ${String(error)}`);
    },
  });
  const r = stack.resources;
  return {
    counters,
    pipeline,
    async queues() {
      const [chunkDepth, dlq, asmDlq] = await Promise.all(
        [r.chunkQueueUrl, r.deadLetterQueueUrl, r.assembler.deadLetterQueueUrl].map((url) => queueDepth(sqs, url)),
      );
      return { chunkDepth: chunkDepth!, dlqDepth: dlq! + asmDlq! };
    },
  };
}

/** The handler, recording how long each record waited in the queue before this invocation. */
function measuringAge(handler: SqsHandler, counters: FunctionCounters): SqsHandler {
  return (event, context) => {
    const now = Date.now();
    for (const r of event.Records) counters.sqsAges.push({ at: now, ms: now - Number(r.attributes.SentTimestamp) });
    return handler(event, context);
  };
}

function count(c: FunctionCounters, line: LogLine): void {
  const level = line['log.level'] ?? line['log']?.['level'];
  if (line['message'] === 'indexer batch done') {
    c.indexed += line['indexed'] ?? 0;
    c.duplicates += line['duplicates'] ?? 0;
    c.bulkItemsRetried += line['retried'] ?? 0;
    c.rejected += line['rejected'] ?? 0;
    c.recordsRetried += line['failed'] ?? 0;
    c.invocations++;
    c.invocationMs += line['durationMs'] ?? 0;
  }
  if (level === 'warn' || level === 'warning') c.warnings++;
  if (level === 'error' || level === 'fatal') c.errors++;
  if ((level === 'warn' || level === 'warning' || level === 'error' || level === 'fatal') && c.samples.length < 5)
    c.samples.push(`${line['service.name'] ?? ''} ${line['message']}`.trim());
}
