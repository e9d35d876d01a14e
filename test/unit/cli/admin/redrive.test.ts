import { describe, expect, it } from 'vitest';
import { redriveCommand } from '../../../../cli/admin/commands/redrive.js';
import type { AdminDeps } from '../../../../cli/admin/deps.js';
import type { MoveTaskStatus, QueueAdmin, QueueDepth } from '../../../../shared/adapters/sqs/queue-admin.js';

const ref = (name: string) => ({ name, url: `https://sqs/${name}`, arn: `arn:${name}` });

/** The command over a fake SQS that has StartMessageMoveTask, as AWS does. */
function depsWith(queues: Partial<QueueAdmin>): AdminDeps {
  let now = 0;
  return {
    stage: {
      stage: 'dev',
      bucket: 'b',
      chunks: ref('chunks'),
      chunksDlq: ref('chunks-dlq'),
      assemble: ref('assemble'),
      assembleDlq: ref('assemble-dlq'),
      esNode: undefined,
      from: 'stack outputs',
    },
    config: { progress: false },
    io: { stdout: () => {}, stderr: () => {}, stderrIsTty: false },
    queues: queues as QueueAdmin,
    bucket: { listObjects: async function* () {} },
    now: () => now,
    sleep: async (ms: number) => void (now += ms),
  } as unknown as AdminDeps;
}

describe('redrive', () => {
  it("uses SQS's own move task where the endpoint has it, following it until it completes", async () => {
    const statuses: MoveTaskStatus[] = [
      { status: 'RUNNING', moved: 10, toMove: 30, failure: undefined },
      { status: 'COMPLETED', moved: 30, toMove: 30, failure: undefined },
    ];
    const started: unknown[] = [];
    const depth: Record<string, QueueDepth> = { 'https://sqs/chunks-dlq': { arn: 'arn:chunks-dlq', visible: 30, inFlight: 0, delayed: 0 } };
    const deps = depsWith({
      depth: async (url) => depth[url] ?? { arn: '', visible: 0, inFlight: 0, delayed: 0 },
      startMoveTask: async (o) => (started.push(o), { taskHandle: 'h' }),
      moveTaskStatus: async () => statuses.shift(),
      moveByCopy: async () => {
        throw new Error('not used where the move task exists');
      },
    });
    const { result, exitCode } = await redriveCommand({ queues: ['chunks'], perSecond: 20, method: 'auto', waitS: 0, max: 1000, dryRun: false }, deps);
    expect(started).toEqual([{ sourceArn: 'arn:chunks-dlq', destinationArn: 'arn:chunks', perSecond: 20 }]);
    expect(result).toEqual([{ queue: 'chunks', dlq: 'chunks-dlq', before: 30, method: 'move-task', moved: 30 }]);
    expect(exitCode).toBe(0);
  });

  it('refuses --method move-task where the endpoint lacks it, rather than moving another way', async () => {
    const deps = depsWith({ depth: async () => ({ arn: 'a', visible: 3, inFlight: 0, delayed: 0 }), startMoveTask: async () => 'unsupported' });
    await expect(redriveCommand({ queues: ['assemble'], perSecond: 1, method: 'move-task', waitS: 0, max: 10, dryRun: false }, deps)).rejects.toThrow(
      /use --method copy/,
    );
  });
});
