/**
 * The one invariant every fault scenario ends with (issue 6): the lines a job printed are in
 * Elasticsearch exactly once — by `_id` (the deterministic id of each line's position) and by
 * content (message, chunk and printed order). Further views of the same lines (the download
 * file of issue 4) plug in as `views` and must equal the printed lines too.
 *
 *   const verdict = await checkExactlyOnce(stack, { dataStream, jobId, printed });
 *   expect(verdict.problems).toEqual([]);
 */
import { documentId, documentIdPrefix, parseChunkKey, SEQUENCE_STRIDE } from '../../shared/core/index.js';
import { jobDocuments } from './es-documents.js';
import type { LocalStack } from './stack.js';

/** One chunk as its producer wrote it: plain-text lines (each line's `message` is the line itself). */
export interface PrintedChunk {
  key: string;
  lines: string[];
}

/** Another place the printed lines must come out of, in printed order (e.g. the download file). */
export interface LinesView {
  name: string;
  lines(): Promise<string[]>;
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

interface Expected {
  message: string;
  sequence: number;
  source: string;
}

export async function checkExactlyOnce(
  stack: Pick<LocalStack, 'info' | 'bucket'>,
  options: { dataStream: string; jobId: string; printed: readonly PrintedChunk[]; views?: readonly LinesView[] },
): Promise<InvariantVerdict> {
  const expected = new Map<string, Expected>();
  for (const chunk of options.printed) {
    const { source, seq } = parseChunkKey(chunk.key);
    const prefix = documentIdPrefix(stack.bucket, chunk.key);
    chunk.lines.forEach((message, position) => {
      if (message.trim() !== '') expected.set(documentId(prefix, position), { message, sequence: seq * SEQUENCE_STRIDE + position, source });
    });
  }
  const docs = await jobDocuments(stack, options.dataStream, options.jobId);
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
  const indexedInOrder = docs.map((d) => d._source['message']);
  if (JSON.stringify(inOrder) !== JSON.stringify(indexedInOrder)) problems.push('the documents, in printed order, are not the printed lines');
  for (const view of options.views ?? []) {
    const lines = (await view.lines()).filter((l) => l.trim() !== '');
    if (JSON.stringify(lines) !== JSON.stringify(inOrder)) problems.push(`${view.name}: its lines are not the printed lines (${lines.length} vs ${inOrder.length})`);
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

/** One line for reports: `1500 printed = 1500 indexed, 0 missing, 0 duplicated`. */
export function describeVerdict(v: InvariantVerdict): string {
  return `${v.printed} printed, ${v.indexed} in Elasticsearch, ${v.missing} missing, ${v.duplicated + v.unexpected} extra, ${v.wrongContent} wrong`;
}
