/**
 * Creates in moto what the packaged CloudFormation template declares: the log bucket (with its
 * encryption, public access block, lifecycle, policy and S3 -> SQS notification), the queues
 * (attributes, redrive policy, queue policy) and the SSM SecureString the function reads its
 * Elasticsearch credentials from. Idempotent: safe on every `stack up`.
 */
import {
  DeleteBucketPolicyCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketNotificationConfigurationCommand,
  PutBucketOwnershipControlsCommand,
  PutBucketVersioningCommand,
  PutBucketPolicyCommand,
  PutPublicAccessBlockCommand,
  type BucketLifecycleConfiguration,
  type NotificationConfiguration,
  type ServerSideEncryptionConfiguration,
} from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { ensureBucket } from '../s3.js';
import { localS3Client, localSqsClient, localSsmClient } from './aws.js';
import {
  deadLetterQueueOf,
  readEventSourceMapping,
  httpRoutesOf,
  readFunction,
  referencedLogicalId,
  resolveIntrinsics,
  resourcesOfType,
  sqsQueueArn,
  toEncryptionConfiguration,
  toLifecycleConfiguration,
  toNotificationConfiguration,
  toQueueAttributes,
  type CfnTemplate,
  type LocalResolver,
  localBucketPolicy,
} from './cfn.js';
import type { ClusterKind } from '../../shared/core/cluster/index.js';
import type { ProvisionedResources } from './stack-file.js';

export const INDEXER_LOGICAL_ID = 'IndexerLambdaFunction';
export const ASSEMBLER_LOGICAL_ID = 'AssemblerLambdaFunction';
export const SIGNER_LOGICAL_ID = 'SignerLambdaFunction';
export const LOGS_API_LOGICAL_ID = 'LogsLambdaFunction';

export interface ProvisionOptions {
  template: CfnTemplate;
  templatePath: string;
  stage: string;
  region: string;
  accountId: string;
  motoUrl: string;
  esNode: string;
  /** The local cluster's kind: the functions' CLUSTER_KIND (the template has the stage's). */
  clusterKind: ClusterKind;
  esCredentials: { username: string; password: string };
  /** The logs API's read-only identity (into the SSM parameter its function names). */
  esReaderCredentials: { username: string; password: string };
}

/** Ref/GetAtt for the resources we create, computed from names alone (no AWS calls). */
export function localResolver(template: CfnTemplate, o: Pick<ProvisionOptions, 'region' | 'accountId' | 'motoUrl'>): LocalResolver {
  const name = (id: string): string | undefined => {
    const r = template.Resources[id];
    if (r?.Type === 'AWS::SQS::Queue') return String(r.Properties?.['QueueName']);
    if (r?.Type === 'AWS::S3::Bucket') return r.Properties?.['BucketName'] as string | undefined;
    if (r?.Type === 'AWS::IAM::Role') return (r.Properties?.['RoleName'] as string | undefined) ?? id;
    return undefined;
  };
  return {
    region: o.region,
    accountId: o.accountId,
    ref(id) {
      const r = template.Resources[id];
      const n = name(id);
      if (!r || !n) return undefined;
      return r.Type === 'AWS::SQS::Queue' ? `${o.motoUrl}/${o.accountId}/${n}` : n;
    },
    getAtt(id, attribute) {
      const r = template.Resources[id];
      const n = name(id);
      if (!r || !n || attribute !== 'Arn') return undefined;
      if (r.Type === 'AWS::IAM::Role') return `arn:aws:iam::${o.accountId}:role/${n}`;
      return r.Type === 'AWS::SQS::Queue' ? sqsQueueArn(o.region, o.accountId, n) : `arn:aws:s3:::${n}`;
    },
  };
}

function awsClients(o: Pick<ProvisionOptions, 'region' | 'motoUrl'>) {
  const moto = { region: o.region, moto: { url: o.motoUrl } };
  return { s3: localS3Client(moto), sqs: localSqsClient(moto), ssm: localSsmClient(moto) };
}

