import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { AssembleRequest } from '../../core/download/index.js';
import { QueueUnavailableError } from '../../core/errors.js';

/** SQS allows at most 15 minutes of delay per message. */
export const MAX_DELAY_SECONDS = 900;

/** The assembler's queue: on-demand partial assemblies (signer), delayed retries and continuations (assembler). */
export interface AssembleQueue {
  /** Throws {@link QueueUnavailableError} when the request could not be sent. */
  send(request: AssembleRequest, delaySeconds?: number): Promise<void>;
}

export function sqsAssembleQueue(sqs: SQSClient, queueUrl: string): AssembleQueue {
  return {
    async send(request, delaySeconds = 0) {
      const DelaySeconds = Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil(delaySeconds)));
      try {
        await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(request), DelaySeconds }));
      } catch (error) {
        throw new QueueUnavailableError(`Could not send an assembler request for job ${request.jobId}: ${(error as Error).message}`, { cause: error });
      }
    },
  };
}
