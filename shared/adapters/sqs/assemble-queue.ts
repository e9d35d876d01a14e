import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { StorageUnavailableError } from '../../core/errors.js';
import { type AssembleRequest } from '../../core/download/index.js';

/** SQS allows at most 15 minutes of delay per message. */
export const MAX_DELAY_SECONDS = 900;

/** Sends assembler requests (on-demand, delayed retries, continuations) to the assembler's queue. */
export function sqsAssembleQueue(sqs: SQSClient, queueUrl: string) {
  return {
    async send(request: AssembleRequest, delaySeconds = 0): Promise<void> {
      const DelaySeconds = Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil(delaySeconds)));
      try {
        await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(request), DelaySeconds }));
      } catch (error) {
        throw new StorageUnavailableError(`Could not send an assembler request for job ${request.jobId}: ${(error as Error).message}`, { cause: error });
      }
    },
  };
}
