/**
 * Talking to the local stack's moto: one place for its endpoint, region and fake credentials,
 * as client settings (for our own clients) and as environment variables (for the clients inside
 * a handler, which every AWS SDK v3 client reads).
 *
 * @example
 * const s3 = localS3Client(stack);                        // path-style, as moto on loopback needs
 * Object.assign(process.env, awsLocalEnv(stack));         // what a handler's own clients read
 */
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { StackInfo } from './stack-file.js';

export type MotoEndpoint = Pick<StackInfo, 'region'> & { moto: { url: string } };

/** Region, endpoint and moto's fake credentials, for any AWS SDK v3 client. */
export function localAwsConfig(stack: MotoEndpoint) {
  return { region: stack.region, endpoint: stack.moto.url, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
}

/** An S3 client for moto (path-style: no bucket subdomains on loopback); `extra` e.g. a bigger socket pool. */
export function localS3Client(stack: MotoEndpoint, extra: Partial<S3ClientConfig> = {}): S3Client {
  return new S3Client({ ...localAwsConfig(stack), forcePathStyle: true, ...extra });
}

export function localSqsClient(stack: MotoEndpoint): SQSClient {
  return new SQSClient(localAwsConfig(stack));
}

export function localSsmClient(stack: MotoEndpoint): SSMClient {
  return new SSMClient(localAwsConfig(stack));
}

/** Fake credentials for moto, and the endpoint every AWS SDK v3 client honours. */
export function awsLocalEnv(stack: MotoEndpoint): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: stack.moto.url,
    AWS_REGION: stack.region,
    AWS_DEFAULT_REGION: stack.region,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  };
}
