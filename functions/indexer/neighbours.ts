import { gunzipChunk, neighbourKey } from '../../shared/core/contract/index.js';
import {
  chunkMultiline,
  describeChunk,
  EcsDocumentWriter,
  LineGrouper,
  LineSplitter,
  type ChunkContext,
  type Continuation,
} from '../../shared/core/ingest/index.js';
import { isPermanent } from '../../shared/core/errors.js';
import { chunkDefaults } from './chunk-defaults.js';
import type { IndexerDeps } from './deps.js';

/** What a chunk needs from its neighbours for events that cross a chunk boundary (docs/chunk-contract.md). */
export interface Neighbours {
  /** Whether the previous chunk lists `lane` as open (it takes this chunk's leading continuation); undefined while it is not in S3. */
  previousTakes(lane: string): Promise<boolean | undefined>;
  /** The leading continuation of each lane in the next chunk; undefined while it is not in S3. */
  continuations(lanes: readonly string[]): Promise<Map<string, Continuation> | undefined>;
  /** The keys asked for that were not there (for the report). */
  readonly missing: string[];
}

const FIRST_WAIT_MS = 250;
const MAX_WAIT_MS = 2_000;

/**
 * The previous and next chunk of the same source, read only when an event crosses the boundary:
 * the previous one's metadata (`open-events`), the next one's first lines. A neighbour that is
 * not there yet is waited for a little (the shipper uploads in order, about a flush interval
 * apart) within the invocation's deadline; after that the caller hands the record back to SQS.
 */
export function chunkNeighbours(chunk: ChunkContext, o: { deps: IndexerDeps; deadlineAt: number }): Neighbours {
  const { deps } = o;
  const missing: string[] = [];
  let previous: Promise<Record<string, string | undefined> | undefined> | undefined;

  /** Polls `read` with a doubling pause until it gives a value, the wait bound or the deadline. */
  const waitFor = async <T>(key: string, read: () => Promise<T | undefined>): Promise<T | undefined> => {
    const giveUpAt = Math.min(deps.now() + deps.config.neighbourWaitMs, o.deadlineAt);
    for (let pause = FIRST_WAIT_MS; ; pause = Math.min(pause * 2, MAX_WAIT_MS)) {
      const value = await read();
      if (value !== undefined) return value;
      if (deps.now() + pause > giveUpAt) {
        missing.push(key);
        return undefined;
      }
      await deps.sleep(pause);
    }
  };

  return {
    missing,
    async previousTakes(lane) {
      const key = neighbourKey(chunk.key, -1);
      if (!key) return false;
      previous ??= waitFor(key, () => deps.chunks.head(chunk.bucket, key));
      const metadata = await previous;
      return metadata === undefined ? undefined : chunkMultiline(metadata).openLanes.includes(lane);
    },
    async continuations(lanes) {
      const key = neighbourKey(chunk.key, +1);
      if (!key) return new Map();
      const metadata = await waitFor(key, () => deps.chunks.head(chunk.bucket, key));
      if (metadata === undefined) return undefined;
      return readLeading({ bucket: chunk.bucket, key }, lanes, deps);
    },
  };
}

/**
 * Reads the next chunk only as far as its leading continuation lines of `lanes` go (lines
 * marked `c` before any other line of their lane): grouped exactly as that chunk's own indexer
 * groups them, so the lines taken here are the ones it skips.
 */
async function readLeading(where: { bucket: string; key: string }, lanes: readonly string[], deps: IndexerDeps): Promise<Map<string, Continuation>> {
  const opened = await deps.chunks.open(where.bucket, where.key);
  let next: ChunkContext;
  try {
    next = describeChunk({ bucket: where.bucket, key: where.key, metadata: opened.metadata, eventTime: undefined }, chunkDefaults(deps.config, deps.now));
  } catch (error) {
    opened.body.destroy();
    // A chunk its own indexer refuses (bad metadata) indexes none of its lines: nothing continues here.
    if (isPermanent(error)) return new Map();
    throw error;
  }
  const writer = new EcsDocumentWriter(next);
  const found = new Map<string, Continuation>(lanes.map((lane) => [lane, { lines: [], cut: false, writer }]));
  if (!next.multiline.marked) {
    opened.body.destroy();
    return found;
  }
  const grouper = new LineGrouper({ enabled: true, marked: true, openLanes: [] }, (group) => {
    if (group.kind !== 'leading') return;
    const continuation = found.get(group.lane);
    if (continuation) Object.assign(continuation, { lines: group.lines, cut: group.cut });
  });
  const splitter = new LineSplitter(deps.config.maxLineBytes);
  const done = () => lanes.every((lane) => grouper.started(lane));
  try {
    for await (const buf of gunzipChunk(opened.body, deps.config.maxChunkBytes)) {
      for (const line of splitter.push(buf)) grouper.add(writer.decode(line));
      if (done()) return found;
    }
    for (const line of splitter.end()) grouper.add(writer.decode(line));
  } catch (error) {
    // A corrupt tail: its own indexer indexes the readable head, and so groups the same lines as here.
    if (!isPermanent(error)) throw error;
  } finally {
    opened.body.destroy();
  }
  grouper.end();
  return found;
}
