/**
 * The one invariant every fault scenario and the load run end with (issue 6): the lines a job
 * printed are in Elasticsearch exactly once — by `_id` (the deterministic id of each line's
 * position) and by content (message, chunk and printed order) — and every further view of them
 * (the download file) equals the printed lines. The judging is pure ({@link exactlyOnceVerdict});
 * {@link checkExactlyOnce} fetches one job's documents and views and judges them.
 *
 * @example
 * const verdict = await checkExactlyOnce(stack, { dataStream, jobId, printed, views: [downloadLinesView(stack, jobId)] });
 * expect(verdict.problems).toEqual([]);
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { parseChunkKey, SEQUENCE_STRIDE } from '../shared/core/contract/index.js';
import { documentId, documentIdPrefix } from '../shared/core/ingest/index.js';
import { jobDocuments, type EsTarget, type JobDocument } from './es.js';
import { eventually } from './eventually.js';
import { readDownloadLines } from './s3.js';

/** One chunk as its producer wrote it: its lines in order (each line's `message` is the line itself). */
export interface PrintedChunk {
  key: string;
  lines: readonly string[];
}

/** Another place the printed lines came out of, in printed order (e.g. the download file). */
export interface ViewLines {
  name: string;
  lines: readonly string[];
}

export interface InvariantVerdict {
  /** Non-empty printed lines: the documents there must be. */
  printed: number;
  /** Documents of the job in Elasticsearch (all backing indices). */
  indexed: number;
  missing: number;
  /** Ids present more than once (possible only across backing indices). */
  duplicated: number;
  unexpected: number;
  /** Documents whose id is expected but whose content is not that line's. */
  wrongContent: number;
  /** Human-readable findings; empty when the invariant holds. */
  problems: string[];
}

export interface ExpectedDocument {
  message: string;
  sequence: number;
  source: string;
}

/** The document each non-empty printed line must become, by `_id`. */
export function expectedDocuments(bucket: string, printed: readonly PrintedChunk[]): Map<string, ExpectedDocument> {
  const expected = new Map<string, ExpectedDocument>();
  for (const chunk of printed) {
    const { source, seq } = parseChunkKey(chunk.key);
    const prefix = documentIdPrefix(bucket, chunk.key);
    chunk.lines.forEach((message, position) => {
      if (message.trim() !== '') expected.set(documentId(prefix, position), { message, sequence: seq * SEQUENCE_STRIDE + position, source });
    });
  }
  return expected;
}

/**
 * Judges one job: `docs` are all its documents in printed order (source, then `event.sequence`),
 * `views` further renderings of its lines (blank lines are ignored there, as they are not indexed).
 */
export function exactlyOnceVerdict(
  expected: ReadonlyMap<string, ExpectedDocument>,
  docs: readonly JobDocument[],
  views: readonly ViewLines[] = [],
): InvariantVerdict {
  const seen = new Map<string, number>();
  let wrongContent = 0;
  const problems: string[] = [];
  for (const doc of docs) {
    seen.set(doc._id, (seen.get(doc._id) ?? 0) + 1);
    const want = expected.get(doc._id);
    const s = doc._source;
    if (want && (s['message'] !== want.message || s['event']?.['sequence'] !== want.sequence || s['joblogs']?.['source'] !== want.source)) {
      wrongContent++;
      if (wrongContent <= 5) problems.push(`document ${doc._id} is ${JSON.stringify(s['message'])}, expected ${JSON.stringify(want.message)}`);
    }
  }
  const missing = [...expected.keys()].filter((id) => !seen.has(id));
  const duplicated = [...seen].filter(([, n]) => n > 1).map(([id]) => id);
  const unexpected = [...seen.keys()].filter((id) => !expected.has(id));
  if (missing.length) problems.push(`${missing.length} printed line(s) missing, e.g. ${JSON.stringify(expected.get(missing[0]!)?.message)}`);
  if (duplicated.length) problems.push(`${duplicated.length} line(s) indexed more than once, e.g. ${duplicated[0]}`);
  if (unexpected.length) problems.push(`${unexpected.length} document(s) that no printed line explains, e.g. ${unexpected[0]}`);
  // By content as well as by id: the printed lines, in printed order, are the documents' messages.
  const inOrder = [...expected.values()].sort((a, b) => a.source.localeCompare(b.source) || a.sequence - b.sequence).map((e) => e.message);
  if (!sameLines(inOrder, docs.map((d) => d._source['message']))) problems.push('the documents, in printed order, are not the printed lines');
  for (const view of views) {
    const lines = view.lines.filter((l) => l.trim() !== '');
    if (!sameLines(lines, inOrder)) problems.push(`${view.name}: its lines are not the printed lines (${lines.length} vs ${inOrder.length})`);
  }
  return {
    printed: expected.size,
    indexed: docs.length,
    missing: missing.length,
    duplicated: duplicated.length,
    unexpected: unexpected.length,
    wrongContent,
    problems,
  };
}

/** One line for reports: `1500 printed, 1500 in Elasticsearch, 0 missing, 0 extra, 0 wrong`. */
export function describeVerdict(v: InvariantVerdict): string {
  return `${v.printed} printed, ${v.indexed} in Elasticsearch, ${v.missing} missing, ${v.duplicated + v.unexpected} extra, ${v.wrongContent} wrong`;
}

function sameLines(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((line, i) => line === b[i]);
}

/** Another place the printed lines must come out of, in printed order (e.g. the download file). */
export interface LinesView {
  name: string;
  lines(): Promise<string[]>;
}

/** Judges one job on the stack: its documents in `dataStream` and every view against `printed`. */
export async function checkExactlyOnce(
  stack: EsTarget & { bucket: string },
  options: { dataStream: string; jobId: string; printed: readonly PrintedChunk[]; views?: readonly LinesView[] },
): Promise<InvariantVerdict> {
  const expected = expectedDocuments(stack.bucket, options.printed);
  const docs = await jobDocuments(stack, options.dataStream, options.jobId);
  const views = [];
  for (const view of options.views ?? []) views.push({ name: view.name, lines: await view.lines() });
  return exactlyOnceVerdict(expected, docs, views);
}

/** The job's download file as a view: waits until the assembler wrote it complete. */
export function downloadLinesView(stack: { s3: S3Client; bucket: string }, jobId: string, timeoutMs = 60_000): LinesView {
  return {
    name: 'download file',
    lines: () => eventually(() => readDownloadLines(stack.s3, stack.bucket, jobId), (lines) => lines !== undefined, `the download file of ${jobId}`, timeoutMs) as Promise<string[]>,
  };
}
