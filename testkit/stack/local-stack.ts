/**
 * Clients bound to the running local stack, for tests, benchmarks and scripts. Every helper takes
 * the stack it works on; nothing is kept in module-level state. The search cluster (any kind) is
 * read over plain HTTP with testkit/es.ts (`esRequest(stack, …)`), as a user would.
 *
 * @example
 * const stack = loadStack();                       // clients bound to `.local/stack.json`
 * await purgeQueues(stack);                       // the chunk queue and its DLQ, emptied
 * await stack.close();
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { emptyQueues } from '../sqs.js';
import { localS3Client, localSqsClient, localSsmClient } from './aws.js';
import { clusterRunning, startCluster, stopCluster } from './cluster.js';
import { readStackFile, writeStackFile, type ProvisionedStack, type StackInfo } from './stack-file.js';

export interface LocalStack {
  info: ProvisionedStack;
  region: string;
  bucket: string;
  chunkQueueUrl: string;
  chunkQueueArn: string;
  deadLetterQueueUrl: string;
  deadLetterQueueArn: string;
  s3: S3Client;
  sqs: SQSClient;
  ssm: SSMClient;
  /** Closes every client. */
  close(): Promise<void>;
}

/** Clients bound to the running local stack (`info` defaults to `.local/stack.json`). */
export function loadStack(info: StackInfo | undefined = readStackFile()): LocalStack {
  if (!info?.resources) throw new Error('No local stack: run `npm run stack:up` (or `npm test`)');
  const provisioned = info as ProvisionedStack;
  const s3 = localS3Client(info);
  const sqs = localSqsClient(info);
  const ssm = localSsmClient(info);
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
    async close() {
      s3.destroy();
      sqs.destroy();
      ssm.destroy();
    },
  };
}

/** Empties the chunk queue and its DLQ (in-flight messages stay in flight); returns how many went. */
export function purgeQueues(stack: Pick<LocalStack, 'sqs' | 'chunkQueueUrl' | 'deadLetterQueueUrl'>): Promise<number> {
  return emptyQueues(stack.sqs, [stack.chunkQueueUrl, stack.deadLetterQueueUrl]);
}

/** Stops the search cluster (for outage tests). Its data directory and port are kept for {@link startSearchClusterAgain}. */
export async function stopSearchCluster(stack: Pick<LocalStack, 'info'>): Promise<void> {
  await stopCluster(stack.info.elasticsearch);
}

/**
 * Starts the search cluster again on the same port and data directory, waits until healthy, and
 * records the new pid in `.local/stack.json` (and in `stack.info`).
 */
export async function startSearchClusterAgain(stack: Pick<LocalStack, 'info'>): Promise<void> {
  const previous = stack.info.elasticsearch;
  if (clusterRunning(previous)) return;
  const started = await startCluster(previous.kind, { port: previous.port, transportPort: previous.transportPort });
  stack.info.elasticsearch = started;
  const onDisk = readStackFile();
  if (onDisk) writeStackFile({ ...onDisk, elasticsearch: started, updatedAt: new Date().toISOString() });
}
