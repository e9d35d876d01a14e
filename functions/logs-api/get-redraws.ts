import { ChunkFormat, gunzipChunk, MAX_CHUNK_BYTES } from '../../shared/core/contract/index.js';
import { InvalidParameterError, isPermanent } from '../../shared/core/errors.js';
import { LineSplitter } from '../../shared/core/ingest/line-splitter.js';
import { barStatesOf, linesIndex, parseRedrawsRequest, RedrawReader, type RedrawsRequest } from '../../shared/core/logs/index.js';
import { NotFoundError } from '../http/errors.js';
import { keyOf, type ArchivePages, type ArchiveRecord } from '../../shared/core/archive/index.js';
import type { Hit } from '../../shared/core/logs/index.js';
import { archivePages } from './archive-source.js';
import type { LogsApiDeps } from './deps.js';
import { jobView, type FoundJob } from './job-view.js';

/** The body of `GET /jobs/{jobId}/redraws` (docs/logs-api.md). */
export interface RedrawsBody {
  jobId: string;
  states: Array<{ time: string; text: string }>;
  /** Answered from the job's archive (docs/archive.md). */
  archive?: true;
}

/** The indexer's line limit: a frame longer than it is not a bar state anyway. */
const MAX_LINE_BYTES = 256 * 1024;

/**
 * Every earlier state of a progress bar the indexer collapsed into one line (`redraws`), read
 * back from the chunk it was printed in: the document names its chunk, and only a chunk of this
 * job whose key the document's id was made from is read.
 */
export async function getRedraws(access: FoundJob, query: string, deps: LogsApiDeps): Promise<RedrawsBody> {
  const request = parseRedrawsRequest(query);
  const jobId = access.record.registration.jobId;
  const view = await jobView(access, deps);
  const hits = view.archive ? await archivedBar(archivePages(view.archive, deps), request, view.sources) : await clusterBar(jobId, request, deps);
  if (hits.length > 1) throw new InvalidParameterError('This cursor names lines of several sources: add source=<name>');
  const bar = hits[0] && barStatesOf(hits[0], { bucket: deps.config.logBucket, jobId, chunkPrefix: deps.config.chunkPrefix });
  if (!bar) throw new NotFoundError('No progress bar with redraws at this cursor');
  const opened = await deps.chunks.open(bar.bucket, bar.chunkKey).catch((error: unknown) => {
    if (isPermanent(error)) throw new NotFoundError('The chunk this bar was printed in is no longer stored');
    throw error;
  });
  const reader = new RedrawReader(bar, opened.metadata['format']?.trim() === ChunkFormat.framedV1, String(hits[0]!._source?.['@timestamp'] ?? ''));
  const splitter = new LineSplitter(MAX_LINE_BYTES);
  try {
    reading: for await (const buf of gunzipChunk(opened.body, MAX_CHUNK_BYTES)) {
      for (const line of splitter.push(buf)) if (!reader.add(line)) break reading;
    }
  } finally {
    opened.body.destroy();
  }
  return { jobId, states: reader.earlier, ...(view.archive ? { archive: true as const } : {}) };
}

async function clusterBar(jobId: string, request: RedrawsRequest, deps: LogsApiDeps): Promise<Array<Hit & { _id?: string }>> {
  return (await deps.search.search(linesIndex(deps.config.stage), barQuery(jobId, request))).hits;
}

/** The document a cursor names in an archive (per source, when the cursor is of one source's order and no source is named). */
async function archivedBar(pages: ArchivePages, request: RedrawsRequest, sources: string[]): Promise<Array<Hit & { _id?: string }>> {
  const { cursor } = request;
  const hasRedraws = (r: ArchiveRecord) => typeof r.s['joblogs']?.['redraws'] === 'number';
  const found: ArchiveRecord[] = [];
  if (cursor.order === 'merged') {
    const [captured, source, seq] = cursor.key as [number, string, number];
    if (request.source && request.source !== source) return [];
    const { records } = await pages.backward({ filters: { sources: [source] }, order: { kind: 'merged' }, limit: 1, from: [captured, source, seq + 1] });
    found.push(...records.filter((r) => keyOf(r, { kind: 'merged' })[2] === seq));
  } else {
    const seq = cursor.key[0];
    for (const source of request.source ? [request.source] : sources) {
      const { records } = await pages.backward({ filters: { sources: [source] }, order: { kind: 'source', source }, limit: 1, from: [seq + 1] });
      found.push(...records.filter((r) => keyOf(r, { kind: 'source', source })[0] === seq));
    }
  }
  return found.filter(hasRedraws).map((r) => ({ _id: r.i, _source: r.s }));
}

function barQuery(jobId: string, request: RedrawsRequest): Record<string, unknown> {
  const { cursor } = request;
  const filter: object[] = [{ term: { 'labels.job_id': jobId } }, { exists: { field: 'joblogs.redraws' } }];
  if (cursor.order === 'merged') filter.push({ term: { 'joblogs.source': cursor.key[1] } }, { term: { 'event.sequence': cursor.key[2] } });
  else filter.push({ term: { 'event.sequence': cursor.key[0] } });
  if (request.source) filter.push({ term: { 'joblogs.source': request.source } });
  return { size: 2, track_total_hits: false, query: { bool: { filter } }, _source: ['@timestamp', 'message', 'event.sequence', 'joblogs.*'] };
}
