import type { AssembleQueue } from '../../shared/adapters/sqs/assemble-queue.js';
import type { AssembleRequest } from '../../shared/core/download/index.js';
import { QueueUnavailableError } from '../../shared/core/errors.js';

/**
 * The assembler's queue in memory: what was sent, with its delay; `failing` makes every send
 * fail as an unavailable SQS would.
 *
 * @example
 * const queue = new MemoryQueue();
 * await deps.queue.send({ jobId: 'j' }, 30);
 * queue.sent; // [{ request: { jobId: 'j' }, delaySeconds: 30 }]
 */
export class MemoryQueue implements AssembleQueue {
  readonly sent: Array<{ request: AssembleRequest; delaySeconds: number }> = [];
  failing = false;

  async send(request: AssembleRequest, delaySeconds = 0): Promise<void> {
    if (this.failing) throw new QueueUnavailableError(`Could not send an assembler request for job ${request.jobId}`);
    this.sent.push({ request: structuredClone(request), delaySeconds });
  }
}
