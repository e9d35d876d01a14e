import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { TransientError } from '../../core/errors.js';

/** The assembler's queue, seen from the signer: "build what exists of this running job now". */
export class AssemblyQueueUnavailableError extends TransientError {
  readonly code = 'ASSEMBLY_QUEUE_UNAVAILABLE';
}

export interface AssemblyQueue {
  requestPartial(jobId: string): Promise<void>;
}

/** Message body the assembler reads: `{"jobId":"<id>","partial":true}`. */
export function partialAssemblyMessage(jobId: string): string {
  return JSON.stringify({ jobId, partial: true });
}

export function sqsAssemblyQueue(sqs: SQSClient, o: { queueUrl: string }): AssemblyQueue {
  return {
    async requestPartial(jobId) {
      try {
        await sqs.send(new SendMessageCommand({ QueueUrl: o.queueUrl, MessageBody: partialAssemblyMessage(jobId) }));
      } catch (error) {
        throw new AssemblyQueueUnavailableError(`Could not queue the assembly of ${jobId}: ${(error as Error).message}`, { cause: error });
      }
    },
  };
}
