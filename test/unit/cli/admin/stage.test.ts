import { describe, expect, it } from 'vitest';
import { adminConfig } from '../../../../cli/admin/config.js';
import { resolveStage } from '../../../../cli/admin/stage.js';
import type { StageOutputs } from '../../../../shared/adapters/cloudformation/stage-outputs.js';
import type { QueueAdmin } from '../../../../shared/adapters/sqs/queue-admin.js';

const queues = {
  urlOf: async (name: string) => `https://sqs.example/123/${name}`,
  depth: async (url: string) => ({ arn: `arn:aws:sqs:us-east-1:123:${url.split('/').at(-1)}`, visible: 0, inFlight: 0, delayed: 0 }),
} as unknown as QueueAdmin;

const outputs = (o: Record<string, string> | undefined): StageOutputs => ({
  read: async () => (o ? { outputs: o } : { outputs: undefined, why: 'Stack with id joblogs-dev does not exist' }),
});

describe('resolveStage', () => {
  it('reads the stage from its stack outputs', async () => {
    const stage = await resolveStage(adminConfig({ stage: 'dev' }, {}), {
      queues,
      outputs: outputs({
        LogBucketName: 'logs-dev',
        EsNode: 'https://es.dev:9200',
        ChunkQueueUrl: 'q1',
        ChunkQueueArn: 'a1',
        ChunkDLQUrl: 'q2',
        ChunkDLQArn: 'a2',
        AssembleQueueUrl: 'q3',
        AssembleQueueArn: 'a3',
        AssembleDLQUrl: 'q4',
        AssembleDLQArn: 'a4',
      }),
    });
    expect(stage).toMatchObject({
      from: 'stack outputs',
      bucket: 'logs-dev',
      esNode: 'https://es.dev:9200',
      chunks: { url: 'q1', arn: 'a1' },
      assembleDlq: { name: 'joblogs-dev-assemble-dlq', url: 'q4', arn: 'a4' },
    });
  });

  it("falls back to the template's names when there is no stack, and says why", async () => {
    const stage = await resolveStage(adminConfig({ stage: 'dev', esUrl: 'http://127.0.0.1:9200' }, {}), { queues, outputs: outputs(undefined) });
    expect(stage).toMatchObject({
      from: 'names by convention',
      note: 'Stack with id joblogs-dev does not exist',
      bucket: 'joblogs-dev-logs',
      chunksDlq: { url: 'https://sqs.example/123/joblogs-dev-chunks-dlq', arn: 'arn:aws:sqs:us-east-1:123:joblogs-dev-chunks-dlq' },
      esNode: 'http://127.0.0.1:9200',
    });
    const noEs = await resolveStage(adminConfig({ stage: 'dev' }, {}), { queues, outputs: outputs(undefined) });
    expect(noEs).toMatchObject({ esNode: undefined, esMissing: 'Stack with id joblogs-dev does not exist' });
  });

  it('lets flags win over the outputs', async () => {
    const stage = await resolveStage(adminConfig({ stage: 'dev', bucket: 'other-bucket', esUrl: 'https://es.elsewhere' }, {}), {
      queues,
      outputs: outputs({ LogBucketName: 'logs-dev', EsNode: 'https://es.dev:9200' }),
    });
    expect(stage).toMatchObject({ bucket: 'other-bucket', esNode: 'https://es.elsewhere' });
  });
});
