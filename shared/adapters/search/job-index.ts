import { SearchUnavailableError } from '../../core/errors.js';
import { dataStreamPattern } from '../../core/cluster/index.js';
import { chunkRecordStream } from '../../core/ingest/index.js';
import type { IndexedSource } from '../../core/ops/index.js';
import { errorReason, isOk, type ClusterTransport } from './transport.js';

/** `event.sequence` = seq × this + position (docs/chunk-contract.md). */
const SEQUENCE_PER_CHUNK = 10_000_000;
const PAGE = 5_000;

/** An operator's view of a stage's documents: counts, chunk records, and deleting a job. */
export interface JobIndex {
  /** Documents of a job in the stage's log data streams. */
  countDocuments(stage: string, jobId: string): Promise<number>;
  countChunkRecords(stage: string, jobId: string): Promise<number>;
  /** The job's chunk records, per source. */
  chunkRecords(stage: string, jobId: string): Promise<IndexedSource[]>;
  /** Which of these chunk record ids (a chunk's id prefix) exist. */
  recordedChunks(stage: string, idPrefixes: readonly string[]): Promise<Set<string>>;
  /** Documents of one chunk, per backing index. */
  chunkDocumentsByIndex(stage: string, chunk: { jobId: string; source: string; seq: number }): Promise<Map<string, number>>;
  /** The newest backing index of each of the stage's log data streams (where `create` writes). */
  writeIndices(stage: string): Promise<Set<string>>;
  /** Deletes the job's documents and chunk records; resolves with how many went. */
  deleteJob(stage: string, jobId: string): Promise<{ documents: number; chunkRecords: number }>;
}

const jobQuery = (jobId: string) => ({ term: { 'labels.job_id': jobId } });

