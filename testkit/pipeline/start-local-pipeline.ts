/**
 * The Lambda side of the local stack: the real indexer and assembler handlers (middy, as deployed)
 * behind the SQS event-source emulator on the stack's chunk and assemble queues, with the packaged
 * template's mapping settings (batch size, batching window, timeout) and environment (Refs resolved
 * to the local services). The demo, the integration tests, the benchmarks and the load run all
 * start their functions here.
 *
 * The handlers' own AWS SDK clients (S3, and SSM through @middy/ssm) read moto's endpoint from
 * `process.env`, so the functions' environment is merged into it while the pipeline runs and
 * restored by `stop()`.
 *
 * @example
 * const pipeline = await startLocalPipeline({ stack, indexer: {}, assembler: {} });
 * …                                    // put chunks into stack.bucket: they become documents
 * pipeline.logs.filter((l) => l.message === 'indexer batch done');
 * await pipeline.stop();
 *
 * @example
 * // an indexer behind a fault proxy, quick retries, failed records visible again after 1 s
 * await startLocalPipeline({ stack, indexer: quickIndexer({ env: { ES_NODE: proxy.url } }) });
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { createAssemblerHandler } from '../../functions/assembler/create-handler.js';
import { createIndexerHandler } from '../../functions/indexer/create-handler.js';
import { createLogger } from '../../shared/adapters/logger.js';
import { loadAssemblerConfig } from '../../shared/config/assembler-config.js';
import { loadIndexerConfig } from '../../shared/config/indexer-config.js';
import { jsonLogSink, type LogLine } from '../log-sink.js';
import { emptyQueues } from '../sqs.js';
import { awsLocalEnv, localSqsClient } from '../stack/aws.js';
import type { LocalFunction, ProvisionedStack } from '../stack/stack-file.js';
import { mappingOptions, startRunner, type BatchOutcome, type Runner, type SqsHandler } from './esm-runner.js';

/** How one function runs; every field has the template's (or Lambda's) value as default. */
export interface LocalFunctionOptions {
  /** Variables on top of the template's environment (e.g. `ES_NODE` of a fault proxy, `STAGE`). */
  env?: Record<string, string>;
  /** The emulated function timeout (the template's by default). */
  functionTimeoutS?: number;
  /** Overrides the template's batching window (what-ifs). */
  batchingWindowS?: number;
  /** Runners side by side on the queue (Lambda's concurrency); default 1. */
  concurrency?: number;
  /** Test shortcut: failed records visible again after this many seconds instead of the queue's visibility timeout. */
  retryDelayS?: number;
  /** Wraps the handler, e.g. to time records or report what a batch received. */
  wrap?: (handler: SqsHandler) => SqsHandler;
  onBatch?: (outcome: BatchOutcome) => void;
}

export interface LocalPipelineOptions {
  /** The stack file (`info`), and the SQS client to poll with (a new one by default). */
  stack: { info: ProvisionedStack; sqs?: SQSClient };
  /** Runs the indexer on the chunk queue. */
  indexer?: LocalFunctionOptions;
  /** Runs the assembler on the assemble queue. */
  assembler?: LocalFunctionOptions;
  /** Empties each function's queue and DLQ first (messages of an earlier run). */
  purge?: boolean;
  /** Where the handlers log: by default every JSON line is kept in `logs` (and passed to `onLog`). */
  logStream?: NodeJS.WritableStream;
  onLog?: (line: LogLine) => void;
  /** Errors of the runners themselves (SQS calls); default console.error. */
  onError?: (error: unknown) => void;
}

export interface LocalPipeline {
  /** The indexer's runners (empty without `indexer`); `indexer` is the first. */
  indexers: Runner[];
  indexer: Runner | undefined;
  assembler: Runner | undefined;
  /** Every JSON log line the handlers wrote (unless `logStream` was given). */
  logs: LogLine[];
  /** Stops every runner (each lets its last poll finish) and restores `process.env`. */
  stop(): Promise<void>;
}

/** The indexer as the integration tests run it: quick in-invocation retries and timeouts, a 12 s function, failed records back after 1 s. */
export function quickIndexer(o: LocalFunctionOptions = {}): LocalFunctionOptions {
  const env = { RETRY_BASE_MS: '100', RETRY_MAX_MS: '1000', DEADLINE_HEADROOM_MS: '1000', ES_REQUEST_TIMEOUT_MS: '5000', ...o.env };
  return { functionTimeoutS: 12, retryDelayS: 1, ...o, env };
}

/** The assembler as the integration tests run it: a 60 s function, failed records back after 1 s. */
export function quickAssembler(o: LocalFunctionOptions = {}): LocalFunctionOptions {
  return { functionTimeoutS: 60, retryDelayS: 1, ...o };
}

