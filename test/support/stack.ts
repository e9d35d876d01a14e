/**
 * Helpers for tests that talk to the local stack (scripts/stack.ts). Every helper takes the
 * stack it works on; nothing is kept in module-level state.
 *
 *   const stack = loadStack();              // clients bound to the running stack
 *   await purgeQueues(stack);
 *   process.env = { ...process.env, ...indexerEnv(stack) };
 */
import { S3Client } from '@aws-sdk/client-s3';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { Client } from '@elastic/elasticsearch';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import {
  elasticsearchRunning,
  esHealthy,
  startElasticsearch as startEs,
  stopElasticsearch as stopEs,
} from '../../scripts/local/elasticsearch.js';
import { motoHealthy, motoRunning } from '../../scripts/local/moto.js';
import { childEnv, REPO_ROOT } from '../../scripts/local/paths.js';
import { awsLocalEnv, readStackFile, writeStackFile, type ProvisionedResources, type StackInfo } from '../../scripts/local/stack-file.js';

export type { StackInfo } from '../../scripts/local/stack-file.js';

export interface LocalStack {
  info: StackInfo & { resources: ProvisionedResources };
  region: string;
  bucket: string;
  chunkQueueUrl: string;
  chunkQueueArn: string;
  deadLetterQueueUrl: string;
  deadLetterQueueArn: string;
  s3: S3Client;
  sqs: SQSClient;
  ssm: SSMClient;
  es: Client;
  /** Closes every client. */
  close(): Promise<void>;
}

/** True when `.local/stack.json` names a provisioned stack whose services answer. */
export async function stackIsUp(info: StackInfo | undefined = readStackFile()): Promise<boolean> {
  if (!info?.resources) return false;
  const es = elasticsearchRunning(info.elasticsearch) && (await esHealthy(info.elasticsearch.url, info.elasticsearch.username, info.elasticsearch.password).catch(() => false));
  const moto = motoRunning(info.moto) && (await motoHealthy(info.moto.url).catch(() => false));
  return es && moto;
}

/** Runs `scripts/stack.ts up` unless the stack is already up; returns the stack file. */
export async function ensureStackUp(): Promise<StackInfo & { resources: ProvisionedResources }> {
  if (!(await stackIsUp())) {
    execFileSync(path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), [path.join(REPO_ROOT, 'scripts', 'stack.ts'), 'up'], {
      cwd: REPO_ROOT,
      env: childEnv(),
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  }
  const info = readStackFile();
  if (!info?.resources) throw new Error('scripts/stack.ts up did not provision the local stack');
  return info as StackInfo & { resources: ProvisionedResources };
}

/** Clients bound to the running local stack (`info` defaults to `.local/stack.json`). */
export function loadStack(info: StackInfo | undefined = readStackFile()): LocalStack {
  if (!info?.resources) throw new Error('No local stack: run `npx tsx scripts/stack.ts up` (or `npm test`)');
  const provisioned = info as StackInfo & { resources: ProvisionedResources };
  const aws = { region: info.region, endpoint: info.moto.url, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
  const s3 = new S3Client({ ...aws, forcePathStyle: true });
  const sqs = new SQSClient(aws);
  const ssm = new SSMClient(aws);
  const es = new Client({
    node: info.elasticsearch.url,
    auth: { username: info.elasticsearch.username, password: info.elasticsearch.password },
  });
  const r = provisioned.resources;
  return {
    info: provisioned,
    region: info.region,
    bucket: r.bucket,
    chunkQueueUrl: r.chunkQueueUrl,
    chunkQueueArn: r.chunkQueueArn,
    deadLetterQueueUrl: r.deadLetterQueueUrl,
    deadLetterQueueArn: r.deadLetterQueueArn,
    s3,
    sqs,
    ssm,
    es,
    async close() {
      s3.destroy();
      sqs.destroy();
      ssm.destroy();
      await es.close();
    },
  };
}

/**
 * Empties the chunk queue and its DLQ by receiving and deleting (SQS, and moto, allow one
 * PurgeQueue per queue per 60 s, too few between tests). In-flight messages stay in flight.
 */
export async function purgeQueues(stack: Pick<LocalStack, 'sqs' | 'chunkQueueUrl' | 'deadLetterQueueUrl'>): Promise<number> {
  let removed = 0;
  for (const queueUrl of [stack.chunkQueueUrl, stack.deadLetterQueueUrl]) {
    for (;;) {
      const { Messages = [] } = await stack.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      if (Messages.length === 0) break;
      await stack.sqs.send(new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }));
      removed += Messages.length;
    }
  }
  return removed;
}

/**
 * The environment the indexer gets on the local stack: the template's variables (Refs resolved,
 * ES_NODE = local ES), moto's endpoint and fake AWS credentials. Merge it into `process.env`
 * (and restore afterwards), or pass it to `loadIndexerConfig(env)`.
 */
export function indexerEnv(stack: Pick<LocalStack, 'info'>): Record<string, string> {
  return {
    ...stack.info.resources.function.environment,
    ES_NODE: stack.info.elasticsearch.url,
    ...awsLocalEnv(stack.info),
    AWS_LAMBDA_FUNCTION_NAME: stack.info.resources.function.functionName,
  };
}

/** Stops Elasticsearch (for outage tests). Its data directory and port are kept for {@link startElasticsearch}. */
export async function stopElasticsearch(stack: Pick<LocalStack, 'info'>): Promise<void> {
  await stopEs(stack.info.elasticsearch.pid);
}

/**
 * Starts Elasticsearch again on the same port and data directory, waits until healthy, and
 * records the new pid in `.local/stack.json` (and in `stack.info`).
 */
export async function startElasticsearch(stack: Pick<LocalStack, 'info'>): Promise<void> {
  const previous = stack.info.elasticsearch;
  if (elasticsearchRunning(previous)) return;
  const started = await startEs({ port: previous.port, transportPort: previous.transportPort });
  stack.info.elasticsearch = started;
  const onDisk = readStackFile();
  if (onDisk) writeStackFile({ ...onDisk, elasticsearch: started, updatedAt: new Date().toISOString() });
}
