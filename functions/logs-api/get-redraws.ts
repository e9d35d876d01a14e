import { ChunkFormat, gunzipChunk, MAX_CHUNK_BYTES } from '../../shared/core/contract/index.js';
import { InvalidParameterError, isPermanent } from '../../shared/core/errors.js';
import { LineSplitter } from '../../shared/core/ingest/line-splitter.js';
import { barStatesOf, linesIndex, parseRedrawsRequest, RedrawReader, type RedrawsRequest } from '../../shared/core/logs/index.js';
import { NotFoundError } from '../http/errors.js';
import type { LogsApiDeps } from './deps.js';
import type { FoundJob } from './job-view.js';

/** The body of `GET /jobs/{jobId}/redraws` (docs/logs-api.md). */
export interface RedrawsBody {
  jobId: string;
  states: Array<{ time: string; text: string }>;
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
  const answer = await deps.search.search(linesIndex(deps.config.stage), barQuery(jobId, request));
  if (answer.hits.length > 1) throw new InvalidParameterError('This cursor names lines of several sources: add source=<name>');
  const bar = answer.hits[0] && barStatesOf(answer.hits[0], { bucket: deps.config.logBucket, jobId, chunkPrefix: deps.config.chunkPrefix });
  if (!bar) throw new NotFoundError('No progress bar with redraws at this cursor');
  const opened = await deps.chunks.open(bar.bucket, bar.chunkKey).catch((error: unknown) => {
    if (isPermanent(error)) throw new NotFoundError('The chunk this bar was printed in is no longer stored');
    throw error;
  });
  const reader = new RedrawReader(bar, opened.metadata['format']?.trim() === ChunkFormat.framedV1, String(answer.hits[0]!._source?.['@timestamp'] ?? ''));
  const splitter = new LineSplitter(MAX_LINE_BYTES);
  try {
    reading: for await (const buf of gunzipChunk(opened.body, MAX_CHUNK_BYTES)) {
      for (const line of splitter.push(buf)) if (!reader.add(line)) break reading;
    }
  } finally {
    opened.body.destroy();
  }
  return { jobId, states: reader.earlier };
}

function barQuery(jobId: string, request: RedrawsRequest): Record<string, unknown> {
  const { cursor } = request;
  const filter: object[] = [{ term: { 'labels.job_id': jobId } }, { exists: { field: 'joblogs.redraws' } }];
  if (cursor.order === 'merged') filter.push({ term: { 'joblogs.source': cursor.key[1] } }, { term: { 'event.sequence': cursor.key[2] } });
  else filter.push({ term: { 'event.sequence': cursor.key[0] } });
  if (request.source) filter.push({ term: { 'joblogs.source': request.source } });
  return { size: 2, track_total_hits: false, query: { bool: { filter } }, _source: ['@timestamp', 'message', 'event.sequence', 'joblogs.*'] };
}
