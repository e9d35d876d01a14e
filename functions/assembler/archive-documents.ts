import { Writable } from 'node:stream';
import { createLogger } from '../../shared/adapters/logger.js';
import type { ChunkStore } from '../../shared/adapters/s3/chunk-store.js';
import type { AssemblerConfig } from '../../shared/config/assembler-config.js';
import type { IndexerConfig } from '../../shared/config/indexer-config.js';
import { keyOf, type ArchiveRecord } from '../../shared/core/archive/index.js';
import { Slots } from '../../shared/core/batch/index.js';
import { chunkKey } from '../../shared/core/contract/index.js';
import { compareKeys } from '../../shared/core/archive/index.js';
import { isPermanent } from '../../shared/core/errors.js';
import type { BulkItemResult } from '../../shared/core/ingest/index.js';
import { chunkRecordStream } from '../../shared/core/ingest/chunk-record.js';
import type { SourceProgress } from '../../shared/core/logs/index.js';
import { emptyStats, indexChunk } from '../indexer/index-chunk.js';
import type { IndexerDeps } from '../indexer/deps.js';

/** A document's (or chunk record's) JSON as the indexer writes it, read field by field. */
// biome-ignore lint/suspicious/noExplicitAny: parsed JSON, read field by field
export type DocumentJson = Record<string, any>;

/** The `_source` fields the logs API reads from a line's document (and `/redraws` from a bar's). */
const KEPT = {
  top: ['@timestamp', 'message', 'tags'],
  joblogs: ['source', 'stream', 'line', 'part', 'end', 'captured', 'span', 'last_line', 'lines', 'redraws', 'chunk_key', 'chunk_seq', 'colours'],
};

/** A document as the logs API's `_source` filter hands it out: only the fields it reads. */
export function keptSource(doc: DocumentJson): DocumentJson {
  const s: DocumentJson = {};
  for (const f of KEPT.top) if (doc[f] !== undefined) s[f] = doc[f];
  if (doc['log']?.['level'] !== undefined) s['log'] = { level: doc['log']['level'] };
  if (doc['event']?.['sequence'] !== undefined) s['event'] = { sequence: doc['event']['sequence'] };
  const j = doc['joblogs'] ?? {};
  const kept: Record<string, unknown> = {};
  for (const f of KEPT.joblogs) if (j[f] !== undefined) kept[f] = j[f];
  s['joblogs'] = kept;
  return s;
}

/** What the indexer would write for one chunk: its documents (sorted in the merged order) and its chunk record. */
export interface ChunkDocuments {
  records: ArchiveRecord[];
  chunkRecord: DocumentJson | undefined;
}

export interface DryIndexerOptions {
  config: AssemblerConfig;
  chunks: ChunkStore;
  now: () => number;
}

/**
 * Runs the indexer's own chunk path (`indexChunk`: gunzip, split, parse, group events and progress
 * bars, build documents, neighbours for events across chunks) with a bulk sender that keeps the
 * documents instead of sending them: the archive holds exactly what the cluster held. Nothing is
 * written anywhere — checkpoints are neither read nor written, and logs go nowhere.
 */
