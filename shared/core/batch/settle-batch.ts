import type { SQSBatchResponse } from 'aws-lambda';
import { describeError, isPermanent, type JoblogsError } from '../errors.js';
import { deadLetterReport, type DeadLetterReport, type FailureSite } from './dead-letter-report.js';

/** Stores a dead-letter report; resolves with where it went. Throws (transient) when it could not. */
export interface DeadLetterWriter {
  write(report: DeadLetterReport): Promise<string>;
}

/** The two log calls settling needs (a pino logger fits). */
export interface SettleLog {
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface SettleDeps {
  deadLetters: DeadLetterWriter;
  log: SettleLog;
  now: () => number;
}

/** A piece of a batch's work: the messages it answers for, and where it failed if it does. */
export type WorkSite = Omit<FailureSite, 'messageId'> & { messageIds: readonly string[] };

/**
 * The one rule every SQS-triggered function follows: a **permanent** failure is written to the
 * dead-letter path with its reason and its messages are acknowledged; anything else — transient,
 * unclassified, or a report that could not be written — hands its messages back to SQS as batch
 * item failures, so SQS redelivers exactly those and, after `maxReceiveCount`, moves them to the
 * queue's DLQ (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html).
 * In the spirit of Powertools' `processPartialResponse`.
 *
 * @example
 * const batch = new BatchSettlement({ deadLetters, log: logger, now: Date.now });
 * for (const record of event.Records) {
 *   await batch.settle({ messageIds: [record.messageId] }, () => handle(record));
 * }
 * return batch.response(); // { batchItemFailures: [{ itemIdentifier }, …] }
 */
export class BatchSettlement {
  readonly #retry = new Set<string>();
  readonly #deps: SettleDeps;
  deadLettered = 0;
  failed = 0;

  constructor(deps: SettleDeps) {
    this.#deps = deps;
  }

  /** Runs `work`; resolves true when its messages may be acknowledged, false when SQS must redeliver them. */
  async settle(site: WorkSite, work: () => Promise<void>): Promise<boolean> {
    try {
      await work();
      return true;
    } catch (error) {
      if (isPermanent(error) && (await this.#deadLetter(error, site))) return true;
      if (!isPermanent(error)) this.#handBack(site, error);
      return false;
    }
  }

  /** True when a message of this batch is already going back to SQS. */
  willRetry(messageId: string): boolean {
    return this.#retry.has(messageId);
  }

  response(): SQSBatchResponse {
    return { batchItemFailures: [...this.#retry].map((itemIdentifier) => ({ itemIdentifier })) };
  }

  /** One report per message; a message whose report cannot be written is handed back instead. */
  async #deadLetter(error: JoblogsError, site: WorkSite): Promise<boolean> {
    const { messageIds, ...where } = site;
    let all = true;
    for (const messageId of messageIds) {
      const report = deadLetterReport(error, { ...where, messageId }, new Date(this.#deps.now()));
      try {
        const key = await this.#deps.deadLetters.write(report);
        this.deadLettered++;
        this.#deps.log.error(
          { messageId, ...where, code: report.code, reason: report.reason, deadLetter: key },
          'permanent failure sent to the dead-letter path',
        );
      } catch (writeError) {
        this.#handBack({ ...where, messageIds: [messageId] }, writeError);
        all = false;
      }
    }
    return all;
  }

  #handBack(site: WorkSite, error: unknown): void {
    this.failed++;
    for (const id of site.messageIds) this.#retry.add(id);
    this.#deps.log.warn({ ...site, error: describeError(error) }, 'will be retried');
  }
}
