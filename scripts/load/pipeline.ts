/**
 * The Lambda side of the local stack for a load run: `indexers` event-source runners on the
 * chunk queue side by side (Lambda's concurrency), each with its own real indexer handler, and
 * one on the assemble queue with the real assembler — as scripts/demo.ts starts them, with the
 * packaged template's mapping settings. Counts what the functions log and how old chunk messages
 * are when an indexer gets them: SQS has no queue attribute for that (ApproximateAgeOfOldestMessage
 * is a CloudWatch metric), so the age is taken from each record's SentTimestamp, as Lambda sees it.
 */
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { Writable } from 'node:stream';
import { createAssemblerHandler } from '../../functions/assembler/create-handler.js';
import { createIndexerHandler } from '../../functions/indexer/create-handler.js';
import { createLogger } from '../../shared/adapters/logger.js';
import { loadAssemblerConfig } from '../../shared/config/assembler-config.js';
import { loadIndexerConfig } from '../../shared/config/indexer-config.js';
import { mappingOptions, startRunner, type Runner, type SqsHandler } from '../local/esm-runner.js';
import { awsLocalEnv, type ProvisionedResources, type StackInfo } from '../local/stack-file.js';

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

export interface Pipeline {
  counters: FunctionCounters;
  indexers: Runner[];
  assembler: Runner;
  /** Chunk and assemble queue depth (visible + in flight); both DLQs' depth. */
  queues(): Promise<{ chunkDepth: number; assembleDepth: number; dlqDepth: number }>;
  stop(): Promise<void>;
}

type Stack = StackInfo & { resources: ProvisionedResources };

export async function startPipeline(stack: Stack, sqs: SQSClient, o: { indexers: number; retryDelayS: number }): Promise<Pipeline> {
  const counters: FunctionCounters = { indexed: 0, duplicates: 0, bulkItemsRetried: 0, rejected: 0, recordsRetried: 0, warnings: 0, errors: 0, runnerErrors: 0, invocations: 0, invocationMs: 0, sqsAges: [], samples: [] };
  const sink = new Writable({
    write(chunk, _encoding, done) {
      count(counters, JSON.parse(String(chunk)) as Record<string, any>);
      done();
    },
  });
  const onError = (error: unknown): void => {
    counters.runnerErrors++;
    if (counters.samples.length < 5) counters.samples.push(`runner: ${String(error)}`);
  };
  const fn = stack.resources.function;
  const env = { ...fn.environment, ES_NODE: stack.elasticsearch.url, ...awsLocalEnv(stack), S3_FORCE_PATH_STYLE: 'true', AWS_LAMBDA_FUNCTION_NAME: fn.functionName };
  // The handlers' own AWS SDK clients (S3, SSM via @middy/ssm) read the endpoint from here.
  Object.assign(process.env, env);
  const indexers: Runner[] = [];
  for (let i = 0; i < o.indexers; i++) {
    const handler = createIndexerHandler(loadIndexerConfig(env), { logger: createLogger('joblogs-indexer', sink) });
    indexers.push(
      await startRunner({
        queueUrl: stack.resources.chunkQueueUrl,
        sqsClient: sqs,
        handler: measuringAge(handler, counters),
        ...mappingOptions(fn),
        region: stack.region,
        retryDelayS: o.retryDelayS,
        onError,
      }),
    );
  }
  const asm = stack.resources.assembler;
  const assembler = await startRunner({
    queueUrl: asm.queueUrl,
    sqsClient: sqs,
    handler: createAssemblerHandler(loadAssemblerConfig({ ...asm.environment, ...awsLocalEnv(stack), S3_FORCE_PATH_STYLE: 'true' }), { logger: createLogger('joblogs-assembler', sink) }),
    ...mappingOptions(asm),
    region: stack.region,
    retryDelayS: o.retryDelayS,
    onError,
  });

  const attributes = async (queueUrl: string) =>
    (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }))).Attributes ?? {};
  const depth = (a: Record<string, string>) => Number(a['ApproximateNumberOfMessages'] ?? 0) + Number(a['ApproximateNumberOfMessagesNotVisible'] ?? 0);
  return {
    counters,
    indexers,
    assembler,
    async queues() {
      const [chunk, assemble, dlq, asmDlq] = await Promise.all(
        [stack.resources.chunkQueueUrl, asm.queueUrl, stack.resources.deadLetterQueueUrl, asm.deadLetterQueueUrl].map(attributes),
      );
      return { chunkDepth: depth(chunk!), assembleDepth: depth(assemble!), dlqDepth: depth(dlq!) + depth(asmDlq!) };
    },
    async stop() {
      await Promise.all([...indexers, assembler].map((r) => r.stop()));
    },
  };
}

/** The handler, recording how long each record waited in the queue before this invocation. */
function measuringAge(handler: SqsHandler, counters: FunctionCounters): SqsHandler {
  return (event: SQSEvent, context) => {
    const now = Date.now();
    for (const r of event.Records) counters.sqsAges.push({ at: now, ms: now - Number(r.attributes.SentTimestamp) });
    return handler(event, context);
  };
}

function count(c: FunctionCounters, line: Record<string, any>): void {
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
  if ((level === 'warn' || level === 'warning' || level === 'error' || level === 'fatal') && c.samples.length < 5) c.samples.push(`${line['service.name'] ?? ''} ${line['message']}`.trim());
}
