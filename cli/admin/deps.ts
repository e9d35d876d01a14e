import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { cloudFormationStageOutputs, type StageOutputs } from '../../shared/adapters/cloudformation/stage-outputs.js';
import { clusterTransports, parseEsCredentials, type ClusterTransport, type EsAuth } from '../../shared/adapters/search/index.js';
import { clusterJobIndex, type JobIndex } from '../../shared/adapters/search/job-index.js';
import { s3BucketAdmin, type BucketAdmin } from '../../shared/adapters/s3/bucket-admin.js';
import { s3ChunkListing, type ChunkListing } from '../../shared/adapters/s3/chunk-listing.js';
import { s3JobStore, type JobStore } from '../../shared/adapters/s3/job-store.js';
import { sqsAssembleQueue, type AssembleQueue } from '../../shared/adapters/sqs/assemble-queue.js';
import { sqsQueueAdmin, type QueueAdmin } from '../../shared/adapters/sqs/queue-admin.js';
import { ConfigError, StorageUnavailableError } from '../../shared/core/errors.js';
import type { AdminConfig } from './config.js';
import type { AdminIo } from './progress.js';
import { resolveStage, type StageResources } from './stage.js';

/** Cluster requests of admin commands may be long (a page of deletes of a big job). */
export const ES_REQUEST_TIMEOUT_MS = 120_000;

/** Everything an admin command talks to, made once per run from the validated configuration. */
export interface AdminDeps {
  config: AdminConfig;
  stage: StageResources;
  s3: S3Client;
  bucket: BucketAdmin;
  queues: QueueAdmin;
  /** The stage's assemble queue (requests in the assembler's own format). */
  assembleQueue: AssembleQueue;
  jobs: JobStore;
  listing: ChunkListing;
  /** The stage's search cluster; throws a ConfigError when its URL is unknown (no --es-url, no stack output). */
  elasticsearch(): { node: string; transport: ClusterTransport; index: JobIndex };
  /** A transport to a cluster with the command's credentials (`--cluster-auth`): the stage's, or a backfill's target. */
  transportFor(node: string): ClusterTransport;
  /** Other stages' stack outputs (a backfill into another stage). */
  stageOutputs: StageOutputs;
  io: AdminIo;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** The AWS identity running the command (for audit records). */
  caller(): Promise<string>;
  close(): Promise<void>;
}

/** Resolves the stage and builds its adapters. */
export async function openAdmin(config: AdminConfig, io: AdminIo): Promise<AdminDeps> {
  const aws = { ...(config.region ? { region: config.region } : {}) };
  const s3 = new S3Client({ ...aws, forcePathStyle: config.forcePathStyle });
  const sqs = new SQSClient(aws);
  const cfn = new CloudFormationClient(aws);
  const ssm = new SSMClient(aws);
  const sts = new STSClient(aws);
  const destroyAws = () => [s3, sqs, cfn, ssm, sts].forEach((c) => c.destroy());
  try {
    const queues = sqsQueueAdmin(sqs);
    const stageOutputs = cloudFormationStageOutputs(cfn);
    const stage = await resolveStage(config, { outputs: stageOutputs, queues });
    const esAuth = config.esAuth ?? (config.esCredentialsParam ? await credentialsFrom(ssm, config.esCredentialsParam) : undefined);
    const transportFor = (node: string) =>
      clusterTransports({ node, auth: config.clusterAuth, region: config.region, requestTimeoutMs: ES_REQUEST_TIMEOUT_MS })(esAuth);
    let elasticsearch: { node: string; transport: ClusterTransport; index: JobIndex } | undefined;
    return {
      config,
      stage,
      s3,
      bucket: s3BucketAdmin(s3, stage.bucket),
      queues,
      assembleQueue: sqsAssembleQueue(sqs, stage.assemble.url),
      jobs: s3JobStore(s3, { bucket: stage.bucket }),
      listing: s3ChunkListing(s3, { bucket: stage.bucket, chunkPrefix: 'chunks/' }),
      elasticsearch() {
        if (!stage.esNode)
          throw new ConfigError(`No Elasticsearch URL for stage ${config.stage}: ${stage.esMissing}; pass --es-url`, { problems: ['--es-url is required'] });
        if (!elasticsearch) {
          const transport = transportFor(stage.esNode);
          elasticsearch = { node: stage.esNode, transport, index: clusterJobIndex(transport, { requestTimeoutMs: ES_REQUEST_TIMEOUT_MS }) };
        }
        return elasticsearch;
      },
      transportFor,
      stageOutputs,
      io,
      now: Date.now,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      caller: async () => (await sts.send(new GetCallerIdentityCommand({})).catch(() => undefined))?.Arn ?? 'unknown',
      async close() {
        destroyAws();
      },
    };
  } catch (error) {
    destroyAws();
    throw error;
  }
}

async function credentialsFrom(ssm: SSMClient, name: string): Promise<EsAuth> {
  let value: string | undefined;
  try {
    value = (await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }))).Parameter?.Value;
  } catch (error) {
    if ((error as { name?: string }).name === 'ParameterNotFound')
      throw new ConfigError(`SSM parameter ${name} does not exist`, { problems: ['--es-credentials-param'] });
    throw new StorageUnavailableError(`Could not read SSM parameter ${name}: ${(error as Error).message}`, { cause: error });
  }
  return parseEsCredentials(value);
}