export async function provision(o: ProvisionOptions): Promise<ProvisionedResources> {
  const { template } = o;
  const resolver = localResolver(template, o);
  const resolve = <T>(value: unknown): T => resolveIntrinsics(value, resolver) as T;
  const { s3, sqs, ssm } = awsClients(o);
  try {
    // Queues first (the bucket notification targets one); attributes set separately so that
    // re-running with changed attributes updates instead of failing with QueueAlreadyExists.
    const queues = resourcesOfType(template, 'AWS::SQS::Queue');
    for (const [, queue] of queues) {
      await sqs.send(new CreateQueueCommand({ QueueName: String(queue.Properties?.['QueueName']) }));
    }
    for (const [id, queue] of queues) {
      const attributes = toQueueAttributes(resolve(queue.Properties ?? {}));
      await sqs.send(new SetQueueAttributesCommand({ QueueUrl: resolver.ref(id)!, Attributes: attributes }));
    }
    for (const [, policy] of resourcesOfType(template, 'AWS::SQS::QueuePolicy')) {
      const p = resolve<{ Queues: string[]; PolicyDocument: unknown }>(policy.Properties);
      for (const queueUrl of p.Queues) {
        await sqs.send(new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: { Policy: JSON.stringify(p.PolicyDocument) } }));
      }
    }

    const buckets = resourcesOfType(template, 'AWS::S3::Bucket').filter(([, b]) => b.Properties?.['BucketName']);
    for (const [, bucket] of buckets) {
      const p = resolve<Record<string, any>>(bucket.Properties);
      const Bucket = String(p['BucketName']);
      await ensureBucket(s3, Bucket);
      if (p['BucketEncryption']) {
        const ServerSideEncryptionConfiguration = toEncryptionConfiguration(p['BucketEncryption']) as ServerSideEncryptionConfiguration;
        await s3.send(new PutBucketEncryptionCommand({ Bucket, ServerSideEncryptionConfiguration }));
      }
      if (p['PublicAccessBlockConfiguration']) {
        await s3.send(new PutPublicAccessBlockCommand({ Bucket, PublicAccessBlockConfiguration: p['PublicAccessBlockConfiguration'] }));
      }
      if (p['OwnershipControls']) {
        await s3.send(new PutBucketOwnershipControlsCommand({ Bucket, OwnershipControls: p['OwnershipControls'] }));
      }
      if (p['VersioningConfiguration']) {
        await s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: p['VersioningConfiguration'] }));
      }
      if (p['LifecycleConfiguration']) {
        const LifecycleConfiguration = toLifecycleConfiguration(p['LifecycleConfiguration']) as BucketLifecycleConfiguration;
        await s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket, LifecycleConfiguration }));
      }
      if (p['NotificationConfiguration']) {
        const NotificationConfiguration = toNotificationConfiguration(p['NotificationConfiguration']) as NotificationConfiguration;
        await s3.send(new PutBucketNotificationConfigurationCommand({ Bucket, NotificationConfiguration }));
      }
    }
    for (const [, policy] of resourcesOfType(template, 'AWS::S3::BucketPolicy')) {
      // Skip the framework's deployment bucket: it only exists on AWS.
      if (!buckets.some(([id]) => id === referencedLogicalId(policy.Properties?.['Bucket']))) continue;
      const p = resolve<{ Bucket: string; PolicyDocument: Parameters<typeof localBucketPolicy>[0] }>(policy.Properties);
      const local = localBucketPolicy(p.PolicyDocument);
      if (local.Statement.length > 0) {
        await s3.send(new PutBucketPolicyCommand({ Bucket: p.Bucket, Policy: JSON.stringify(local) }));
      } else {
        await s3.send(new DeleteBucketPolicyCommand({ Bucket: p.Bucket }));
      }
    }

    const fn = readFunction(template, INDEXER_LOGICAL_ID);
    const mapping = readEventSourceMapping(template, INDEXER_LOGICAL_ID);
    const cluster = { ES_NODE: o.esNode, CLUSTER_KIND: o.clusterKind };
    const environment: Record<string, string> = { ...resolve<Record<string, string>>(fn.environment), ...cluster };
    const esCredentialsParam = environment['ES_CREDENTIALS_PARAM'];
    if (!esCredentialsParam) throw new Error(`${INDEXER_LOGICAL_ID} has no ES_CREDENTIALS_PARAM`);
    await ssm.send(
      new PutParameterCommand({
        Name: esCredentialsParam,
        Type: 'SecureString',
        Value: JSON.stringify(o.esCredentials),
        Overwrite: true,
      }),
    );

    const dlqId = deadLetterQueueOf(template, mapping.queueLogicalId);
    if (!dlqId) throw new Error(`${mapping.queueLogicalId} has no RedrivePolicy`);
    const chunkQueueUrl = resolver.ref(mapping.queueLogicalId)!;
    await deleteS3TestEvents(sqs, chunkQueueUrl);

    const assemblerFn = readFunction(template, ASSEMBLER_LOGICAL_ID);
    const assemblerMapping = readEventSourceMapping(template, ASSEMBLER_LOGICAL_ID);
    const assemblerDlq = deadLetterQueueOf(template, assemblerMapping.queueLogicalId);
    if (!assemblerDlq) throw new Error(`${assemblerMapping.queueLogicalId} has no RedrivePolicy`);
    const assembleQueueUrl = resolver.ref(assemblerMapping.queueLogicalId)!;
    await deleteS3TestEvents(sqs, assembleQueueUrl);
    const signerFn = readFunction(template, SIGNER_LOGICAL_ID);
    const logsFn = readFunction(template, LOGS_API_LOGICAL_ID);
    const logsEnvironment: Record<string, string> = { ...resolve<Record<string, string>>(logsFn.environment), ...cluster };
    const readerParam = logsEnvironment['ES_READER_CREDENTIALS_PARAM'];
    if (!readerParam) throw new Error(`${LOGS_API_LOGICAL_ID} has no ES_READER_CREDENTIALS_PARAM`);
    await ssm.send(new PutParameterCommand({ Name: readerParam, Type: 'SecureString', Value: JSON.stringify(o.esReaderCredentials), Overwrite: true }));
    return {
      stage: o.stage,
      templatePath: o.templatePath,
      bucket: environment['LOG_BUCKET']!,
      chunkQueueUrl,
      chunkQueueArn: resolver.getAtt(mapping.queueLogicalId, 'Arn')!,
      deadLetterQueueUrl: resolver.ref(dlqId)!,
      deadLetterQueueArn: resolver.getAtt(dlqId, 'Arn')!,
      esCredentialsParam,
      function: {
        logicalId: fn.logicalId,
        functionName: fn.functionName,
        handler: fn.handler,
        timeoutS: fn.timeoutS,
        memoryMb: fn.memoryMb,
        batchSize: mapping.batchSize,
        batchingWindowS: mapping.batchingWindowS,
        reportBatchItemFailures: mapping.reportBatchItemFailures,
        environment,
      },
      assembler: {
        logicalId: assemblerFn.logicalId,
        functionName: assemblerFn.functionName,
        handler: assemblerFn.handler,
        timeoutS: assemblerFn.timeoutS,
        memoryMb: assemblerFn.memoryMb,
        batchSize: assemblerMapping.batchSize,
        batchingWindowS: assemblerMapping.batchingWindowS,
        reportBatchItemFailures: assemblerMapping.reportBatchItemFailures,
        environment: resolve<Record<string, string>>(assemblerFn.environment),
        queueUrl: assembleQueueUrl,
        queueArn: resolver.getAtt(assemblerMapping.queueLogicalId, 'Arn')!,
        deadLetterQueueUrl: resolver.ref(assemblerDlq)!,
      },
      signer: {
        functionName: signerFn.functionName,
        handler: signerFn.handler,
        environment: { ...resolve<Record<string, string>>(signerFn.environment), CLUSTER_KIND: o.clusterKind },
        routes: httpRoutesOf(template, SIGNER_LOGICAL_ID),
      },
      logsApi: {
        functionName: logsFn.functionName,
        handler: logsFn.handler,
        environment: logsEnvironment,
        routes: httpRoutesOf(template, LOGS_API_LOGICAL_ID),
      },
    };
  } finally {
    s3.destroy();
    sqs.destroy();
    ssm.destroy();
  }
}

/**
 * S3 (and moto) announce every new notification configuration with an `s3:TestEvent` message.
 * Provisioning runs on every `up`, so remove them; other messages become visible again at once.
 * (Not PurgeQueue: SQS, and moto, allow one purge per queue per 60 s.)
 */
async function deleteS3TestEvents(sqs: SQSClient, queueUrl: string): Promise<void> {
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 0 }),
    );
    const testEvents = Messages.filter((m) => (m.Body ?? '').includes('"s3:TestEvent"'));
    if (testEvents.length === 0) return;
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: testEvents.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
  }
}
