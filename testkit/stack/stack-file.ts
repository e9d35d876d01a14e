/** `.local/stack.json`: what `up` started and provisioned; read by tests, benchmarks, the demo and the load run. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { LOCAL_DIR, STACK_FILE } from '../paths.js';
import type { EsInstance } from './cluster.js';
import type { MotoInstance } from './moto.js';

/** A function as the template declares it, with its SQS event source. */
export interface LocalFunction {
  logicalId: string;
  functionName: string;
  handler: string;
  timeoutS: number;
  memoryMb: number;
  batchSize: number;
  batchingWindowS: number;
  reportBatchItemFailures: boolean;
  /** The template's variables with Refs resolved to local values. */
  environment: Record<string, string>;
}

/** A function behind the stage's HTTP API. */
export interface HttpFunction {
  functionName: string;
  handler: string;
  environment: Record<string, string>;
  /** Its route keys in the template, e.g. `GET /jobs/{jobId}/lines`. */
  routes: string[];
}

export interface ProvisionedResources {
  stage: string;
  templatePath: string;
  bucket: string;
  chunkQueueUrl: string;
  chunkQueueArn: string;
  deadLetterQueueUrl: string;
  deadLetterQueueArn: string;
  esCredentialsParam: string;
  /** The indexer (environment: ES_NODE and CLUSTER_KIND are the local cluster's). */
  function: LocalFunction;
  assembler: LocalFunction & { queueUrl: string; queueArn: string; deadLetterQueueUrl: string };
  /** The signer: its environment and HTTP API routes (served locally by testkit/http/local-api.ts). */
  signer: HttpFunction;
  /** The logs API (an HTTP function too): its environment (ES_NODE and CLUSTER_KIND the local cluster's) and routes. */
  logsApi: HttpFunction;
}

export interface StackInfo {
  region: string;
  accountId: string;
  /** The search cluster, whichever kind (`kind`; the name is from when Elasticsearch was the only one). */
  elasticsearch: EsInstance;
  moto: MotoInstance;
  /** Absent while `up` has started the services but not yet provisioned them. */
  resources?: ProvisionedResources;
  /** sha256 of the packaged template the resources were provisioned from. */
  templateHash?: string;
  updatedAt: string;
}

/** A stack file after `up` finished: its resources are there. */
export type ProvisionedStack = StackInfo & { resources: ProvisionedResources };

export function readStackFile(): StackInfo | undefined {
  if (!existsSync(STACK_FILE)) return undefined;
  return JSON.parse(readFileSync(STACK_FILE, 'utf8')) as StackInfo;
}

export function writeStackFile(stack: StackInfo): void {
  mkdirSync(LOCAL_DIR, { recursive: true });
  // Holds the local ES password: owner-only.
  writeFileSync(STACK_FILE, `${JSON.stringify(stack, null, 2)}\n`, { mode: 0o600 });
}