/** The template's environment of a function, pointed at the local services. */
function functionEnv(stack: ProvisionedStack, fn: LocalFunction, extra: Record<string, string>): Record<string, string> {
  return { ...fn.environment, ...awsLocalEnv(stack), AWS_LAMBDA_FUNCTION_NAME: fn.functionName, S3_FORCE_PATH_STYLE: 'true', ...extra };
}

/** One function on the stack: its template settings, queues, environment and how to build its handler. */
interface FunctionSpec {
  fn: LocalFunction;
  queueUrl: string;
  deadLetterQueueUrl: string;
  env: Record<string, string>;
  createHandler(logStream: NodeJS.WritableStream): SqsHandler;
}

function indexerSpec(stack: ProvisionedStack, o: LocalFunctionOptions): FunctionSpec {
  const fn = stack.resources.function;
  const env = functionEnv(stack, fn, { ES_NODE: stack.elasticsearch.url, ...o.env });
  return {
    fn,
    queueUrl: stack.resources.chunkQueueUrl,
    deadLetterQueueUrl: stack.resources.deadLetterQueueUrl,
    env,
    createHandler: (out) => createIndexerHandler(loadIndexerConfig(env), { logger: createLogger('joblogs-indexer', out) }),
  };
}

function assemblerSpec(stack: ProvisionedStack, o: LocalFunctionOptions): FunctionSpec {
  const fn = stack.resources.assembler;
  const env = functionEnv(stack, fn, o.env ?? {});
  return {
    fn,
    queueUrl: fn.queueUrl,
    deadLetterQueueUrl: fn.deadLetterQueueUrl,
    env,
    createHandler: (out) => createAssemblerHandler(loadAssemblerConfig(env), { logger: createLogger('joblogs-assembler', out) }),
  };
}

/** `concurrency` runners of one function; each gets a handler of its own, as each Lambda sandbox does. */
async function startFunction(
  spec: FunctionSpec,
  o: LocalFunctionOptions,
  shared: { sqs: SQSClient; region: string; logStream: NodeJS.WritableStream; onError: ((error: unknown) => void) | undefined },
): Promise<Runner[]> {
  const runners: Runner[] = [];
  for (let i = 0; i < (o.concurrency ?? 1); i++) {
    const handler = spec.createHandler(shared.logStream);
    runners.push(
      await startRunner({
        queueUrl: spec.queueUrl,
        sqsClient: shared.sqs,
        handler: o.wrap ? o.wrap(handler) : handler,
        ...mappingOptions(spec.fn),
        region: shared.region,
        ...(o.functionTimeoutS !== undefined ? { functionTimeoutS: o.functionTimeoutS } : {}),
        ...(o.batchingWindowS !== undefined ? { batchingWindowS: o.batchingWindowS } : {}),
        ...(o.retryDelayS !== undefined ? { retryDelayS: o.retryDelayS } : {}),
        ...(o.onBatch ? { onBatch: o.onBatch } : {}),
        ...(shared.onError ? { onError: shared.onError } : {}),
      }),
    );
  }
  return runners;
}

/** Starts the functions asked for; see the module's examples. */
export async function startLocalPipeline(o: LocalPipelineOptions): Promise<LocalPipeline> {
  const info = o.stack.info;
  const sqs = o.stack.sqs ?? localSqsClient(info);
  const { sink, logs } = jsonLogSink(o.onLog);
  const shared = { sqs, region: info.region, logStream: o.logStream ?? sink, onError: o.onError };
  const savedEnv = { ...process.env };
  // The assembler's environment first: where both set a variable, the indexer's is what process.env keeps.
  const specs = [
    ...(o.assembler ? [{ spec: assemblerSpec(info, o.assembler), options: o.assembler }] : []),
    ...(o.indexer ? [{ spec: indexerSpec(info, o.indexer), options: o.indexer }] : []),
  ];
  const started: Runner[][] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(started.flat().map((r) => r.stop()));
    if (!o.stack.sqs) sqs.destroy();
    process.env = savedEnv;
  };
  try {
    for (const { spec, options } of specs) {
      Object.assign(process.env, spec.env);
      if (o.purge) await emptyQueues(sqs, [spec.queueUrl, spec.deadLetterQueueUrl]);
      started.push(await startFunction(spec, options, shared));
    }
  } catch (error) {
    await stopAll();
    throw error;
  }
  const indexers = o.indexer ? started.at(-1)! : [];
  return { indexers, indexer: indexers[0], assembler: o.assembler ? started[0]![0] : undefined, logs, stop: stopAll };
}
