import type { StageOutputs } from '../../shared/adapters/cloudformation/stage-outputs.js';
import type { QueueAdmin } from '../../shared/adapters/sqs/queue-admin.js';
import type { AdminConfig } from './config.js';

export interface QueueRef {
  name: string;
  url: string;
  arn: string;
}

/** Where a stage's pieces are. */
export interface StageResources {
  stage: string;
  bucket: string;
  chunks: QueueRef;
  chunksDlq: QueueRef;
  assemble: QueueRef;
  assembleDlq: QueueRef;
  /** Undefined when neither `--es-url` nor the stack says (commands that need it refuse then). */
  esNode: string | undefined;
  /** Why there is no `esNode`. */
  esMissing?: string;
  /** How they were found: the stack's outputs, or the template's names (with why the outputs were not read). */
  from: 'stack outputs' | 'names by convention';
  note?: string;
}

/**
 * Finds a stage: the outputs of its stack `joblogs-<stage>` (what `sls deploy` wrote), else the
 * names the template gives (`joblogs-<stage>-logs`, `joblogs-<stage>-chunks`, …) — a local stack,
 * or credentials without CloudFormation access. Flags win over both.
 */
export async function resolveStage(config: AdminConfig, deps: { outputs: StageOutputs; queues: QueueAdmin }): Promise<StageResources> {
  const read = await deps.outputs.read(`joblogs-${config.stage}`);
  const out = read.outputs ?? {};
  const esNode = config.esUrl ?? out['EsNode'];
  const esMissing = esNode ? undefined : read.outputs ? 'the stack has no EsNode output (deployed before it existed?)' : read.why;
  const queue = async (suffix: string, urlOutput: string, arnOutput: string): Promise<QueueRef> => {
    const name = `joblogs-${config.stage}-${suffix}`;
    const url = out[urlOutput] ?? (await deps.queues.urlOf(name));
    const arn = out[arnOutput] ?? (await deps.queues.depth(url)).arn;
    return { name, url, arn };
  };
  return {
    stage: config.stage,
    bucket: config.bucket ?? out['LogBucketName'] ?? `joblogs-${config.stage}-logs`,
    chunks: await queue('chunks', 'ChunkQueueUrl', 'ChunkQueueArn'),
    chunksDlq: await queue('chunks-dlq', 'ChunkDLQUrl', 'ChunkDLQArn'),
    assemble: await queue('assemble', 'AssembleQueueUrl', 'AssembleQueueArn'),
    assembleDlq: await queue('assemble-dlq', 'AssembleDLQUrl', 'AssembleDLQArn'),
    esNode,
    ...(esMissing ? { esMissing } : {}),
    from: read.outputs ? 'stack outputs' : 'names by convention',
    ...(read.outputs ? {} : { note: read.why }),
  };
}
