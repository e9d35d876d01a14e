/**
 * The one invariant every fault scenario ends with (issue 6): the lines a job printed are in
 * Elasticsearch exactly once — by `_id` (the deterministic id of each line's position) and by
 * content (message, chunk and printed order). Further views of the same lines (the download
 * file of issue 4) plug in as `views` and must equal the printed lines too. The judging itself
 * is scripts/local/exactly-once.ts, shared with the load run (scripts/load.ts).
 *
 *   const verdict = await checkExactlyOnce(stack, { dataStream, jobId, printed });
 *   expect(verdict.problems).toEqual([]);
 */
import { describeVerdict, expectedDocuments, exactlyOnceVerdict, type InvariantVerdict, type PrintedChunk } from '../../scripts/local/exactly-once.js';
import { jobDocuments } from './es-documents.js';
import type { LocalStack } from './stack.js';

export { describeVerdict, type InvariantVerdict, type PrintedChunk };

/** Another place the printed lines must come out of, in printed order (e.g. the download file). */
export interface LinesView {
  name: string;
  lines(): Promise<string[]>;
}

export async function checkExactlyOnce(
  stack: Pick<LocalStack, 'info' | 'bucket'>,
  options: { dataStream: string; jobId: string; printed: readonly PrintedChunk[]; views?: readonly LinesView[] },
): Promise<InvariantVerdict> {
  const expected = expectedDocuments(stack.bucket, options.printed);
  const docs = await jobDocuments(stack, options.dataStream, options.jobId);
  const views = [];
  for (const view of options.views ?? []) views.push({ name: view.name, lines: await view.lines() });
  return exactlyOnceVerdict(expected, docs, views);
}
