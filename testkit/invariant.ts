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
import { printedText } from '../shared/core/logs/index.js';
import { jobDocuments, type EsTarget, type JobDocument } from './es.js';
import { eventually } from './eventually.js';
import { readDownloadLines } from './s3.js';

/** One chunk as its producer wrote it: its lines in order (each line's `message` is the line itself). */
export interface PrintedChunk {
  key: string;
  lines: readonly string[];
  /** For `framed-v1` chunks: each line's number and stream (what events and progress bars are counted by). */
  frames?: ReadonlyArray<{ line: number; stream: string }>;
}

/** Another place the printed lines came out of, in printed order (e.g. the download file). */
export interface ViewLines {
  name: string;
  lines: readonly string[];
}

export interface InvariantVerdict {
  /** Non-empty printed lines: each must be in exactly one document. */
  printed: number;
  /** Printed lines found in Elasticsearch, counted through events and collapsed progress bars. */
  indexed: number;
  /** Documents of the job in Elasticsearch (all backing indices). */
  documents: number;
  missing: number;
  /** Printed lines in more than one document, or ids present more than once. */
  duplicated: number;
  unexpected: number;
  /** Documents whose id is expected but whose content is not what those lines are. */
  wrongContent: number;
  /** Human-readable findings; empty when the invariant holds. */
  problems: string[];
}

/** One printed line: where it is and what it says. */
export interface ExpectedDocument {
  message: string;
  sequence: number;
  source: string;
  key: string;
  position: number;
  line?: number;
  stream?: string;
}

/** Every printed line, by the `_id` it would have as a document of its own, and by source and line number. */
export interface PrintedLines {
  byId: Map<string, ExpectedDocument>;
  byLine: Map<string, ExpectedDocument>;
  byPosition: Map<string, ExpectedDocument>;
}

const lineKey = (source: string, line: number) => `${source}\u0000${line}`;
const positionKey = (key: string, position: number) => `${key}\u0000${position}`;

/** The printed lines of a job, indexed the ways documents point at them. */
export function expectedDocuments(bucket: string, printed: readonly PrintedChunk[]): PrintedLines {
  const lines: PrintedLines = { byId: new Map(), byLine: new Map(), byPosition: new Map() };
  for (const chunk of printed) {
    const { source, seq } = parseChunkKey(chunk.key);
    const prefix = documentIdPrefix(bucket, chunk.key);
    chunk.lines.forEach((message, position) => {
      const frame = chunk.frames?.[position];
      const entry: ExpectedDocument = {
        message,
        sequence: seq * SEQUENCE_STRIDE + position,
        source,
        key: chunk.key,
        position,
        ...(frame ? { line: frame.line, stream: frame.stream } : {}),
      };
      lines.byId.set(documentId(prefix, position), entry);
      lines.byPosition.set(positionKey(chunk.key, position), entry);
      if (frame) lines.byLine.set(lineKey(source, frame.line), entry);
    });
  }
  return lines;
}

/**
 * The printed lines one document stands for, from its own fields: a line its own; an event
 * (`joblogs.span`) the lines `line…` (or `joblogs.lines`); a collapsed progress bar
 * (`joblogs.redraws`) its stream's lines from `line` to `last_line`. In `lines` chunks (no
 * line numbers) the positions that follow its first one.
 */
function coveredBy(doc: JobDocument, anchor: ExpectedDocument, printed: PrintedLines): Array<ExpectedDocument | undefined> {
  const j = doc._source['joblogs'] ?? {};
  const span = typeof j['span'] === 'number' ? j['span'] : 1;
  if (span <= 1) return [anchor];
  if (anchor.line === undefined) {
    const positions: number[] = Array.isArray(j['positions']) ? j['positions'] : Array.from({ length: span }, (_, i) => anchor.position + i);
    return positions.map((p) => printed.byPosition.get(positionKey(anchor.key, p)));
  }
  if (typeof j['redraws'] === 'number') {
    const states: Array<ExpectedDocument | undefined> = [];
    for (let n = anchor.line; n <= (j['last_line'] ?? anchor.line); n++) {
      const entry = printed.byLine.get(lineKey(anchor.source, n));
      if (!entry || entry.stream === j['stream']) states.push(entry);
    }
    return states;
  }
  const numbers: number[] = Array.isArray(j['lines']) ? j['lines'] : Array.from({ length: span }, (_, i) => anchor.line! + i);
  return numbers.map((n) => printed.byLine.get(lineKey(anchor.source, n)));
}