export function dryIndexer(o: DryIndexerOptions): (jobId: string, source: string, seq: number) => Promise<ChunkDocuments> {
  const { config } = o;
  const indexerConfig = dryRunConfig(config);
  const chunkRecords = chunkRecordStream(config.stage);
  return async (jobId, source, seq) => {
    const records: ArchiveRecord[] = [];
    let chunkRecord: DocumentJson | undefined;
    const sendBulk = async (body: Buffer): Promise<BulkItemResult[]> => {
      const lines = body.toString('utf8').split('\n');
      const results: BulkItemResult[] = [];
      for (let i = 0; i + 1 < lines.length; i += 2) {
        const action = JSON.parse(lines[i]!).create as { _index: string; _id: string };
        const doc = JSON.parse(lines[i + 1]!) as DocumentJson;
        if (action._index === chunkRecords) chunkRecord = doc;
        else records.push({ i: action._id, s: keptSource(doc) });
        results.push({ status: 201 });
      }
      return results;
    };
    const deps: IndexerDeps = {
      config: indexerConfig,
      chunks: { ...o.chunks, readCheckpoint: async () => undefined, writeCheckpoint: async () => false },
      deadLetters: { write: async () => undefined } as unknown as IndexerDeps['deadLetters'],
      sendBulk,
      logger: createLogger('joblogs-assembler-dry-indexer', new Writable({ write: (_c, _e, done) => done() })),
      now: o.now,
      sleep: async () => undefined,
      random: Math.random,
    };
    const key = chunkKey({ jobId, source, seq }, config.chunkPrefix);
    const run = { deps, deadlineAt: Number.MAX_SAFE_INTEGER, slots: new Slots(1), stats: emptyStats(), redelivery: false, lastAttempt: true };
    try {
      await indexChunk({ bucket: config.logBucket, key, eventTime: undefined, size: undefined }, run);
    } catch (error) {
      // A bad chunk (or a neighbour that never came) is indexed up to where it broke, as the indexer does.
      if (!isPermanent(error)) throw error;
    }
    const order = { kind: 'merged' } as const;
    records.sort((a, b) => compareKeys(keyOf(a, order), keyOf(b, order)));
    return { records, chunkRecord };
  };
}

/** The indexer's settings that shape documents, as the stage runs the indexer; the rest never matters in a dry run. */
function dryRunConfig(config: AssemblerConfig): IndexerConfig {
  return {
    stage: config.stage,
    logBucket: config.logBucket,
    cluster: { kind: 'es-9', node: 'http://unused.invalid', auth: 'secret', region: undefined, requestTimeoutMs: 1000 },
    esCredentialsParam: undefined,
    chunkPrefix: config.chunkPrefix,
    deadLetterPrefix: 'unused/',
    checkpointPrefix: 'unused/',
    defaultDataset: config.archive.defaultDataset,
    maxLineBytes: config.archive.maxLineBytes,
    bulk: { maxActions: 2000, maxBytes: 5 * 1024 * 1024, concurrency: 1 },
    recordConcurrency: 1,
    retry: { baseMs: 1, maxMs: 1 },
    maxChunkBytes: config.maxChunkBytes,
    deadlineHeadroomMs: 0,
    grouping: config.archive.grouping,
    neighbourWaitMs: 0,
    maxReceiveCount: 1,
    s3ForcePathStyle: config.s3ForcePathStyle,
  } as IndexerConfig;
}

/** Each source's progress as the logs API reads it from the chunk records (`sourceProgress`, `firstMissingSeq`). */
export function progressOf(chunkRecords: ReadonlyArray<DocumentJson>): SourceProgress[] {
  const bySource = new Map<string, DocumentJson[]>();
  for (const r of chunkRecords) {
    const source = String(r['joblogs']?.['source'] ?? '');
    const list = bySource.get(source);
    if (list) list.push(r['joblogs'] ?? {});
    else bySource.set(source, [r['joblogs'] ?? {}]);
  }
  return [...bySource].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([source, records]) => sourceProgressOf(source, records));
}

function sourceProgressOf(source: string, records: readonly DocumentJson[]): SourceProgress {
  const seqs = new Set(records.map((j) => Number(j['chunk_seq'])));
  const maxSeq = records.reduce((m, j) => Math.max(m, Number(j['chunk_seq'])), -1);
  let missing = 0;
  while (seqs.has(missing)) missing++;
  const lastLine = records.reduce((m, j) => (typeof j['last_line'] === 'number' ? Math.max(m, j['last_line']) : m), -1);
  const captured = records.reduce<number | undefined>(
    (m, j) => (typeof j['captured_to'] === 'number' ? Math.max(m ?? j['captured_to'], j['captured_to']) : m),
    undefined,
  );
  return {
    source,
    chunks: records.length,
    maxSeq,
    frontier: missing > maxSeq ? maxSeq : missing - 1,
    lines: lastLine + 1,
    lastCaptured: captured,
  };
}