/** The stage's job documents on any cluster kind, through the one transport (admin commands: status, backfill, purge). */
export function clusterJobIndex(transport: ClusterTransport, o: { requestTimeoutMs: number }): JobIndex {
  const call = async <T>(
    method: 'GET' | 'POST',
    path: string,
    body?: Record<string, unknown> | Buffer,
    query: Record<string, string | boolean> = {},
  ): Promise<T> => {
    const answer = await transport.request<T>({
      method,
      path,
      body,
      query: { ignore_unavailable: true, allow_no_indices: true, ...query },
      timeoutMs: o.requestTimeoutMs,
    });
    if (!isOk(answer))
      throw new SearchUnavailableError(`Cluster ${method} ${path} failed (HTTP ${answer.status}): ${errorReason(answer)}`, {
        details: { status: answer.status },
      });
    return answer.body;
  };
  const count = async (index: string, query: unknown) => (await call<{ count?: number }>('POST', `/${index}/_count`, { query })).count ?? 0;
  /**
   * Search, then bulk `delete` each hit from its own backing index (a data stream takes deletes
   * only there), page after page until none is left. Not `_delete_by_query`: that lives in the
   * reindex module, which not every distribution has (the local stack's does not).
   */
  const deleteWhere = async (index: string, jobId: string): Promise<number> => {
    let deleted = 0;
    for (;;) {
      const page = await call<{ hits?: { hits?: Array<{ _id: string; _index: string }> } }>('POST', `/${index}/_search`, {
        size: PAGE,
        query: jobQuery(jobId),
        _source: false,
        track_total_hits: false,
      });
      const hits = page.hits?.hits ?? [];
      if (hits.length === 0) return deleted;
      const body = hits.map((h) => `${JSON.stringify({ delete: { _index: h._index, _id: h._id } })}\n`).join('');
      deleted += await bulk(body);
    }
  };
  const bulk = async (ndjson: string): Promise<number> => {
    const answer = await transport.request<{ items?: Array<Record<string, { status: number }>> }>({
      method: 'POST',
      path: '/_bulk',
      body: Buffer.from(ndjson),
      query: { refresh: 'true', filter_path: 'items.*.status' },
      timeoutMs: o.requestTimeoutMs,
    });
    if (!isOk(answer))
      throw new SearchUnavailableError(`Cluster bulk delete failed (HTTP ${answer.status}): ${errorReason(answer)}`, { details: { status: answer.status } });
    const statuses = (answer.body.items ?? []).map((item) => Object.values(item)[0]?.status ?? 500);
    const failed = statuses.filter((s) => s >= 300 && s !== 404);
    if (failed.length > 0) throw new SearchUnavailableError(`Cluster bulk delete: ${failed.length} delete(s) answered ${failed[0]}`);
    return statuses.filter((s) => s < 300).length;
  };

  return {
    countDocuments: (stage, jobId) => count(dataStreamPattern(stage), jobQuery(jobId)),
    countChunkRecords: (stage, jobId) => count(chunkRecordStream(stage), jobQuery(jobId)),

    async chunkRecords(stage, jobId) {
      const bySource = new Map<string, { seqs: number[]; lines: number; documents: number; failed: number[] }>();
      for (let after: unknown[] | undefined; ; ) {
        const page = await call<{ hits?: { hits?: Array<{ _source?: { joblogs?: Record<string, unknown> }; sort?: unknown[] }> } }>(
          'POST',
          `/${chunkRecordStream(stage)}/_search`,
          {
            size: PAGE,
            query: jobQuery(jobId),
            _source: ['joblogs.source', 'joblogs.chunk_seq', 'joblogs.positions', 'joblogs.documents', 'joblogs.error'],
            sort: [{ 'joblogs.source': 'asc' }, { 'joblogs.chunk_seq': 'asc' }],
            track_total_hits: false,
            ...(after ? { search_after: after } : {}),
          },
        );
        const hits = page.hits?.hits ?? [];
        for (const hit of hits) {
          const j = hit._source?.joblogs ?? {};
          const source = String(j['source']);
          const entry = bySource.get(source) ?? { seqs: [], lines: 0, documents: 0, failed: [] };
          entry.seqs.push(Number(j['chunk_seq']));
          entry.lines += Number(j['positions'] ?? 0);
          entry.documents += Number(j['documents'] ?? 0);
          if (j['error']) entry.failed.push(Number(j['chunk_seq']));
          bySource.set(source, entry);
        }
        if (hits.length < PAGE) break;
        after = hits.at(-1)!.sort;
      }
      return [...bySource].map(([source, e]) => ({ source, ...e }));
    },

    async recordedChunks(stage, idPrefixes) {
      if (idPrefixes.length === 0) return new Set();
      const out = await call<{ hits?: { hits?: Array<{ _id: string }> } }>('POST', `/${chunkRecordStream(stage)}/_search`, {
        size: idPrefixes.length,
        query: { ids: { values: idPrefixes } },
        _source: false,
      });
      return new Set((out.hits?.hits ?? []).map((h) => h._id));
    },

    async chunkDocumentsByIndex(stage, { jobId, source, seq }) {
      const out = await call<{ aggregations?: { indices?: { buckets?: Array<{ key: string; doc_count: number }> } } }>(
        'POST',
        `/${dataStreamPattern(stage)}/_search`,
        {
          size: 0,
          query: {
            bool: {
              filter: [
                jobQuery(jobId),
                { term: { 'joblogs.source': source } },
                { range: { 'event.sequence': { gte: seq * SEQUENCE_PER_CHUNK, lt: (seq + 1) * SEQUENCE_PER_CHUNK } } },
              ],
            },
          },
          aggs: { indices: { terms: { field: '_index', size: 100 } } },
        },
      );
      return new Map((out.aggregations?.indices?.buckets ?? []).map((b) => [b.key, b.doc_count]));
    },

    async writeIndices(stage) {
      const settings = await call<Record<string, unknown>>('GET', `/${dataStreamPattern(stage)}/_settings`, undefined, {
        filter_path: '*.settings.index.provided_name',
      }).catch(() => ({}));
      // The highest generation of each stream's backing indices is its write index. Elasticsearch
      // names them `.ds-<stream>-<yyyy.mm.dd>-<generation>`, OpenSearch `.ds-<stream>-<generation>`.
      // (Not GET _data_stream: Elasticsearch's test distribution answers it 405.)
      const newest = new Map<string, { index: string; generation: number }>();
      for (const index of Object.keys(settings ?? {})) {
        const m = /^\.ds-(.+?)(?:-\d{4}\.\d{2}\.\d{2})?-(\d+)$/.exec(index);
        if (!m) continue;
        const generation = Number(m[2]);
        if ((newest.get(m[1]!)?.generation ?? -1) < generation) newest.set(m[1]!, { index, generation });
      }
      return new Set([...newest.values()].map((n) => n.index));
    },

    async deleteJob(stage, jobId) {
      return { documents: await deleteWhere(dataStreamPattern(stage), jobId), chunkRecords: await deleteWhere(chunkRecordStream(stage), jobId) };
    },
  };
}