/** What a document's message must be, given the lines it stands for. */
function expectedMessage(doc: JobDocument, lines: readonly ExpectedDocument[]): string {
  const j = doc._source['joblogs'] ?? {};
  if (typeof j['redraws'] === 'number') return [...lines].reverse().find((l) => l.message.trim() !== '')?.message ?? '';
  return lines.map((l) => l.message).join('\n');
}

/**
 * Judges one job: `docs` are all its documents, `views` further renderings of its lines (blank
 * lines are ignored there, as they are not indexed). Every non-empty printed line must be in
 * exactly one document — its own, or the event or progress bar that stands for it — whose
 * content is those lines, at the place (`_id`, sequence, source) of its first one.
 */
export function exactlyOnceVerdict(printed: PrintedLines, docs: readonly JobDocument[], views: readonly ViewLines[] = []): InvariantVerdict {
  const seenIds = new Map<string, number>();
  const covered = new Map<ExpectedDocument, number>();
  let wrongContent = 0;
  const unexpected: string[] = [];
  const problems: string[] = [];
  for (const doc of docs) {
    seenIds.set(doc._id, (seenIds.get(doc._id) ?? 0) + 1);
    const anchor = printed.byId.get(doc._id);
    if (!anchor) {
      unexpected.push(doc._id);
      continue;
    }
    const lines = coveredBy(doc, anchor, printed);
    const known = lines.filter((l): l is ExpectedDocument => l !== undefined);
    for (const line of known) covered.set(line, (covered.get(line) ?? 0) + 1);
    const s = doc._source;
    const want = expectedMessage(doc, known);
    // What was printed: the text as shown with its colour codes put back (the logs API's text).
    const text = printedText(s);
    if (known.length !== lines.length || text !== want || s['event']?.['sequence'] !== anchor.sequence || s['joblogs']?.['source'] !== anchor.source) {
      wrongContent++;
      if (wrongContent <= 5) problems.push(`document ${doc._id} is ${JSON.stringify(text.slice(0, 200))}, expected ${JSON.stringify(want.slice(0, 200))}`);
    }
  }
  const required = [...printed.byId.values()].filter((e) => e.message.trim() !== '');
  const missing = required.filter((e) => !covered.has(e));
  const twice = [...covered].filter(([, n]) => n > 1).map(([e]) => e);
  const duplicatedIds = [...seenIds].filter(([, n]) => n > 1).map(([id]) => id);
  if (missing.length) problems.push(`${missing.length} printed line(s) missing, e.g. ${JSON.stringify(missing[0]!.message)}`);
  if (twice.length) problems.push(`${twice.length} printed line(s) in more than one document, e.g. ${JSON.stringify(twice[0]!.message)}`);
  if (duplicatedIds.length) problems.push(`${duplicatedIds.length} document id(s) indexed more than once, e.g. ${duplicatedIds[0]}`);
  if (unexpected.length) problems.push(`${unexpected.length} document(s) that no printed line explains, e.g. ${unexpected[0]}`);
  const inOrder = required.sort((a, b) => a.source.localeCompare(b.source) || a.sequence - b.sequence).map((e) => e.message);
  for (const view of views) {
    const lines = view.lines.filter((l) => l.trim() !== '');
    if (!sameLines(lines, inOrder)) problems.push(`${view.name}: its lines are not the printed lines (${lines.length} vs ${inOrder.length})`);
  }
  return {
    printed: required.length,
    indexed: required.filter((e) => covered.has(e)).length,
    documents: docs.length,
    missing: missing.length,
    duplicated: twice.length + duplicatedIds.length,
    unexpected: unexpected.length,
    wrongContent,
    problems,
  };
}

/** One line for reports: `1500 printed, 1500 in Elasticsearch (1200 documents), 0 missing, 0 extra, 0 wrong`. */
export function describeVerdict(v: InvariantVerdict): string {
  const grouped = v.documents !== v.indexed ? ` (${v.documents} documents)` : '';
  return `${v.printed} printed, ${v.indexed} in Elasticsearch${grouped}, ${v.missing} missing, ${v.duplicated + v.unexpected} extra, ${v.wrongContent} wrong`;
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
    lines: () =>
      eventually(
        () => readDownloadLines(stack.s3, stack.bucket, jobId),
        (lines) => lines !== undefined,
        `the download file of ${jobId}`,
        timeoutMs,
      ) as Promise<string[]>,
  };
}
