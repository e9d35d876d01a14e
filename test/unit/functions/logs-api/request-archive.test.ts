import { LRUCache } from 'lru-cache';
import { describe, expect, it } from 'vitest';
import { requestArchive } from '../../../../functions/logs-api/archive-source.js';
import type { LogsApiDeps } from '../../../../functions/logs-api/deps.js';
import { createLogger } from '../../../../shared/adapters/logger.js';
import type { AssembleRequest } from '../../../../shared/core/download/index.js';
import { discardSink } from '../../../../testkit/index.js';

/** What requestArchive reads of the deps: a queue that keeps what it is sent, the container's memory of requests, a clock. */
function deps(clock: { now: number }) {
  const sent: AssembleRequest[] = [];
  const archiveRequests = new LRUCache<string, number>({ max: 100 });
  const d = {
    assembly: { send: async (request: AssembleRequest) => void sent.push(request) },
    archiveRequests,
    logger: createLogger('test', discardSink()),
    now: () => clock.now,
  } as unknown as LogsApiDeps;
  return { d, sent };
}

describe('asking the assembler for the archive of a job that aged out without one', () => {
  it('answers 202 every time, but asks once per job and container while clients poll, and again after ten minutes', async () => {
    const clock = { now: 1_000_000 };
    const { d, sent } = deps(clock);
    for (let poll = 0; poll < 5; poll++) {
      await expect(requestArchive('job-1', d)).rejects.toMatchObject({ statusCode: 202, code: 'ARCHIVING', headers: { 'Retry-After': '10' } });
      clock.now += 10_000;
    }
    await expect(requestArchive('job-2', d)).rejects.toMatchObject({ statusCode: 202 });
    expect(sent).toEqual([
      { jobId: 'job-1', archive: true, ifMissing: true },
      { jobId: 'job-2', archive: true, ifMissing: true },
    ]);
    clock.now += 10 * 60_000;
    await expect(requestArchive('job-1', d)).rejects.toMatchObject({ statusCode: 202 });
    expect(sent).toHaveLength(3);
  });
});
