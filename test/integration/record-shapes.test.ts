/**
 * Chunk records of both shapes (docs/logs-api.md, "Summary"): a stage deployed before records
 * carried their counts has a chunk-record stream whose backing index maps no `joblogs.counts.*`
 * (`dynamic: false`: a record's counts would sit in `_source` only). The deploy step puts the
 * fields into that existing index (`PUT <stream>/_mapping`); from then on records are counted
 * where they are, with no rollover. A job with a record written before the update is not counted
 * from its records: its summary aggregates its lines instead, never a sum that misses a chunk.
 *
 * On the stack's real cluster: a stage of its own gets the chunk-record template as it was, a
 * record is written, the real setup runs, more records are written; the summary's own search
 * (`chunkRecordsAggregation`) and reader (`recordedCounts`) decide.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkRecordMappings, templateNames, templateRequests } from '../../shared/core/cluster/index.js';
import { ChunkProgress, chunkRecordAction, chunkRecordStream, describeChunk, type RecordedCounts } from '../../shared/core/ingest/index.js';
import { chunkRecordsAggregation, recordedCounts, sourceProgress } from '../../shared/core/logs/index.js';
import { esBulk, esRequest, installStageTemplates, refresh, removeStageTemplates } from '../../testkit/index.js';
import { loadStack, type LocalStack } from '../../testkit/stack/index.js';

let stack: LocalStack;
const run = randomUUID().slice(0, 8);
/** A stage of this run's own: its chunk-record stream starts with the old shape. */
const stage = `records${run}`;
const stream = chunkRecordStream(stage);
/** Chunk 0 recorded before the update, chunk 1 after. */
const straddling = `straddling-${run}`;
/** Both chunks recorded after the update. */
const afterUpdate = `after-update-${run}`;

const counts = (info: number, error: number, stderr: number): RecordedCounts => ({
  documents: info + error,
  levels: { info, error },
  other_levels: 0,
  streams: { stdout: info + error - stderr, stderr },
});

/** Records chunk `seq` of `jobId` (source `main`, chunk 1 the last) as the indexer does. */
async function record(jobId: string, seq: number, recorded: RecordedCounts): Promise<void> {
  const key = `chunks/v1/${jobId}/main/${String(seq).padStart(10, '0')}.log.gz`;
  const chunk = describeChunk(
    { bucket: 'records-test', key, metadata: seq === 1 ? { final: 'true', 'line-count': '0' } : {}, eventTime: undefined },
    { stage, defaultDataset: 'mlplatform.job', chunkPrefix: 'chunks/', now: Date.now },
  );
  const progress = new ChunkProgress();
  for (const line of [0, recorded.documents - 1]) progress.see(line, Date.now());
  const action = chunkRecordAction(chunk, { positions: recorded.documents, documents: recorded.documents, counts: recorded, progress }, new Date());
  await esBulk(stack.info.elasticsearch, action);
}

/** What the summary reads of a job's records: the sums where they are exact, else undefined (the lines are aggregated). */
async function summaryCounts(jobId: string): Promise<ReturnType<typeof recordedCounts>> {
  await refresh(stack.info.elasticsearch, stream);
  const answer = await esRequest(stack.info.elasticsearch, 'POST', `/${stream}/_search`, chunkRecordsAggregation(jobId, Date.now()));
  return recordedCounts(answer.aggregations, sourceProgress(answer.aggregations));
}

/** Each backing index of the stream, with whether its mapping has the records' counts. */
async function backingIndices(): Promise<Array<{ index: string; counted: boolean }>> {
  const mappings = (await esRequest(stack.info.elasticsearch, 'GET', `/${stream}/_mapping`)) as Record<
    string,
    { mappings: { properties?: { joblogs?: { properties?: Record<string, unknown> } } } }
  >;
  return Object.entries(mappings).map(([index, m]) => ({ index, counted: m.mappings.properties?.joblogs?.properties?.['counts'] !== undefined }));
}

beforeAll(async () => {
  stack = loadStack();
  // The stage as deployed before records carried counts: its chunk-record template without them.
  const { plan } = await installStageTemplates(stack, stage);
  const old = structuredClone(chunkRecordMappings) as { properties: { joblogs: { properties: Record<string, unknown> } } };
  delete old.properties.joblogs.properties['counts'];
  const chunks = templateRequests({ stage, retentionDays: 1, plan }).find((r) => r.path === `/_index_template/${templateNames(stage).chunks}`)!;
  const body = chunks.body as { template: Record<string, unknown> };
  await esRequest(stack.info.elasticsearch, 'PUT', chunks.path, { ...body, template: { ...body.template, mappings: old } });
  await record(straddling, 0, counts(40, 2, 2));
}, 120_000);

afterAll(async () => {
  if (!stack) return;
  // Where the cluster can delete a data stream (not the local Elasticsearch test distributions), the stream and then the stage's templates go.
  await esRequest(stack.info.elasticsearch, 'DELETE', `/_data_stream/${stream}`).catch(() => undefined);
  await removeStageTemplates(stack.info.elasticsearch, stage);
});

describe('chunk records written before and after the deploy step adds their counts', () => {
  it('before the update, the backing index has no counts mapped and the record is not counted', async () => {
    expect(await backingIndices()).toEqual([{ index: expect.any(String), counted: false }]);
    expect(await summaryCounts(straddling)).toBeUndefined();
  });

  it('the setup maps the counts into the existing backing index, without a rollover', async () => {
    const [before] = await backingIndices();
    await installStageTemplates(stack, stage);
    expect(await backingIndices()).toEqual([{ index: before!.index, counted: true }]);
  });

  it('a job recorded after the update is counted from its records, exactly', async () => {
    await record(afterUpdate, 0, counts(100, 3, 3));
    await record(afterUpdate, 1, counts(50, 7, 1));
    expect(await summaryCounts(afterUpdate)).toEqual({ levels: { info: 150, error: 10 }, streams: { stdout: 156, stderr: 4 } });
  });

  it('a job with a record from before the update is not summed (its lines are aggregated instead)', async () => {
    await record(straddling, 1, counts(10, 1, 0));
    const answer = await esRequest(stack.info.elasticsearch, 'POST', `/${stream}/_search`, chunkRecordsAggregation(straddling, Date.now()));
    // Both records are there and the source is complete; only the later one's counts are searchable.
    expect(answer.aggregations.records.value).toBe(2);
    expect(answer.aggregations.counted.doc_count).toBe(1);
    expect(sourceProgress(answer.aggregations)).toEqual([expect.objectContaining({ source: 'main', chunks: 2, maxSeq: 1, frontier: 1 })]);
    expect(recordedCounts(answer.aggregations, sourceProgress(answer.aggregations))).toBeUndefined();
  });
});
